package datadir

import (
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite"
)

// TestOneWriter: a second Acquire is refused naming the holder's process id
// and command; after Release the next one succeeds (R-OPS-2).
func TestOneWriter(t *testing.T) {
	dir := t.TempDir()
	first, err := Acquire(dir, "ledger serve")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(dir, "ledger retention")
	var held *HeldError
	if !errors.As(err, &held) || held.PID != os.Getpid() || held.Command != "ledger serve" || held.Readers {
		t.Fatalf("second Acquire = %v", err)
	}
	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	second, err := Acquire(dir, "ledger retention")
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	second.Release()
}

// TestReaderHoldsOffWriters: a read-only tool reading a directory no writer
// holds keeps writers out until it closes, and they are told why; beside a
// writer it reads live (R-OPS-2).
func TestReaderHoldsOffWriters(t *testing.T) {
	dir := t.TempDir()
	l, err := Acquire(dir, "ledger serve")
	if err != nil {
		t.Fatal(err)
	}
	l.Release()
	r, err := OpenReader(dir)
	if err != nil || r.Live() {
		t.Fatalf("OpenReader = %v, live %v", err, r.Live())
	}
	_, err = Acquire(dir, "ledger serve")
	var held *HeldError
	if !errors.As(err, &held) || !held.Readers {
		t.Fatalf("Acquire while read = %v", err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	l, err = Acquire(dir, "ledger serve")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	r, err = OpenReader(dir)
	if err != nil || !r.Live() {
		t.Fatalf("OpenReader beside a writer = %v, live %v", err, r.Live())
	}
	r.Close()
}

// TestReaderCreatesNothing: opening a reader on a directory that never had
// a writer creates no lock file, and a writer starting meanwhile is
// reported on Close.
func TestReaderCreatesNothing(t *testing.T) {
	dir := t.TempDir()
	r, err := OpenReader(dir)
	if err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("OpenReader created %v", entries)
	}
	l, err := Acquire(dir, "ledger serve")
	if err != nil {
		t.Fatal(err)
	}
	l.Release()
	if err := r.Close(); !errors.Is(err, ErrWriterStarted) {
		t.Fatalf("Close = %v, want ErrWriterStarted", err)
	}
	if _, err := OpenReader(filepath.Join(dir, "absent")); err == nil {
		t.Fatal("OpenReader of a missing directory succeeded")
	}
}

// TestSQLiteFileLeftByACrash: with no writer, a file is opened immutable,
// unless a crash left its write-ahead log, when a private copy holding the
// logged writes is read instead.
func TestSQLiteFileLeftByACrash(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "events.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE t (x); INSERT INTO t VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	r, err := OpenReader(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// The WAL is live (db open): it holds the table, the main file not yet.
	f, err := r.SQLite("events.db")
	if err != nil || f.Immutable || filepath.Dir(f.Path) == dir {
		t.Fatalf("SQLite = %+v, %v; want a private copy", f, err)
	}
	copied, err := sql.Open("sqlite", "file:"+f.Path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := copied.QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("the copy holds %d rows (%v)", n, err)
	}
	copied.Close()
	db.Close() // a clean close folds the WAL in and removes it
	f, err = r.SQLite("events.db")
	if err != nil || !f.Immutable || f.Path != path {
		t.Fatalf("SQLite after a clean close = %+v, %v", f, err)
	}
	if _, err := r.SQLite("keys.db"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}
