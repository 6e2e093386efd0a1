package auth

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/domain"
)

// openSessions opens a session store on a fresh file in tb's temp dir and
// closes it when the test ends.
func openSessions(tb testing.TB) (*SQLiteSessions, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "sessions.db")
	s, err := OpenSessions(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s, path
}

// create starts a session for userID at now or fails tb.
func create(tb testing.TB, s SessionStore, userID string, now time.Time) (string, Session) {
	tb.Helper()
	token, sess, err := s.Create(userID, "org-1", "cred-1", now)
	if err != nil {
		tb.Fatal(err)
	}
	return token, sess
}

// wantUnauthorized fails tb unless Lookup refuses token at now with the one
// message every refusal carries.
func wantUnauthorized(tb testing.TB, s SessionStore, token string, now time.Time) {
	tb.Helper()
	_, err := s.Lookup(token, now)
	wantCode(tb, err, domain.Unauthorized)
	if msg := domain.ErrorMessage(err); msg != "invalid or expired session" {
		tb.Fatalf("message = %q, want the common one", msg)
	}
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

// TestSessionTokens proves R-AUTH-3: tokens carry at least 128 random bits.
func TestSessionTokens(t *testing.T) { forEachSessionStore(t, testSessionTokens) }

func testSessionTokens(t *testing.T, open openSessionStore) {
	s := open(t, SessionConfig{})
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		token, _ := create(t, s, "user-1", t0)
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil {
			t.Fatalf("token %q is not unpadded base64url: %v", token, err)
		}
		if len(raw)*8 < 128 {
			t.Fatalf("token has %d bits, want at least 128", len(raw)*8)
		}
		if seen[token] {
			t.Fatal("a token repeated")
		}
		seen[token] = true
	}
}

// TestSessionTokenStoredHashed proves R-AUTH-3: the database file holds
// only the SHA-256 of a token, never the token.
func TestSessionTokenStoredHashed(t *testing.T) {
	s, path := openSessions(t)
	token, _ := create(t, s, "user-1", t0)
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
	if !bytes.Contains(all, hashToken(token)) {
		t.Fatal("the database files do not contain the token's hash; is the test reading the right files?")
	}
}

func TestSessionLookup(t *testing.T) { forEachSessionStore(t, testSessionLookup) }

func testSessionLookup(t *testing.T, open openSessionStore) {
	s := open(t, SessionConfig{})
	token, created := create(t, s, "user-1", t0)
	if created.ID == "" || created.UserID != "user-1" || created.OrganisationID != "org-1" ||
		!created.CreatedAt.Equal(t0) || !created.LastSeenAt.Equal(t0) || !created.ExpiresAt.Equal(t0.Add(12*time.Hour)) {
		t.Fatalf("Create returned %+v", created)
	}
	got, err := s.Lookup(token, t0.Add(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if got != created || got.Credential != "cred-1" {
		t.Fatalf("Lookup = %+v, want %+v (unchanged within a hundredth of the idle timeout)", got, created)
	}
	got, err = s.Lookup(token, t0.Add(5*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if !got.LastSeenAt.Equal(t0.Add(5 * time.Minute)) {
		t.Fatalf("LastSeenAt = %v, want it updated to %v", got.LastSeenAt, t0.Add(5*time.Minute))
	}
}

// TestSessionExpiry proves R-AUTH-3: sessions expire when idle and at their
// absolute end, however active.
func TestSessionExpiry(t *testing.T) { forEachSessionStore(t, testSessionExpiry) }

func testSessionExpiry(t *testing.T, open openSessionStore) {
	tests := []struct {
		name   string
		visits []time.Duration // Lookups before the final one, after t0
		final  time.Duration
		ok     bool
	}{
		{"OKJustBeforeIdle", nil, 30 * time.Minute, true},
		{"ErrIdle", nil, 30*time.Minute + time.Second, false},
		{"OKKeptAlive", []time.Duration{20 * time.Minute, 40 * time.Minute}, 70 * time.Minute, true},
		{"ErrIdleAfterLastVisit", []time.Duration{20 * time.Minute}, 51 * time.Minute, false},
		{"ErrAbsolute", everyTwentyMinutesFor(12 * time.Hour), 12 * time.Hour, false},
		{"OKJustBeforeAbsolute", everyTwentyMinutesFor(12 * time.Hour), 12*time.Hour - time.Second, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t, SessionConfig{})
			token, _ := create(t, s, "user-1", t0)
			for _, v := range tt.visits {
				if _, err := s.Lookup(token, t0.Add(v)); err != nil {
					t.Fatalf("visit at +%v: %v", v, err)
				}
			}
			if !tt.ok {
				wantUnauthorized(t, s, token, t0.Add(tt.final))
				return
			}
			if _, err := s.Lookup(token, t0.Add(tt.final)); err != nil {
				t.Fatalf("Lookup at +%v: %v", tt.final, err)
			}
		})
	}
}

func everyTwentyMinutesFor(d time.Duration) []time.Duration {
	var v []time.Duration
	for at := 20 * time.Minute; at < d; at += 20 * time.Minute {
		v = append(v, at)
	}
	return v
}

func TestSessionBadTokens(t *testing.T) { forEachSessionStore(t, testSessionBadTokens) }

func testSessionBadTokens(t *testing.T, open openSessionStore) {
	s := open(t, SessionConfig{})
	token, _ := create(t, s, "user-1", t0)
	unknown, err := newToken()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, token string }{
		{"Empty", ""},
		{"Garbage", "not a token"},
		{"Truncated", token[:len(token)-1]},
		{"Padded", token + "="},
		{"Unknown", unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantUnauthorized(t, s, tt.token, t0)
		})
	}
}

// TestSessionLogout proves R-AUTH-3: a session ends at logout.
func TestSessionLogout(t *testing.T) { forEachSessionStore(t, testSessionLogout) }

func testSessionLogout(t *testing.T, open openSessionStore) {
	s := open(t, SessionConfig{})
	token, _ := create(t, s, "user-1", t0)
	other, _ := create(t, s, "user-1", t0)
	if err := s.Delete(token); err != nil {
		t.Fatal(err)
	}
	wantUnauthorized(t, s, token, t0.Add(time.Second))
	if _, err := s.Lookup(other, t0.Add(time.Second)); err != nil {
		t.Fatalf("logging out one session ended another: %v", err)
	}
	if err := s.Delete(token); err != nil {
		t.Fatalf("second logout = %v, want nil", err)
	}
}

// TestSessionDeleteForUser proves R-AUTH-3 and R-ORG-3: closing an account
// (or changing its password) ends every one of its sessions at once.
func TestSessionDeleteForUser(t *testing.T) { forEachSessionStore(t, testSessionDeleteForUser) }

func testSessionDeleteForUser(t *testing.T, open openSessionStore) {
	s := open(t, SessionConfig{})
	a1, _ := create(t, s, "user-1", t0)
	a2, _ := create(t, s, "user-1", t0)
	b, _ := create(t, s, "user-2", t0)
	if err := s.DeleteForUser("user-1"); err != nil {
		t.Fatal(err)
	}
	wantUnauthorized(t, s, a1, t0.Add(time.Second))
	wantUnauthorized(t, s, a2, t0.Add(5*time.Minute))
	if _, err := s.Lookup(b, t0.Add(5*time.Minute)); err != nil {
		t.Fatalf("another user's session ended: %v", err)
	}
}

func TestSessionPurge(t *testing.T) { forEachSessionStore(t, testSessionPurge) }

func testSessionPurge(t *testing.T, open openSessionStore) {
	s := open(t, SessionConfig{})
	idle, _ := create(t, s, "user-1", t0)
	live, _ := create(t, s, "user-2", t0.Add(20*time.Minute))
	n, err := s.Purge(t0.Add(31 * time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("Purge removed %d sessions, want 1", n)
	}
	wantUnauthorized(t, s, idle, t0.Add(time.Minute))
	if _, err := s.Lookup(live, t0.Add(31*time.Minute)); err != nil {
		t.Fatal(err)
	}
}

func TestSessionsSurviveReopen(t *testing.T) {
	s, path := openSessions(t)
	token, sess := create(t, s, "user-1", t0)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := OpenSessions(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	got, err := s2.Lookup(token, t0.Add(time.Second))
	if err != nil || got != sess {
		t.Fatalf("after reopen Lookup = %+v, %v; want %+v", got, err, sess)
	}
}

func TestSessionConfigTimeouts(t *testing.T) { forEachSessionStore(t, testSessionConfigTimeouts) }

func testSessionConfigTimeouts(t *testing.T, open openSessionStore) {
	s := open(t, SessionConfig{IdleTimeout: 5 * time.Minute, AbsoluteTimeout: time.Hour})
	token, sess := create(t, s, "user-1", t0)
	if !sess.ExpiresAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("ExpiresAt = %v, want an hour after creation", sess.ExpiresAt)
	}
	wantUnauthorized(t, s, token, t0.Add(6*time.Minute))
}

func TestCreateNeedsUserAndOrganisation(t *testing.T) {
	forEachSessionStore(t, testCreateNeedsUserAndOrganisation)
}

func testCreateNeedsUserAndOrganisation(t *testing.T, open openSessionStore) {
	s := open(t, SessionConfig{})
	if _, _, err := s.Create("", "org-1", "cred-1", t0); err == nil {
		t.Error("Create without a user succeeded")
	}
	if _, _, err := s.Create("user-1", "", "cred-1", t0); err == nil {
		t.Error("Create without an organisation succeeded")
	}
}
