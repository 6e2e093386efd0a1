package auth

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/domain"
)

var t0 = time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)

// newThrottle returns a Throttle with cfg over a fresh SQLite session store.
func newThrottle(tb testing.TB, cfg ThrottleConfig) *Throttle {
	tb.Helper()
	s, _ := openSessions(tb)
	return NewThrottle(cfg, s)
}

// fail reserves n attempts for username from addr, a second apart from at,
// as wrong passwords (never released), and returns the time of the last.
func fail(tb testing.TB, th *Throttle, username, addr string, at time.Time, n int) time.Time {
	tb.Helper()
	for i := 0; i < n; i++ {
		at = at.Add(time.Second)
		if _, wait, ok, err := th.Reserve(username, addr, at); err != nil || !ok {
			tb.Fatalf("attempt %d for %q: ok %v, wait %v, err %v", i+1, username, ok, wait, err)
		}
	}
	return at
}

// wantAllowed fails tb unless an attempt at at gives ok, and, when refused,
// exactly retryAfter. An allowed attempt is released again, as a right
// password would be, so it leaves the counts as they were.
func wantAllowed(tb testing.TB, th *Throttle, username, addr string, at time.Time, ok bool, retryAfter time.Duration) {
	tb.Helper()
	release, gotWait, gotOK, err := th.Reserve(username, addr, at)
	if err != nil {
		tb.Fatal(err)
	}
	if gotOK != ok || gotWait != retryAfter {
		tb.Fatalf("Reserve(%q, %q) = %v, %v; want %v, %v", username, addr, gotWait, gotOK, retryAfter, ok)
	}
	if err := release(); err != nil {
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
		_, w1, ok1, err1 := th.Reserve("alice", "192.0.2.1", at)
		_, w2, ok2, err2 := th.Reserve("no-such-user", "192.0.2.2", at)
		if w1 != w2 || ok1 != ok2 || err1 != nil || err2 != nil {
			t.Fatalf("attempt %d: known %v,%v,%v; unknown %v,%v,%v", i+1, w1, ok1, err1, w2, ok2, err2)
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
		th := NewThrottle(ThrottleConfig{AddressFailures: 1000}, open(t, SessionConfig{}))
		var allowed atomic.Int32
		var wg sync.WaitGroup
		for i := 0; i < 40; i++ {
			wg.Go(func() {
				_, _, ok, err := th.Reserve("alice", fmt.Sprintf("192.0.2.%d", i), t0)
				if err != nil {
					t.Error(err)
				}
				if ok {
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
// the count survives a restart.
func TestThrottleAcrossNodes_AUTH5(t *testing.T) {
	forEachSharedSessionStore(t, func(t *testing.T, open func() SessionStore) {
		one := NewThrottle(ThrottleConfig{AddressFailures: 1000}, open())
		two := NewThrottle(ThrottleConfig{AddressFailures: 1000}, open())
		var allowed atomic.Int32
		var wg sync.WaitGroup
		for i := 0; i < 30; i++ {
			th := one
			if i%2 == 1 {
				th = two
			}
			wg.Go(func() {
				_, _, ok, err := th.Reserve("alice", fmt.Sprintf("192.0.2.%d", i), t0)
				if err != nil {
					t.Error(err)
				}
				if ok {
					allowed.Add(1)
				}
			})
		}
		wg.Wait()
		if n := allowed.Load(); n != 5 {
			t.Fatalf("%d of 30 attempts over two nodes allowed, want exactly the limit of 5", n)
		}
		restarted := NewThrottle(ThrottleConfig{AddressFailures: 1000}, open())
		wantAllowed(t, restarted, "alice", "198.51.100.7", t0.Add(time.Minute), false, 14*time.Minute)
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
