// Package sqlitedamage damages SQLite files for tests the way a disk or a
// careless hand can, below what the rows show (R-OPS-4), or leave a
// connection as a cancelled query can.
package sqlitedamage

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"reflect"
	"testing"

	"modernc.org/libc"
	_ "modernc.org/sqlite" // reads the file's schema
	sqlite3 "modernc.org/sqlite/lib"
)

// ZeroEventIDIndex overwrites with zeros the root page of the index that
// keeps an event id from being stored twice (the events table's UNIQUE
// index) in the ledger file at path, which no process may have open.
// Every event still reads and chains; only SQLite's own integrity check
// sees the damage.
func ZeroEventIDIndex(tb testing.TB, path string) {
	tb.Helper()
	zeroRootPage(tb, path, `SELECT rootpage FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' AND sql IS NULL`)
}

// ZeroIndex overwrites with zeros the root page of the index named index
// in the SQLite file at path, which no process may have open: the file
// opens, and every read that does not use the index works; those that do
// fail with "database disk image is malformed".
func ZeroIndex(tb testing.TB, path, index string) {
	tb.Helper()
	zeroRootPage(tb, path, `SELECT rootpage FROM sqlite_master WHERE type = 'index' AND name = ?`, index)
}

// zeroRootPage overwrites with zeros the page query finds the number of.
func zeroRootPage(tb testing.TB, path, query string, args ...any) {
	tb.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&immutable=1")
	if err != nil {
		tb.Fatal(err)
	}
	var root, pageSize int
	err = db.QueryRow(query, args...).Scan(&root)
	if err == nil {
		err = db.QueryRow(`PRAGMA page_size`).Scan(&pageSize)
	}
	if err = errors.Join(err, db.Close()); err != nil {
		tb.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err == nil {
		_, err = f.WriteAt(make([]byte, pageSize), int64(root-1)*int64(pageSize))
		err = errors.Join(err, f.Close())
	}
	if err != nil {
		tb.Fatal(err)
	}
}

// Header overwrites the first 16 bytes of the SQLite file at path, its
// "SQLite format 3" magic, as a stray write could: SQLite then refuses the
// whole file as not a database. A WAL holding frames beside the file
// would hide the damage (SQLite reads the first page from it), so that
// fails the test: the file's last user did not close it cleanly.
func Header(tb testing.TB, path string) {
	tb.Helper()
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > 0 {
		tb.Fatalf("%s-wal holds %d bytes: the database was not closed cleanly, and its WAL would hide the damage", path, fi.Size())
	}
	damaged, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	copy(damaged, "not a database!!")
	if err := os.WriteFile(path, damaged, 0o600); err != nil {
		tb.Fatal(err)
	}
}

// InterruptIdle interrupts db's one connection while it runs nothing, as a
// context cancelled just after its query ended does: the interrupt stands,
// and database/sql drops the connection when it comes back to the pool.
func InterruptIdle(t testing.TB, db *sql.DB) {
	t.Helper()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	err = conn.Raw(func(dc any) error {
		handle := uintptr(reflect.ValueOf(dc).Elem().FieldByName("db").Uint())
		tls := libc.NewTLS()
		defer tls.Close()
		sqlite3.Xsqlite3_interrupt(tls, handle)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Close(); err != nil {
		t.Fatal(err)
	}
}
