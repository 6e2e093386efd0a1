package auth

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/referral-ledger/ledger/internal/pgtest"
	"github.com/referral-ledger/ledger/session"
	sessionpg "github.com/referral-ledger/ledger/session/postgres"
	sessionsqlite "github.com/referral-ledger/ledger/session/sqlite"
)

// openSessionStore opens an empty session store with cfg and closes it when
// tb ends.
type openSessionStore func(tb testing.TB, cfg session.Config) session.Store

// forEachSessionStore runs test once for every session store backend, as a
// subtest named for it, so the throttle holds over each.
func forEachSessionStore(t *testing.T, test func(t *testing.T, open openSessionStore)) {
	t.Run("SQLite", func(t *testing.T) { test(t, openSQLiteSessions) })
	t.Run("Postgres", func(t *testing.T) { test(t, openPostgresSessions) })
}

// forEachSharedSessionStore runs test once for every session store backend
// with open, which returns a new handle on one shared backing store each
// time it is called (another process on the same SQLite file, another node
// on the same PostgreSQL database), closed when the test ends.
func forEachSharedSessionStore(t *testing.T, test func(t *testing.T, open func() session.Store)) {
	t.Run("SQLite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "sessions.db")
		test(t, func() session.Store {
			s, err := sessionsqlite.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		})
	})
	t.Run("Postgres", func(t *testing.T) {
		url := pgtest.URL(t)
		test(t, func() session.Store {
			s, err := sessionpg.Open(context.Background(), url, session.Config{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		})
	})
}

func openSQLiteSessions(tb testing.TB, cfg session.Config) session.Store {
	tb.Helper()
	s, err := sessionsqlite.OpenWithConfig(filepath.Join(tb.TempDir(), "sessions.db"), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func openPostgresSessions(tb testing.TB, cfg session.Config) session.Store {
	tb.Helper()
	s, err := sessionpg.Open(context.Background(), pgtest.URL(tb), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}
