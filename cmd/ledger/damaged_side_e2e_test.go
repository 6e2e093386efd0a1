package main

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/internal/sqlitedamage"
	keysqlite "github.com/referral-ledger/ledger/keystore/sqlite"
	ledgernode "github.com/referral-ledger/ledger/node"
	"github.com/referral-ledger/ledger/notify"
	"github.com/referral-ledger/ledger/projections"
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
			sqlitedamage.Header(t, path)
			err := serveFails(t)
			if err == nil || strings.Count(err.Error(), path) != 1 || !strings.Contains(err.Error(), "ledger restore") ||
				strings.Contains(err.Error(), "store: idempotency store") {
				t.Fatalf("serve on a damaged %s: %v; want a refusal naming the file once and how to mend it", name, err)
			}
		})
	}
}

// TestDamagedKeysViewsAndNoticesNamed_OPS4: a damaged key store, views or
// notices database stopped the server without saying what to do, and the
// key store's refusal did not even name the file ("key store: keystore:
// open key store: unavailable: ... file is not a database"). Each now
// names the file once and how to mend it: the key store and the notices
// are restored from a backup (ledger restore), the views, derived from the
// log, are rebuilt (ledger rebuild-views) (R-OPS-4: corruption reported
// naming the cause).
func TestDamagedKeysViewsAndNoticesNamed_OPS4(t *testing.T) {
	for name, mend := range map[string]string{keysqlite.FileName: "ledger restore",
		projections.ViewsFile: "ledger rebuild-views", notify.FileName: "ledger restore"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			var id string
			t.Run("a ledger", func(t *testing.T) { id = lifecycle(t, startNode(t, dir)) })
			t.Setenv("LEDGER_DATA_DIR", dir)
			t.Setenv("LEDGER_HTTP_ADDR", "127.0.0.1:0")
			path := filepath.Join(dir, name)
			sqlitedamage.Header(t, path)
			err := serveFails(t)
			if err == nil || strings.Count(err.Error(), path) != 1 || !strings.Contains(err.Error(), mend) {
				t.Fatalf("serve on a damaged %s: %v; want a refusal naming the file once and how to mend it (%s)", name, err, mend)
			}
			if name != keysqlite.FileName {
				return
			}
			// ledger history opens the key store read-only, on its own.
			err = run(context.Background(), []string{"history", id}, io.Discard, io.Discard)
			if err == nil || strings.Count(err.Error(), path) != 1 || !strings.Contains(err.Error(), mend) {
				t.Fatalf("history on a damaged %s: %v; want a refusal naming the file once and how to mend it (%s)", name, err, mend)
			}
		})
	}
}
