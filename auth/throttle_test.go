package auth

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/domain"
)

var t0 = time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)

// fail records n failures for username from addr, a second apart from at,
// and returns the time of the last one.
func fail(tb testing.TB, th *Throttle, username, addr string, at time.Time, n int) time.Time {
	tb.Helper()
	for i := 0; i < n; i++ {
		at = at.Add(time.Second)
		th.Failure(username, addr, at)
	}
	return at
}

// wantAllowed fails tb unless Allow gives ok, and, when refused, exactly
// retryAfter.
func wantAllowed(tb testing.TB, th *Throttle, username, addr string, at time.Time, ok bool, retryAfter time.Duration) {
	tb.Helper()
	gotWait, gotOK := th.Allow(username, addr, at)
	if gotOK != ok || gotWait != retryAfter {
		tb.Fatalf("Allow(%q, %q) = %v, %v; want %v, %v", username, addr, gotWait, gotOK, retryAfter, ok)
	}
}

// TestThrottleAccount proves R-AUTH-3's per-account throttle: five failures
// within the window lock the account, from every address, until the lockout
// passes.
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
		{"StillLockedLater", 5, "192.0.2.1", 10 * time.Minute, false, 5 * time.Minute},
		{"UnlockedAfterWindow", 5, "192.0.2.1", 15 * time.Minute, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th := NewThrottle(ThrottleConfig{})
			last := fail(t, th, "alice", "192.0.2.1", t0, tt.failures)
			wantAllowed(t, th, "alice", tt.checkAddr, last.Add(tt.after), tt.ok, tt.wait)
			wantAllowed(t, th, "bob", "203.0.113.9", last.Add(tt.after), true, 0)
		})
	}
}

// TestThrottleSameForUnknownUsername proves R-AUTH-3: the throttle treats a
// username that does not exist exactly like one that does, since it never
// knows which is which.
func TestThrottleSameForUnknownUsername(t *testing.T) {
	th := NewThrottle(ThrottleConfig{})
	at := t0
	for i := 0; i < 7; i++ {
		at = at.Add(time.Second)
		th.Failure("alice", "192.0.2.1", at)
		th.Failure("no-such-user", "192.0.2.2", at)
		w1, ok1 := th.Allow("alice", "192.0.2.1", at)
		w2, ok2 := th.Allow("no-such-user", "192.0.2.2", at)
		if w1 != w2 || ok1 != ok2 {
			t.Fatalf("after %d failures: known %v,%v; unknown %v,%v", i+1, w1, ok1, w2, ok2)
		}
	}
}

func TestThrottleCaseFoldsUsernames(t *testing.T) {
	th := NewThrottle(ThrottleConfig{})
	at := fail(t, th, "Alice", "192.0.2.1", t0, 2)
	at = fail(t, th, "ALICE", "192.0.2.1", at, 2)
	at = fail(t, th, " alice ", "192.0.2.1", at, 1)
	wantAllowed(t, th, "aLiCe", "192.0.2.9", at, false, 15*time.Minute)
}

// TestThrottleAddress proves R-AUTH-3's per-address throttle: twenty
// failures from one address lock it for every username, independently of
// the account limits.
func TestThrottleAddress(t *testing.T) {
	th := NewThrottle(ThrottleConfig{})
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
	th := NewThrottle(ThrottleConfig{})
	fail(t, th, "alice", "192.0.2.1", t0, 4)
	// The window started with the first failure; once it has passed the
	// count starts again, so one more failure does not lock.
	at := fail(t, th, "alice", "192.0.2.1", t0.Add(15*time.Minute), 1)
	wantAllowed(t, th, "alice", "192.0.2.1", at, true, 0)
	at = fail(t, th, "alice", "192.0.2.1", at, 4)
	wantAllowed(t, th, "alice", "192.0.2.1", at, false, 15*time.Minute)
}

func TestThrottleBackoff(t *testing.T) {
	th := NewThrottle(ThrottleConfig{MaxLockout: time.Hour})
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

func TestThrottleFailureWhileLockedDoesNotExtend(t *testing.T) {
	// A high address limit, so only the account's lockout is in play.
	th := NewThrottle(ThrottleConfig{AddressFailures: 1000})
	at := fail(t, th, "alice", "192.0.2.1", t0, 5)
	fail(t, th, "alice", "192.0.2.1", at, 50)
	wantAllowed(t, th, "alice", "192.0.2.1", at, false, 15*time.Minute)
}

func TestThrottleSuccess(t *testing.T) {
	th := NewThrottle(ThrottleConfig{AddressFailures: 6})
	at := fail(t, th, "alice", "192.0.2.1", t0, 4)
	th.Success("alice", "192.0.2.1", at)
	// The account's count starts again...
	at = fail(t, th, "alice", "192.0.2.1", at, 1)
	wantAllowed(t, th, "alice", "192.0.2.9", at, true, 0)
	// ...but the address keeps its five failures, and a sixth locks it.
	at = fail(t, th, "mallory", "192.0.2.1", at, 1)
	wantAllowed(t, th, "alice", "192.0.2.1", at, false, 15*time.Minute)
}

// TestThrottleBoundedMemory proves the throttle cannot be made to grow
// without bound by trying ever new usernames.
func TestThrottleBoundedMemory(t *testing.T) {
	th := NewThrottle(ThrottleConfig{MaxEntries: 10})
	at := t0
	for i := 0; i < 1000; i++ {
		at = fail(t, th, fmt.Sprintf("user%d", i), fmt.Sprintf("192.0.2.%d", i%250), at, 1)
	}
	if n := th.accounts.len(); n != 10 {
		t.Errorf("tracking %d accounts, want the cap of 10", n)
	}
	if n := th.addrs.len(); n != 10 {
		t.Errorf("tracking %d addresses, want the cap of 10", n)
	}
	// Once everything is stale, the next failure clears it out.
	fail(t, th, "late", "198.51.100.1", at.Add(time.Hour), 1)
	if n := th.accounts.len(); n != 1 {
		t.Errorf("tracking %d accounts after they went stale, want 1", n)
	}
}

func TestThrottleConcurrent(t *testing.T) {
	th := NewThrottle(ThrottleConfig{})
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Go(func() {
			for i := 0; i < 200; i++ {
				user := fmt.Sprintf("user%d", i%7)
				th.Allow(user, "192.0.2.1", t0)
				th.Failure(user, "192.0.2.1", t0)
				th.Success(user, "192.0.2.1", t0)
			}
		})
	}
	wg.Wait()
	wantAllowed(t, th, "someone", "192.0.2.1", t0, false, 15*time.Minute)
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
