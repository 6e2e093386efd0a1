package datadir_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/referral-ledger/ledger/datadir"
	"github.com/referral-ledger/ledger/internal/sqlitedamage"
)

// TestCloseSQLiteLeavesNoWAL_OPS3: a database whose last connection was
// dropped after an interrupt closed leaving its WAL beside it, so a stopped
// data directory's file was not whole on its own (its latest pages in the
// WAL). CloseSQLite folds the WAL in and removes it; plain Close, the
// control, leaves it.
func TestCloseSQLiteLeavesNoWAL_OPS3(t *testing.T) {
	for _, c := range []struct {
		name    string
		close   func(*sql.DB) error
		leftWAL bool
	}{
		{"CloseSQLite", datadir.CloseSQLite, false},
		{"plain Close", (*sql.DB).Close, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "a.db")
			db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)")
			if err != nil {
				t.Fatal(err)
			}
			db.SetMaxOpenConns(1)
			if _, err := db.Exec("CREATE TABLE t(x); INSERT INTO t VALUES ('kept')"); err != nil {
				t.Fatal(err)
			}
			sqlitedamage.InterruptIdle(t, db)
			if open := db.Stats().OpenConnections; open != 0 {
				t.Fatalf("the interrupted connection is still open (%d); the test no longer reproduces the case", open)
			}
			if err := c.close(db); err != nil {
				t.Fatal(err)
			}
			_, err = os.Stat(path + "-wal")
			if left := err == nil; left != c.leftWAL {
				t.Fatalf("WAL left after close: %v, want %v", left, c.leftWAL)
			}
			// What was written is in the file itself: opened read-only and
			// immutable, SQLite reads no WAL.
			ro, err := sql.Open("sqlite", "file:"+path+"?mode=ro&immutable=1")
			if err != nil {
				t.Fatal(err)
			}
			defer ro.Close()
			var x string
			err = ro.QueryRow("SELECT x FROM t").Scan(&x)
			if c.leftWAL {
				return
			}
			if err != nil || x != "kept" {
				t.Fatalf("the file alone holds %q (%v), want the row written", x, err)
			}
		})
	}
}
