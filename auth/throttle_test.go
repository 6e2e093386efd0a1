package auth

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/session"
)

var t0 = time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)

// newThrottle returns a Throttle with cfg over a fresh SQLite session store.
func newThrottle(tb testing.TB, cfg ThrottleConfig) *Throttle {
	tb.Helper()
	return NewThrottle(cfg, openSQLiteSessions(tb, session.Config{}))
}

// fail makes n attempts for username from addr, a second apart from at,
// as wrong passwords (reserved, then settled as failed), and returns the
// time of the last.
func fail(tb testing.TB, th *Throttle, username, addr string, at time.Time, n int) time.Time {
	tb.Helper()
	for i := 0; i < n; i++ {
		at = at.Add(time.Second)
		a, refused, err := th.Reserve(username, addr, at)
		if err != nil || refused != nil {
			tb.Fatalf("attempt %d for %q: refused %+v, err %v", i+1, username, refused, err)
		}
		if err := a.Fail(); err != nil {
			tb.Fatal(err)
		}
	}
	return at
}

// reserve reserves an attempt and fails tb unless it is allowed.
func reserve(tb testing.TB, th *Throttle, username, addr string, at time.Time) Attempt {
	tb.Helper()
	a, refused, err := th.Reserve(username, addr, at)
	if err != nil || refused != nil {
		tb.Fatalf("Reserve(%q, %q): refused %+v, err %v; want allowed", username, addr, refused, err)
	}
	return a
}

// wantAllowed fails tb unless an attempt at at gives ok, and, when refused,
// exactly retryAfter, as a lockout. An allowed attempt is released again,
// as a right password would be, so it leaves the counts as they were.
func wantAllowed(tb testing.TB, th *Throttle, username, addr string, at time.Time, ok bool, retryAfter time.Duration) {
	tb.Helper()
	wantReserve(tb, th, username, addr, at, ok, retryAfter, false)
}

// wantReserve is wantAllowed, wanting a refusal to be for attempts in
// flight (inFlight) or a lockout.
func wantReserve(tb testing.TB, th *Throttle, username, addr string, at time.Time, ok bool, retryAfter time.Duration, inFlight bool) {
	tb.Helper()
	a, refused, err := th.Reserve(username, addr, at)
	if err != nil {
		tb.Fatal(err)
	}
	if ok {
		if refused != nil {
			tb.Fatalf("Reserve(%q, %q) refused %+v; want allowed", username, addr, *refused)
		}
	} else if refused == nil || refused.RetryAfter != retryAfter || refused.InFlight != inFlight {
		tb.Fatalf("Reserve(%q, %q) refused %+v; want refused for %v, in flight %v", username, addr, refused, retryAfter, inFlight)
	}
	if err := a.Release(); err != nil {
		tb.Fatal(err)
	}
}

// TestThrottleAccount proves R-AUTH-3's per-account throttle: once five
// attempts within the window have failed, the account is locked, from
// every address, for a window from the first refused attempt.
func TestThrottleAccount(t *testing.T) {
	tests := []struct {
		name      string
		failures  int
		checkAddr string
		after     time.Duration
		ok        bool
		wait      time.Duration
	}{
		{"OKFourFailures", 4, "192.0.2.1", 0, true, 0},
		{"LockedAfterFive", 5, "192.0.2.1", 0, false, 15 * time.Minute},
		{"LockedFromOtherAddress", 5, "198.51.100.7", 0, false, 15 * time.Minute},
		{"OKAfterWindow", 5, "192.0.2.1", 15 * time.Minute, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th := newThrottle(t, ThrottleConfig{})
			last := fail(t, th, "alice", "192.0.2.1", t0, tt.failures)
			wantAllowed(t, th, "alice", tt.checkAddr, last.Add(tt.after), tt.ok, tt.wait)
			wantAllowed(t, th, "bob", "203.0.113.9", last.Add(tt.after), true, 0)
		})
	}
}

func TestThrottleStillLockedLater(t *testing.T) {
	th := newThrottle(t, ThrottleConfig{})
	last := fail(t, th, "alice", "192.0.2.1", t0, 5)
	wantAllowed(t, th, "alice", "192.0.2.1", last, false, 15*time.Minute)
	wantAllowed(t, th, "alice", "192.0.2.1", last.Add(10*time.Minute), false, 5*time.Minute)
	wantAllowed(t, th, "alice", "192.0.2.1", last.Add(15*time.Minute), true, 0)
}

// TestThrottleSameForUnknownUsername_AUTH3 proves R-AUTH-3: the throttle
// treats a username that does not exist exactly like one that does, since
// it never knows which is which.
func TestThrottleSameForUnknownUsername_AUTH3(t *testing.T) {
	th := newThrottle(t, ThrottleConfig{})
	at := t0
	for i := 0; i < 8; i++ {
		at = at.Add(time.Second)
		a1, r1, err1 := th.Reserve("alice", "192.0.2.1", at)
		a2, r2, err2 := th.Reserve("no-such-user", "192.0.2.2", at)
		if (r1 == nil) != (r2 == nil) || r1 != nil && *r1 != *r2 || err1 != nil || err2 != nil {
			t.Fatalf("attempt %d: known %+v,%v; unknown %+v,%v", i+1, r1, err1, r2, err2)
		}
		if err := errors.Join(a1.Fail(), a2.Fail()); err != nil {
			t.Fatal(err)
		}
	}
}

func TestThrottleCaseFoldsUsernames(t *testing.T) {
	th := newThrottle(t, ThrottleConfig{})
	at := fail(t, th, "Alice", "192.0.2.1", t0, 2)
	at = fail(t, th, "ALICE", "192.0.2.1", at, 2)
	at = fail(t, th, " alice ", "192.0.2.1", at, 1)
	wantAllowed(t, th, "aLiCe", "192.0.2.9", at, false, 15*time.Minute)
}

// TestThrottleAddress proves R-AUTH-3's per-address throttle: twenty
// failures from one address lock it for every username, independently of
// the account limits.
func TestThrottleAddress(t *testing.T) {
	th := newThrottle(t, ThrottleConfig{})
	at := t0
	for i := 0; i < 20; i++ {
		// Spread over many usernames so that no account limit is reached.
		at = fail(t, th, fmt.Sprintf("user%d", i), "192.0.2.1", at, 1)
	}
	wantAllowed(t, th, "fresh-user", "192.0.2.1", at, false, 15*time.Minute)
	wantAllowed(t, th, "user0", "198.51.100.7", at, true, 0)
}

func TestThrottleAddressKey(t *testing.T) {
	tests := []struct{ name, a, b string }{
		{"IPv4Port", "192.0.2.1:5555", "192.0.2.1"},
		{"IPv4Mapped", "::ffff:192.0.2.1", "192.0.2.1"},
		{"IPv6SameSlash64", "2001:db8:1:2::1", "2001:db8:1:2:ffff::9"},
		{"IPv6Port", "[2001:db8:1:2::1]:443", "2001:db8:1:2::7"},
		{"IPv6Zone", "fe80::1%eth0", "fe80::2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if ka, kb := addressKey(tt.a), addressKey(tt.b); ka != kb {
				t.Fatalf("addressKey(%q) = %q, addressKey(%q) = %q; want equal", tt.a, ka, tt.b, kb)
			}
		})
	}
	if addressKey("2001:db8:1:2::1") == addressKey("2001:db8:1:3::1") {
		t.Error("different IPv6 /64 networks share a key")
	}
}

func TestThrottleWindow(t *testing.T) {
	th := newThrottle(t, ThrottleConfig{})
	fail(t, th, "alice", "192.0.2.1", t0, 4)
	// The window started with the first failure; once it has passed the
	// count starts again, so one more failure does not lock.
	at := fail(t, th, "alice", "192.0.2.1", t0.Add(15*time.Minute), 1)
	wantAllowed(t, th, "alice", "192.0.2.1", at, true, 0)
	at = fail(t, th, "alice", "192.0.2.1", at, 4)
	wantAllowed(t, th, "alice", "192.0.2.1", at, false, 15*time.Minute)
}

func TestThrottleBackoff(t *testing.T) {
	th := newThrottle(t, ThrottleConfig{MaxLockout: time.Hour})
	at := t0
	for _, want := range []time.Duration{15 * time.Minute, 30 * time.Minute, time.Hour, time.Hour} {
		at = fail(t, th, "alice", "192.0.2.1", at, 5)
		wantAllowed(t, th, "alice", "192.0.2.1", at, false, want)
		at = at.Add(want) // retry as soon as allowed
		wantAllowed(t, th, "alice", "192.0.2.1", at, true, 0)
	}
	// A whole quiet window after the lockout ends forgives the strikes.
	at = fail(t, th, "alice", "192.0.2.1", at.Add(15*time.Minute), 5)
	wantAllowed(t, th, "alice", "192.0.2.1", at, false, 15*time.Minute)
}

func TestThrottleAttemptWhileLockedDoesNotExtend(t *testing.T) {
	// A high address limit, so only the account's lockout is in play.
	th := newThrottle(t, ThrottleConfig{AddressFailures: 1000})
	at := fail(t, th, "alice", "192.0.2.1", t0, 5)
	wantAllowed(t, th, "alice", "192.0.2.1", at, false, 15*time.Minute)
	for i := 0; i < 20; i++ {
		wantAllowed(t, th, "alice", "192.0.2.1", at.Add(time.Minute), false, 14*time.Minute)
	}
}

// TestThrottleReleaseGivesBackOneAttempt_AUTH5 proves R-AUTH-5: a right
// password gives back only its own attempt; the failures before it stay
// counted, for the account and the address, so signing in to an account
// of one's own between guesses does not reset anything.
func TestThrottleReleaseGivesBackOneAttempt_AUTH5(t *testing.T) {
	th := newThrottle(t, ThrottleConfig{AddressFailures: 5})
	at := fail(t, th, "alice", "192.0.2.1", t0, 4)
	wantAllowed(t, th, "alice", "192.0.2.1", at, true, 0) // right password, released
	at = fail(t, th, "alice", "192.0.2.9", at, 1)         // the fifth failure
	wantAllowed(t, th, "alice", "198.51.100.7", at, false, 15*time.Minute)
	// The address has four failures; one more (another account) fills it.
	at = fail(t, th, "mallory", "192.0.2.1", at, 1)
	wantAllowed(t, th, "bob", "192.0.2.1", at, false, 15*time.Minute)
}

// TestThrottleBurst_AUTH5 proves R-AUTH-5: however many attempts arrive at
// once, exactly the limit are let through to have their password checked.
func TestThrottleBurst_AUTH5(t *testing.T) {
	forEachSessionStore(t, func(t *testing.T, open openSessionStore) {
		th := NewThrottle(ThrottleConfig{AddressFailures: 1000}, open(t, session.Config{}))
		var allowed atomic.Int32
		var wg sync.WaitGroup
		for i := 0; i < 40; i++ {
			wg.Go(func() {
				_, refused, err := th.Reserve("alice", fmt.Sprintf("192.0.2.%d", i), t0)
				if err != nil {
					t.Error(err)
				}
				if refused == nil {
					allowed.Add(1)
				}
			})
		}
		wg.Wait()
		if n := allowed.Load(); n != 5 {
			t.Fatalf("%d of 40 concurrent attempts allowed, want exactly the limit of 5", n)
		}
	})
}

// TestThrottleAcrossNodes_AUTH5 proves R-AUTH-5: two nodes sharing one
// store (two handles on one SQLite file, or on one PostgreSQL database)
// together let one account have no more than the limit of attempts, and
// the count survives a restart: the wrong guesses lock the account there.
func TestThrottleAcrossNodes_AUTH5(t *testing.T) {
	forEachSharedSessionStore(t, func(t *testing.T, open func() session.Store) {
		one := NewThrottle(ThrottleConfig{AddressFailures: 1000}, open())
		two := NewThrottle(ThrottleConfig{AddressFailures: 1000}, open())
		var allowed atomic.Int32
		var wg sync.WaitGroup
		attempts := make([]Attempt, 30)
		for i := range attempts {
			th := one
			if i%2 == 1 {
				th = two
			}
			wg.Go(func() {
				a, refused, err := th.Reserve("alice", fmt.Sprintf("192.0.2.%d", i), t0)
				if err != nil {
					t.Error(err)
				}
				if refused == nil {
					allowed.Add(1)
				}
				attempts[i] = a
			})
		}
		wg.Wait()
		if n := allowed.Load(); n != 5 {
			t.Fatalf("%d of 30 attempts over two nodes allowed, want exactly the limit of 5", n)
		}
		for _, a := range attempts {
			if err := a.Fail(); err != nil { // wrong guesses
				t.Fatal(err)
			}
		}
		restarted := NewThrottle(ThrottleConfig{AddressFailures: 1000}, open())
		wantAllowed(t, restarted, "alice", "198.51.100.7", t0.Add(time.Minute), false, 15*time.Minute)
		again := NewThrottle(ThrottleConfig{AddressFailures: 1000}, open())
		wantAllowed(t, again, "alice", "198.51.100.8", t0.Add(2*time.Minute), false, 14*time.Minute)
	})
}

func TestThrottledError(t *testing.T) {
	tests := []struct {
		name string
		wait time.Duration
		want string
	}{
		{"UnderAMinute", 10 * time.Second, "too many failed sign-in attempts; try again in a minute"},
		{"RoundsUp", 14*time.Minute + time.Second, "too many failed sign-in attempts; try again in 15 minutes"},
		{"Exact", 30 * time.Minute, "too many failed sign-in attempts; try again in 30 minutes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ThrottledError(tt.wait)
			wantCode(t, err, domain.TooManyRequests)
			if err.Message != tt.want {
				t.Fatalf("message = %q, want %q", err.Message, tt.want)
			}
		})
	}
}

// burst makes n attempts at once at t0, for username(i) from addr(i), each
// settled as right (released) as soon as it is allowed, and returns the
// refusals.
func burst(t *testing.T, th *Throttle, n int, username, addr func(i int) string) []Refusal {
	t.Helper()
	var mu sync.Mutex
	var refusals []Refusal
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			a, refused, err := th.Reserve(username(i), addr(i), t0)
			if err != nil {
				t.Error(err)
				return
			}
			if refused != nil {
				mu.Lock()
				refusals = append(refusals, *refused)
				mu.Unlock()
				return
			}
			if err := a.Release(); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return refusals
}

// TestThrottleRightPasswordBurstLocksNothing_AUTH5_AUTH3 proves R-AUTH-5
// without breaking R-AUTH-3: attempts are counted before the password is
// checked, so in a burst some may be refused while others are being
// checked, but only failed attempts lock anything. A burst of right
// passwords, for one account or for many accounts behind one office
// address, is refused only for a moment (Retry-After of a second, not a
// lockout) and leaves the account and the address open.
func TestThrottleRightPasswordBurstLocksNothing_AUTH5_AUTH3(t *testing.T) {
	forEachSessionStore(t, func(t *testing.T, open openSessionStore) {
		th := NewThrottle(ThrottleConfig{}, open(t, session.Config{}))
		one := func(int) string { return "192.0.2.1" }
		t.Run("Account", func(t *testing.T) {
			refusals := burst(t, th, 12, func(int) string { return "carol" }, func(i int) string { return fmt.Sprintf("198.51.100.%d", i) })
			for _, r := range refusals {
				if !r.InFlight || r.RetryAfter != inFlightRetryAfter {
					t.Errorf("a right password in a burst refused with %+v, want a moment's wait while others are checked", r)
				}
			}
			wantAllowed(t, th, "carol", "198.51.100.99", t0, true, 0)
			// No lockout nor strike was left: five failures lock for the
			// first lockout's length.
			at := fail(t, th, "carol", "198.51.100.99", t0, 5)
			wantAllowed(t, th, "carol", "198.51.100.99", at, false, 15*time.Minute)
		})
		t.Run("Address", func(t *testing.T) {
			refusals := burst(t, th, 30, func(i int) string { return fmt.Sprintf("user%d", i) }, one)
			for _, r := range refusals {
				if !r.InFlight || r.RetryAfter != inFlightRetryAfter {
					t.Errorf("a right password in an office's burst refused with %+v, want a moment's wait", r)
				}
			}
			wantAllowed(t, th, "another-user", "192.0.2.1", t0, true, 0)
		})
	})
}

// TestThrottleInFlightRefusalLocksNothing_AUTH5_AUTH3: while as many
// attempts as the limit are being checked, further ones are refused for a
// moment, however many, and lock nothing; what the checked ones turn out
// to be decides. Right ones give their count back; wrong ones lock the
// account at its next attempt.
func TestThrottleInFlightRefusalLocksNothing_AUTH5_AUTH3(t *testing.T) {
	for _, right := range []bool{true, false} {
		t.Run(map[bool]string{true: "Right", false: "Wrong"}[right], func(t *testing.T) {
			th := newThrottle(t, ThrottleConfig{AddressFailures: 1000})
			held := make([]Attempt, 5)
			for i := range held {
				held[i] = reserve(t, th, "dave", "192.0.2.1", t0)
			}
			for range 20 {
				wantReserve(t, th, "dave", "192.0.2.2", t0, false, inFlightRetryAfter, true)
			}
			for _, a := range held {
				settle := a.Fail
				if right {
					settle = a.Release
				}
				if err := settle(); err != nil {
					t.Fatal(err)
				}
			}
			if right {
				wantAllowed(t, th, "dave", "192.0.2.2", t0, true, 0)
			} else {
				wantAllowed(t, th, "dave", "192.0.2.2", t0, false, 15*time.Minute)
			}
		})
	}
}

// TestThrottleFailuresAndInFlight_AUTH5_AUTH3: failures and attempts in
// flight share the limit, so no more are checked than it allows, but only
// the failures lock: four failures and one attempt being checked refuse
// the next for a moment; the fifth failure locks.
func TestThrottleFailuresAndInFlight_AUTH5_AUTH3(t *testing.T) {
	th := newThrottle(t, ThrottleConfig{AddressFailures: 1000})
	at := fail(t, th, "erin", "192.0.2.1", t0, 4)
	held := reserve(t, th, "erin", "192.0.2.1", at)
	wantReserve(t, th, "erin", "192.0.2.1", at, false, inFlightRetryAfter, true)
	if err := held.Release(); err != nil { // it was right
		t.Fatal(err)
	}
	wantAllowed(t, th, "erin", "192.0.2.1", at, true, 0)
	at = fail(t, th, "erin", "192.0.2.1", at, 1)
	wantAllowed(t, th, "erin", "192.0.2.1", at, false, 15*time.Minute)
}

// TestThrottleUnsettledCountsAsFailed_AUTH5: an attempt never settled (its
// node stopped mid-check, or the store could not be reached to settle it)
// counts as a failure once SettleTimeout has passed, so losing the answer
// never gives an attacker a free guess; until then it is in flight.
func TestThrottleUnsettledCountsAsFailed_AUTH5(t *testing.T) {
	forEachSharedSessionStore(t, func(t *testing.T, open func() session.Store) {
		crashed := NewThrottle(ThrottleConfig{AddressFailures: 1000}, open())
		for range 5 {
			reserve(t, crashed, "frank", "192.0.2.1", t0)
		}
		th := NewThrottle(ThrottleConfig{AddressFailures: 1000}, open())
		wantReserve(t, th, "frank", "192.0.2.1", t0.Add(SettleTimeout-time.Nanosecond), false, inFlightRetryAfter, true)
		wantAllowed(t, th, "frank", "192.0.2.1", t0.Add(SettleTimeout), false, 15*time.Minute)
	})
}
