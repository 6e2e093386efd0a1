package main

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/internal/sqlitedamage"
	"github.com/referral-ledger/ledger/projections"
)

// TestServeRefusesUnreadableViews_OPS4: the start's key check compares the
// key store with the clients with data in the ledger, read from views.db.
// When they could not be read the list was empty, and the check passed
// having checked no one. A views.db that opens but whose index of those
// clients is damaged now stops the start, naming the file and how to mend
// it (ledger rebuild-views), which it does (R-OPS-4).
func TestServeRefusesUnreadableViews_OPS4(t *testing.T) {
	dir := t.TempDir()
	t.Run("a ledger", func(t *testing.T) { lifecycle(t, startNode(t, dir)) })
	path := filepath.Join(dir, projections.ViewsFile)
	sqlitedamage.ZeroIndex(t, path, "clients_with_data")
	t.Setenv("LEDGER_DATA_DIR", dir)
	err := serveFails(t)
	if err == nil || !strings.Contains(err.Error(), path+" cannot be read") ||
		!strings.Contains(err.Error(), "ledger rebuild-views") || strings.Contains(err.Error(), "checking the key store") {
		t.Fatalf("serve on a views.db whose clients cannot be listed: %v; want a refusal naming %s and ledger rebuild-views", err, path)
	}
	if err := run(context.Background(), []string{"rebuild-views"}, io.Discard, io.Discard); err != nil {
		t.Fatalf("rebuild-views: %v", err)
	}
	t.Run("rebuilt", func(t *testing.T) { startNode(t, dir) })
}
