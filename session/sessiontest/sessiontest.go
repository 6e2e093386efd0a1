// Package sessiontest is the contract every session store must pass: one
// suite, run by each backend's own tests, so the SQLite backend and the
// PostgreSQL one cannot drift apart (R-AUTH-3, R-AUTH-5).
//
//	func TestContract(t *testing.T) { sessiontest.Run(t, open) }
package sessiontest

import (
	"encoding/base64"
	"sync"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/session"
)

// Factory opens a new, empty store with cfg and closes it when tb ends.
type Factory func(tb testing.TB, cfg session.Config) session.Store

// T0 is the suite's starting time; every clock in it counts from there.
var T0 = time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)

// Run runs the whole contract against stores made by open, one fresh store
// per case.
func Run(t *testing.T, open Factory) {
	cases := []struct {
		name string
		run  func(*testing.T, Factory)
	}{
		{"Tokens_R-AUTH-3", testSessionTokens},
		{"Lookup", testSessionLookup},
		{"PeekDoesNotExtend_R-AUTH-3", testSessionPeek},
		{"Expiry_R-AUTH-3", testSessionExpiry},
		{"BadTokens", testSessionBadTokens},
		{"Logout_R-AUTH-3", testSessionLogout},
		{"DeleteForUser", testSessionDeleteForUser},
		{"KeepOnly_R-AUTH-6", testSessionKeepOnly},
		{"Purge", testSessionPurge},
		{"ConfigTimeouts", testSessionConfigTimeouts},
		{"CreateNeedsUserAndOrganisation", testCreateNeedsUserAndOrganisation},
		{"IdleTimeoutAnyLength_R-AUTH-3", testSessionIdleTimeoutAnyLength},
		{"AttemptStore_R-AUTH-5", testAttemptStore},
		{"LastSignIns_R-ORG-3", testLastSignIns},
		{"MFA_Issue17", testMFA},
		{"MFAReplayAcrossCallers_Issue17", testMFAReplayConcurrent},
		{"MFAChallenges_Issue17", testMFAChallenges},
		{"MFAResetKeepsWhatCameAfter_Issue17", testMFAResetEpochs},
		{"ResealMFA_Issue17", testResealMFA},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, open) })
	}
}

// Create starts a session for userID at now or fails tb.
func Create(tb testing.TB, s session.Store, userID string, now time.Time) (string, session.Session) {
	tb.Helper()
	token, sess, err := s.Create(userID, "org-1", "cred-1", now)
	if err != nil {
		tb.Fatal(err)
	}
	return token, sess
}

// WantUnauthorized fails tb unless Lookup refuses token at now with the one
// message every refusal carries.
func WantUnauthorized(tb testing.TB, s session.Store, token string, now time.Time) {
	tb.Helper()
	_, err := s.Lookup(token, now)
	wantCode(tb, err, domain.Unauthorized)
	if msg := domain.ErrorMessage(err); msg != "invalid or expired session" {
		tb.Fatalf("message = %q, want the common one", msg)
	}
}

// wantCode fails tb unless err carries the code want.
func wantCode(tb testing.TB, err error, want domain.Code) {
	tb.Helper()
	if got := domain.ErrorCode(err); got != want {
		tb.Fatalf("error code = %q (%v), want %q", got, err, want)
	}
}

// testSessionTokens proves R-AUTH-3: tokens carry at least 128 random bits.
func testSessionTokens(t *testing.T, open Factory) {
	s := open(t, session.Config{})
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		token, _ := Create(t, s, "user-1", T0)
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

func testSessionLookup(t *testing.T, open Factory) {
	s := open(t, session.Config{})
	token, created := Create(t, s, "user-1", T0)
	if created.ID == "" || created.UserID != "user-1" || created.OrganisationID != "org-1" ||
		!created.CreatedAt.Equal(T0) || !created.LastSeenAt.Equal(T0) || !created.ExpiresAt.Equal(T0.Add(12*time.Hour)) {
		t.Fatalf("Create returned %+v", created)
	}
	got, err := s.Lookup(token, T0.Add(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if got != created || got.Credential != "cred-1" {
		t.Fatalf("Lookup = %+v, want %+v (unchanged within a hundredth of the idle timeout)", got, created)
	}
	got, err = s.Lookup(token, T0.Add(5*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if !got.LastSeenAt.Equal(T0.Add(5 * time.Minute)) {
		t.Fatalf("LastSeenAt = %v, want it updated to %v", got.LastSeenAt, T0.Add(5*time.Minute))
	}
}

// testSessionPeek proves R-AUTH-3 for the pages' timeout warning: Peek
// tells when a session ends (idle after its last use, or at its absolute
// expiry if sooner) without putting that off, so asking does not keep an
// idle session alive; and it refuses what Lookup refuses.
func testSessionPeek(t *testing.T, open Factory) {
	s := open(t, session.Config{IdleTimeout: 30 * time.Minute, AbsoluteTimeout: time.Hour})
	token, created := Create(t, s, "user-1", T0)
	used := T0.Add(10 * time.Minute)
	if _, err := s.Lookup(token, used); err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Duration{20 * time.Minute, 39 * time.Minute} {
		got, ends, err := s.Peek(token, T0.Add(at))
		if err != nil {
			t.Fatalf("Peek at T0+%v: %v", at, err)
		}
		if got.ID != created.ID || got.UserID != "user-1" || got.Credential != "cred-1" {
			t.Fatalf("Peek = %+v, want the session %+v", got, created)
		}
		if want := used.Add(30 * time.Minute); !ends.Equal(want) {
			t.Fatalf("Peek at T0+%v: ends at %v, want %v (idle after the last use, not after the peek)", at, ends, want)
		}
	}
	// Peeking did not put the end off: the session is over when it said.
	WantUnauthorized(t, s, token, used.Add(30*time.Minute+time.Second))
	if _, _, err := s.Peek(token, used.Add(30*time.Minute+time.Second)); domain.ErrorCode(err) != domain.Unauthorized {
		t.Fatalf("Peek of an ended session: %v, want unauthorized", err)
	}

	// Near its absolute expiry, the session ends then, however recently used.
	late, _ := Create(t, s, "user-2", T0)
	for _, at := range []time.Duration{25 * time.Minute, 50 * time.Minute} {
		if _, err := s.Lookup(late, T0.Add(at)); err != nil {
			t.Fatal(err)
		}
	}
	if _, ends, err := s.Peek(late, T0.Add(51*time.Minute)); err != nil || !ends.Equal(T0.Add(time.Hour)) {
		t.Fatalf("Peek near the absolute expiry: ends %v, %v; want %v", ends, err, T0.Add(time.Hour))
	}

	// A session signed out, or a token never issued, is refused.
	gone, _ := Create(t, s, "user-3", T0)
	if err := s.Delete(gone); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{gone, "not-a-token", ""} {
		_, _, err := s.Peek(tok, T0.Add(time.Minute))
		wantCode(t, err, domain.Unauthorized)
	}
}

// testSessionExpiry proves R-AUTH-3: sessions expire when idle and at their
// absolute end, however active.
func testSessionExpiry(t *testing.T, open Factory) {
	tests := []struct {
		name   string
		visits []time.Duration // Lookups before the final one, after T0
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
			s := open(t, session.Config{})
			token, _ := Create(t, s, "user-1", T0)
			for _, v := range tt.visits {
				if _, err := s.Lookup(token, T0.Add(v)); err != nil {
					t.Fatalf("visit at +%v: %v", v, err)
				}
			}
			if !tt.ok {
				WantUnauthorized(t, s, token, T0.Add(tt.final))
				return
			}
			if _, err := s.Lookup(token, T0.Add(tt.final)); err != nil {
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

func testSessionBadTokens(t *testing.T, open Factory) {
	s := open(t, session.Config{})
	token, _ := Create(t, s, "user-1", T0)
	unknown, err := session.NewToken()
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
			WantUnauthorized(t, s, tt.token, T0)
		})
	}
}

// testSessionLogout proves R-AUTH-3: a session ends at logout.
func testSessionLogout(t *testing.T, open Factory) {
	s := open(t, session.Config{})
	token, _ := Create(t, s, "user-1", T0)
	other, _ := Create(t, s, "user-1", T0)
	if err := s.Delete(token); err != nil {
		t.Fatal(err)
	}
	WantUnauthorized(t, s, token, T0.Add(time.Second))
	if _, err := s.Lookup(other, T0.Add(time.Second)); err != nil {
		t.Fatalf("logging out one session ended another: %v", err)
	}
	if err := s.Delete(token); err != nil {
		t.Fatalf("second logout = %v, want nil", err)
	}
}

// testSessionDeleteForUser proves R-AUTH-3 and R-ORG-3: closing an account
// (or changing its password) ends every one of its sessions at once.
func testSessionDeleteForUser(t *testing.T, open Factory) {
	s := open(t, session.Config{})
	a1, _ := Create(t, s, "user-1", T0)
	a2, _ := Create(t, s, "user-1", T0)
	b, _ := Create(t, s, "user-2", T0)
	if err := s.DeleteForUser("user-1"); err != nil {
		t.Fatal(err)
	}
	WantUnauthorized(t, s, a1, T0.Add(time.Second))
	WantUnauthorized(t, s, a2, T0.Add(5*time.Minute))
	if _, err := s.Lookup(b, T0.Add(5*time.Minute)); err != nil {
		t.Fatalf("another user's session ended: %v", err)
	}
}

// testSessionKeepOnly proves R-AUTH-6: a user's own password change keeps
// the session that made it, now holding the new password's credential,
// and ends every other session of the user; another user's session, or a
// token of another user, is not kept.
func testSessionKeepOnly(t *testing.T, open Factory) {
	s := open(t, session.Config{})
	mine, _ := Create(t, s, "user-1", T0)
	other, _ := Create(t, s, "user-1", T0)
	theirs, _ := Create(t, s, "user-2", T0)
	if err := s.KeepOnly(mine, "user-1", "cred-2"); err != nil {
		t.Fatal(err)
	}
	got, err := s.Lookup(mine, T0.Add(time.Second))
	if err != nil || got.UserID != "user-1" || got.Credential != "cred-2" {
		t.Fatalf("the session kept: %+v, %v; want user-1 with cred-2", got, err)
	}
	WantUnauthorized(t, s, other, T0.Add(time.Second))
	if _, err := s.Lookup(theirs, T0.Add(time.Second)); err != nil {
		t.Fatalf("another user's session ended: %v", err)
	}
	// Another user's token kept for user-1: every session of user-1 ends,
	// and the other user's session keeps its credential.
	if err := s.KeepOnly(theirs, "user-1", "cred-3"); err != nil {
		t.Fatal(err)
	}
	WantUnauthorized(t, s, mine, T0.Add(2*time.Second))
	if got, err := s.Lookup(theirs, T0.Add(2*time.Second)); err != nil || got.Credential != "cred-1" {
		t.Fatalf("another user's session: %+v, %v; want it unchanged", got, err)
	}
}

func testSessionPurge(t *testing.T, open Factory) {
	s := open(t, session.Config{})
	idle, _ := Create(t, s, "user-1", T0)
	live, _ := Create(t, s, "user-2", T0.Add(20*time.Minute))
	n, err := s.Purge(T0.Add(31 * time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("Purge removed %d sessions, want 1", n)
	}
	WantUnauthorized(t, s, idle, T0.Add(time.Minute))
	if _, err := s.Lookup(live, T0.Add(31*time.Minute)); err != nil {
		t.Fatal(err)
	}
}

func testSessionConfigTimeouts(t *testing.T, open Factory) {
	s := open(t, session.Config{IdleTimeout: 5 * time.Minute, AbsoluteTimeout: time.Hour})
	token, sess := Create(t, s, "user-1", T0)
	if !sess.ExpiresAt.Equal(T0.Add(time.Hour)) {
		t.Fatalf("ExpiresAt = %v, want an hour after creation", sess.ExpiresAt)
	}
	WantUnauthorized(t, s, token, T0.Add(6*time.Minute))
}

func testCreateNeedsUserAndOrganisation(t *testing.T, open Factory) {
	s := open(t, session.Config{})
	if _, _, err := s.Create("", "org-1", "cred-1", T0); err == nil {
		t.Error("Create without a user succeeded")
	}
	if _, _, err := s.Create("user-1", "", "cred-1", T0); err == nil {
		t.Error("Create without an organisation succeeded")
	}
}

// testSessionIdleTimeoutAnyLength proves R-AUTH-3's idle timeout for any
// length from a second up: a session used at intervals shorter than the
// idle timeout lives until its absolute end, and one left alone for longer
// than the idle timeout dies. The clock is injected.
func testSessionIdleTimeoutAnyLength(t *testing.T, open Factory) {
	for _, idle := range []time.Duration{time.Second, 2 * time.Second, time.Minute, 30 * time.Minute} {
		t.Run(idle.String(), func(t *testing.T) {
			absolute := 20 * idle
			s := open(t, session.Config{IdleTimeout: idle, AbsoluteTimeout: absolute})
			for _, every := range []time.Duration{idle / 4, idle * 95 / 100} {
				token, _ := Create(t, s, "user-1", T0)
				at := T0
				for at.Add(every).Before(T0.Add(absolute)) {
					at = at.Add(every)
					if _, err := s.Lookup(token, at); err != nil {
						t.Fatalf("used every %v: refused at +%v: %v", every, at.Sub(T0), err)
					}
				}
				WantUnauthorized(t, s, token, T0.Add(absolute))
			}
			token, _ := Create(t, s, "user-1", T0)
			if _, err := s.Lookup(token, T0.Add(idle/2)); err != nil {
				t.Fatal(err)
			}
			WantUnauthorized(t, s, token, T0.Add(idle/2+idle+time.Millisecond))
		})
	}
}

// testAttemptStore is the AttemptStore contract both session backends pass
// (R-AUTH-5): counters start at zero, are stored as update returns them,
// updates of one key never interleave, and Purge drops only counters whose
// ForgetAfter has passed.
func testAttemptStore(t *testing.T, open Factory) {
	t.Run("ZeroThenStored", func(t *testing.T) {
		s := open(t, session.Config{})
		want := session.AttemptCounter{Key: "k1", Attempts: 3, Pending: 2, PendingUntil: T0.Add(time.Minute),
			WindowStart: T0, LockedUntil: T0.Add(time.Hour), Strikes: 2, ForgetAfter: T0.Add(2 * time.Hour)}
		err := s.UpdateAttempts([]string{"k1", "k2"}, func(cs []session.AttemptCounter) []session.AttemptCounter {
			if cs[0] != (session.AttemptCounter{Key: "k1"}) || cs[1] != (session.AttemptCounter{Key: "k2"}) {
				t.Errorf("new counters = %+v, want zero with their keys", cs)
			}
			return []session.AttemptCounter{want, {Key: "k2", Attempts: 1}}
		})
		if err != nil {
			t.Fatal(err)
		}
		err = s.UpdateAttempts([]string{"k2", "k1"}, func(cs []session.AttemptCounter) []session.AttemptCounter {
			if cs[1] != want || cs[0] != (session.AttemptCounter{Key: "k2", Attempts: 1}) {
				t.Errorf("stored counters = %+v, want k2 then %+v", cs, want)
			}
			return cs
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("Atomic", func(t *testing.T) {
		s := open(t, session.Config{})
		var wg sync.WaitGroup
		for i := 0; i < 20; i++ {
			wg.Go(func() {
				keys := []string{"a", "b"}
				if i%2 == 1 {
					keys = []string{"b", "a"} // opposite orders must not deadlock
				}
				err := s.UpdateAttempts(keys, func(cs []session.AttemptCounter) []session.AttemptCounter {
					for j := range cs {
						cs[j].Attempts++
					}
					return cs
				})
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		_ = s.UpdateAttempts([]string{"a", "b"}, func(cs []session.AttemptCounter) []session.AttemptCounter {
			if cs[0].Attempts != 20 || cs[1].Attempts != 20 {
				t.Errorf("after 20 concurrent increments: %d, %d", cs[0].Attempts, cs[1].Attempts)
			}
			return cs
		})
	})
	t.Run("Purge", func(t *testing.T) {
		s := open(t, session.Config{})
		_ = s.UpdateAttempts([]string{"old", "live"}, func(cs []session.AttemptCounter) []session.AttemptCounter {
			cs[0].Attempts, cs[0].ForgetAfter = 5, T0
			cs[1].Attempts, cs[1].ForgetAfter = 5, T0.Add(time.Second)
			return cs
		})
		if _, err := s.Purge(T0); err != nil {
			t.Fatal(err)
		}
		_ = s.UpdateAttempts([]string{"old", "live"}, func(cs []session.AttemptCounter) []session.AttemptCounter {
			if cs[0].Attempts != 0 || cs[1].Attempts != 5 {
				t.Errorf("after Purge: old %d, live %d attempts; want 0 and 5", cs[0].Attempts, cs[1].Attempts)
			}
			return cs
		})
	})
}

// AttemptsFromBeforeInFlightCount checks a store whose throttle counters
// were made before attempts in flight were counted apart (R-AUTH-5): open
// opens it over a counter "k" stored then with 3 attempts in the window
// from T0, 1 strike and ForgetAfter an hour after T0. Those attempts read
// as failed (none pending), and the in-flight count is stored from then
// on.
func AttemptsFromBeforeInFlightCount(t *testing.T, open func() session.Store) {
	t.Helper()
	s := open()
	old := session.AttemptCounter{Key: "k", Attempts: 3, WindowStart: T0, Strikes: 1, ForgetAfter: T0.Add(time.Hour)}
	next := old
	next.Attempts, next.Pending, next.PendingUntil = 4, 1, T0.Add(time.Minute)
	err := s.UpdateAttempts([]string{"k"}, func(cs []session.AttemptCounter) []session.AttemptCounter {
		if cs[0] != old {
			t.Errorf("counter made before the in-flight count = %+v, want %+v", cs[0], old)
		}
		return []session.AttemptCounter{next}
	})
	if err != nil {
		t.Fatal(err)
	}
	err = open().UpdateAttempts([]string{"k"}, func(cs []session.AttemptCounter) []session.AttemptCounter {
		if cs[0] != next {
			t.Errorf("stored %+v, want %+v", cs[0], next)
		}
		return cs
	})
	if err != nil {
		t.Fatal(err)
	}
}

// testLastSignIns: the org lead's list of users shows when each last
// signed in (R-ORG-3). The time outlives logout, account closure and the
// purge of expired sessions, a later sign-in replaces it, and a user never
// signed in has none.
func testLastSignIns(t *testing.T, open Factory) {
	s := open(t, session.Config{})
	first, _ := Create(t, s, "user-1", T0)
	_, later := Create(t, s, "user-1", T0.Add(time.Hour))
	_, other := Create(t, s, "user-2", T0.Add(2*time.Minute))
	if err := s.Delete(first); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteForUser("user-2"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Purge(T0.Add(48 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, err := s.LastSignIns([]string{"user-1", "user-2", "user-3"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got["user-1"].Equal(later.CreatedAt) || !got["user-2"].Equal(other.CreatedAt) {
		t.Fatalf("LastSignIns = %v, want user-1 at %v and user-2 at %v", got, later.CreatedAt, other.CreatedAt)
	}
	if _, ok := got["user-3"]; ok {
		t.Fatal("a user never signed in has a last sign-in")
	}
	if got, err := s.LastSignIns(nil); err != nil || len(got) != 0 {
		t.Fatalf("LastSignIns(nil) = %v, %v", got, err)
	}
}
