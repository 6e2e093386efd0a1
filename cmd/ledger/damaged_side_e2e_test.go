package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ledgernode "github.com/referral-ledger/ledger/node"
)

// TestDamagedSideDatabaseNamed_OPS4: a damaged idempotency or session
// store stops the server with an error that names the file, once, and
// says how to mend it (R-OPS-4: corruption reported naming the cause).
func TestDamagedSideDatabaseNamed_OPS4(t *testing.T) {
	for _, name := range []string{ledgernode.IdempotencyFile, ledgernode.SessionsFile} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			t.Run("a ledger", func(t *testing.T) { startNode(t, dir) })
			t.Setenv("LEDGER_DATA_DIR", dir)
			t.Setenv("LEDGER_HTTP_ADDR", "127.0.0.1:0")
			path := filepath.Join(dir, name)
			damaged, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			copy(damaged, "not a database!!")
			if err := os.WriteFile(path, damaged, 0o600); err != nil {
				t.Fatal(err)
			}
			err = run(context.Background(), []string{"serve"}, io.Discard, io.Discard)
			if err == nil || strings.Count(err.Error(), path) != 1 || !strings.Contains(err.Error(), "ledger restore") ||
				strings.Contains(err.Error(), "store: idempotency store") {
				t.Fatalf("serve on a damaged %s: %v; want a refusal naming the file once and how to mend it", name, err)
			}
		})
	}
}
