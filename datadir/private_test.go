package datadir

import (
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	_ "modernc.org/sqlite"
)

// TestPrepareSQLite_PRIV4: under the laxest umask, a database prepared
// first is created 0600 and SQLite's WAL and SHM beside it take that
// mode; an existing database and journal readable by others are
// tightened (R-PRIV-4).
func TestPrepareSQLite_PRIV4(t *testing.T) {
	for _, umask := range []int{0o022, 0} {
		t.Run(fmt.Sprintf("umask%03o", umask), func(t *testing.T) {
			old := syscall.Umask(umask)
			defer syscall.Umask(old)
			dir := t.TempDir()
			path := filepath.Join(dir, "x.db")
			if err := os.WriteFile(path+"-journal", nil, 0o666); err != nil {
				t.Fatal(err)
			}
			if err := PrepareSQLite(path); err != nil {
				t.Fatal(err)
			}
			assertMode(t, path+"-journal", FileMode) // SQLite removes it when it opens
			db, err := sql.Open("sqlite", path+"?_pragma=journal_mode(WAL)")
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec(`CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('x')`); err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"x.db", "x.db-wal", "x.db-shm"} {
				assertMode(t, filepath.Join(dir, name), FileMode)
			}
		})
	}
}

// TestPrepare_PRIV4: a data directory others may enter, and the files in
// it they may read, are tightened and named; a private one is left alone.
func TestPrepare_PRIV4(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, mode := range map[string]fs.FileMode{"events.db": 0o644, "keys.db": 0o600, "master.key": 0o400} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Join(dir, name), mode); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Prepare(dir)
	if err != nil || len(got) != 2 || got[0] != "." || got[1] != "events.db" {
		t.Fatalf("Prepare = %v, %v; want [. events.db]", got, err)
	}
	for name, want := range map[string]fs.FileMode{".": DirMode, "events.db": FileMode, "keys.db": FileMode, "master.key": 0o400} {
		assertMode(t, filepath.Join(dir, name), want)
	}
	if got, err := Prepare(dir); err != nil || len(got) != 0 {
		t.Fatalf("Prepare again = %v, %v; want nothing to tighten", got, err)
	}
}

func assertMode(tb testing.TB, path string, want fs.FileMode) {
	tb.Helper()
	info, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	if info.Mode().Perm() != want {
		tb.Errorf("%s is %v, want %v", filepath.Base(path), info.Mode().Perm(), want)
	}
}
