package notify

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/referral-ledger/ledger/internal/sqlitedamage"
)

// TestClosedOutboxLeavesNoWAL_OPS3: a stop that cancelled the notifier
// just as a query of its one connection ended left the interrupt standing;
// the connection was dropped and SQLite closed it without folding the WAL
// in, so a cleanly stopped notifications.db was not whole on its own (and a
// damaged header went unseen, the first page read from the WAL). Closing
// now folds the WAL in and removes it.
func TestClosedOutboxLeavesNoWAL_OPS3(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	o, err := openOutbox(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	sqlitedamage.InterruptIdle(t, o.db)
	if err := o.close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); !os.IsNotExist(err) {
		t.Fatalf("%s-wal after close: %v, want none", path, err)
	}
	// The schema written at open is in the file itself: opened immutable,
	// SQLite reads no WAL.
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&immutable=1")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var version int
	if err := db.QueryRow("PRAGMA user_version").Scan(&version); err != nil || version != len(migrations) {
		t.Fatalf("the file alone is at schema version %d (%v), want %d", version, err, len(migrations))
	}
}
