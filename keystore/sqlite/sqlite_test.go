package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/keystore"
	"github.com/referral-ledger/ledger/keystore/keystoretest"
	"github.com/referral-ledger/ledger/keystore/sqlite"
)

// openAt opens the key store at path and closes it when the test ends.
func openAt(tb testing.TB, path string, kek keystore.MasterKey) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(path, kek)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

func newStore(tb testing.TB, kek keystore.MasterKey) (keystore.Store, func(keystore.MasterKey) (keystore.Store, error)) {
	// A '?' and a '#' in the path prove it is escaped, not read as URI syntax.
	path := filepath.Join(tb.TempDir(), "keys?#%.db")
	return openAt(tb, path, kek), func(kek keystore.MasterKey) (keystore.Store, error) {
		return sqlite.Open(path, kek)
	}
}

func TestContract(t *testing.T) {
	keystoretest.Run(t, newStore)
}

// The contract again through the cache, which must not change any answer.
func TestContractCached(t *testing.T) {
	keystoretest.Run(t, func(tb testing.TB, kek keystore.MasterKey) (keystore.Store, func(keystore.MasterKey) (keystore.Store, error)) {
		s, reopen := newStore(tb, kek)
		return keystore.NewCached(s, 2), func(kek keystore.MasterKey) (keystore.Store, error) {
			s, err := reopen(kek)
			if err != nil {
				return nil, err
			}
			return keystore.NewCached(s, 2), nil
		}
	})
}

// rawDB opens path with no pragmas of ours, as an operator's sqlite3 or a
// restore script would.
func rawDB(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		tb.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

func mustExec(tb testing.TB, db *sql.DB, query string, args ...any) {
	tb.Helper()
	if _, err := db.Exec(query, args...); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
}

// The file, and the WAL and SHM SQLite makes beside it, are readable by the
// owner only: they hold wrapped keys.
func TestFilesArePrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.db")
	s := openAt(t, path, keystore.GenerateMasterKey())
	if _, err := s.Create(context.Background(), uuid.New()); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		info, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s has mode %04o, want 0600", filepath.Base(name), perm)
		}
	}
}

// The pragmas R-PRIV-4 relies on are in force on the store's own
// connection, not just asked for.
func TestPragmas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.db")
	openAt(t, path, keystore.GenerateMasterKey())
	var mode string
	if err := rawDB(t, path).QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal (it persists in the file)", mode, err)
	}
}

// A key store that cannot be reached is an error, never "not found" and
// never "destroyed" (which would show a client as erased).
func TestUnavailable(t *testing.T) {
	dir := t.TempDir()
	eventLog := filepath.Join(dir, "ledger.db")
	db := rawDB(t, eventLog)
	mustExec(t, db, "CREATE TABLE events (position INTEGER PRIMARY KEY); PRAGMA user_version = 1")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"MissingDirectory": filepath.Join(dir, "absent", "keys.db"),
		"PathIsDirectory":  dir,
		"NotAKeyStore":     eventLog,
	}
	for name, path := range cases {
		t.Run(name, func(t *testing.T) {
			s, err := sqlite.Open(path, keystore.GenerateMasterKey())
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if !errors.Is(err, keystore.ErrUnavailable) || domain.ErrorCode(err) != domain.Unavailable {
				t.Errorf("Open = %v, want ErrUnavailable with code %s", err, domain.Unavailable)
			}
			if errors.Is(err, keystore.ErrDestroyed) || errors.Is(err, keystore.ErrNotFound) {
				t.Errorf("Open = %v, which reads as an answer about a client", err)
			}
		})
	}
}

// A file that vanishes under a running store (a broken disk, an operator's
// mistake) gives ErrUnavailable too.
func TestUnavailableWhenTablesGone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.db")
	s := openAt(t, path, keystore.GenerateMasterKey())
	id := uuid.New()
	if _, err := s.Create(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	mustExec(t, rawDB(t, path), "DROP TABLE destroyed")
	_, err := s.Get(context.Background(), id)
	if !errors.Is(err, keystore.ErrUnavailable) || errors.Is(err, keystore.ErrDestroyed) {
		t.Errorf("Get = %v, want ErrUnavailable", err)
	}
}

// The wrong master key is refused when the store opens, with both key ids
// named so the operator knows which key to find, and never a key's bytes.
func TestOpenWithWrongMasterKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.db")
	right, wrong := keystore.GenerateMasterKey(), keystore.GenerateMasterKey()
	s := openAt(t, path, right)
	if _, err := s.Create(context.Background(), uuid.New()); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := sqlite.Open(path, wrong)
	if !errors.Is(err, keystore.ErrWrongMasterKey) {
		t.Fatalf("Open = %v, want ErrWrongMasterKey", err)
	}
	for _, id := range []string{right.ID, wrong.ID} {
		if !strings.Contains(err.Error(), id) {
			t.Errorf("error %q does not name master key %s", err, id)
		}
	}
}
