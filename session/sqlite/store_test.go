package sqlite

import (
	"bytes"
	"database/sql"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/session"
	"github.com/referral-ledger/ledger/session/sessiontest"
)

// TestContract runs the session store contract against SQLite (R-AUTH-3,
// R-AUTH-5).
func TestContract(t *testing.T) {
	sessiontest.Run(t, func(tb testing.TB, cfg session.Config) session.Store {
		tb.Helper()
		s, err := OpenWithConfig(filepath.Join(tb.TempDir(), "sessions.db"), cfg)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { s.Close() })
		return s
	})
}

// openSessions opens a session store on a fresh file in tb's temp dir and
// closes it when the test ends.
func openSessions(tb testing.TB) (*Store, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "sessions.db")
	s, err := Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s, path
}

func TestOpenSessionsPragmas(t *testing.T) {
	s, _ := openSessions(t)
	var mode string
	var sync int
	if err := s.db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if err := s.db.QueryRow("PRAGMA synchronous").Scan(&sync); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" || sync != 2 {
		t.Fatalf("journal_mode = %q, synchronous = %d; want wal, 2 (FULL)", mode, sync)
	}
}

// TestSessionTokenStoredHashed proves R-AUTH-3: the database file holds
// only the SHA-256 of a token, never the token.
func TestSessionTokenStoredHashed(t *testing.T) {
	s, path := openSessions(t)
	token, _ := sessiontest.Create(t, s, "user-1", sessiontest.T0)
	raw, _ := base64.RawURLEncoding.DecodeString(token)
	var all []byte
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	if bytes.Contains(all, []byte(token)) || bytes.Contains(all, raw) {
		t.Fatal("the database files contain the token")
	}
	if !bytes.Contains(all, session.HashToken(token)) {
		t.Fatal("the database files do not contain the token's hash; is the test reading the right files?")
	}
}

func TestSessionsSurviveReopen(t *testing.T) {
	s, path := openSessions(t)
	token, sess := sessiontest.Create(t, s, "user-1", sessiontest.T0)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	got, err := s2.Lookup(token, sessiontest.T0.Add(time.Second))
	if err != nil || got != sess {
		t.Fatalf("after reopen Lookup = %+v, %v; want %+v", got, err, sess)
	}
}

// TestAttemptsTableFromBeforeInFlightCount_AUTH5: a sessions file whose
// throttle counters were made before attempts in flight were counted apart
// gains the columns on open; its attempts all count as failed, erring on
// the safe side, and the new counts are stored from then on.
func TestAttemptsTableFromBeforeInFlightCount_AUTH5(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sessions.db")
	old, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = old.Exec(`CREATE TABLE attempts (
		key TEXT PRIMARY KEY, attempts INTEGER NOT NULL, window_start INTEGER NOT NULL,
		locked_until INTEGER NOT NULL, strikes INTEGER NOT NULL, forget_after INTEGER NOT NULL) WITHOUT ROWID`)
	if err == nil {
		_, err = old.Exec(`INSERT INTO attempts VALUES ('k', 3, ?, 0, 1, ?)`,
			sessiontest.T0.UnixNano(), sessiontest.T0.Add(time.Hour).UnixNano())
	}
	if err == nil {
		err = old.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	sessiontest.AttemptsFromBeforeInFlightCount(t, func() session.Store {
		s, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestMFATableFromBeforeEpochs_Issue17: a sessions file whose second
// factors were kept before they carried the epoch their set-up began under
// gains the columns on open; what it holds counts as begun before any
// reset, so the next reset removes it.
func TestMFATableFromBeforeEpochs_Issue17(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sessions.db")
	old, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = old.Exec(`CREATE TABLE mfa (user_id TEXT PRIMARY KEY, secret BLOB, last_step INTEGER NOT NULL DEFAULT 0,
		pending BLOB, pending_at INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID`)
	if err == nil {
		_, err = old.Exec(`INSERT INTO mfa VALUES ('u1', x'01', 7, x'02', ?)`, sessiontest.T0.UnixNano())
	}
	if err == nil {
		err = old.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	m, err := s.MFA("u1")
	if err != nil || m.Secret == nil || m.Pending == nil || m.SecretEpoch != 0 || m.PendingEpoch != 0 || m.LastStep != 7 {
		t.Fatalf("MFA kept before epochs = %+v, %v; want both secrets under epoch 0", m, err)
	}
	if err := s.DeleteMFA("u1", 1); err != nil {
		t.Fatal(err)
	}
	if m, err := s.MFA("u1"); err != nil || m.Secret != nil || m.Pending != nil {
		t.Fatalf("MFA after the first reset = %+v, %v; want zero", m, err)
	}
}
