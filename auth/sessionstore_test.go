package auth

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/referral-ledger/ledger/internal/pgtest"
)

// openSessionStore opens an empty SessionStore with cfg and closes it when
// tb ends.
type openSessionStore func(tb testing.TB, cfg SessionConfig) SessionStore

// forEachSessionStore runs test once for every SessionStore implementation,
// as a subtest named for it, so the behaviour tests in
// sqlite_sessions_test.go hold for each and cannot drift apart.
func forEachSessionStore(t *testing.T, test func(t *testing.T, open openSessionStore)) {
	t.Run("SQLite", func(t *testing.T) { test(t, openSQLiteSessionStore) })
	t.Run("Postgres", func(t *testing.T) { test(t, openPostgresSessionStore) })
}

// forEachSharedSessionStore runs test once for every SessionStore
// implementation with open, which returns a new handle on one shared
// backing store each time it is called (another process on the same
// SQLite file, another node on the same PostgreSQL database), closed when
// the test ends.
func forEachSharedSessionStore(t *testing.T, test func(t *testing.T, open func() SessionStore)) {
	t.Run("SQLite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "sessions.db")
		test(t, func() SessionStore {
			s, err := OpenSessions(path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		})
	})
	t.Run("Postgres", func(t *testing.T) {
		url := pgtest.URL(t)
		test(t, func() SessionStore {
			s, err := OpenPostgresSessions(context.Background(), url, SessionConfig{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		})
	})
}

func openSQLiteSessionStore(tb testing.TB, cfg SessionConfig) SessionStore {
	tb.Helper()
	s, err := OpenSessionsWithConfig(filepath.Join(tb.TempDir(), "sessions.db"), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func openPostgresSessionStore(tb testing.TB, cfg SessionConfig) SessionStore {
	tb.Helper()
	s, err := OpenPostgresSessions(context.Background(), pgtest.URL(tb), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}
