package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"strings"
	"time"

	"github.com/referral-ledger/ledger/domain"
)

// ThrottleConfig sets the limits of a Throttle. Zero fields take the defaults
// of DefaultThrottleConfig.
type ThrottleConfig struct {
	// AccountFailures is how many password attempts an account may have
	// checked within Window, besides those that proved right; a further
	// attempt locks it. Default 5.
	AccountFailures int
	// AddressFailures is the same for one client address; default 20. It is
	// higher because offices share an address behind NAT.
	AddressFailures int
	// Window is the period over which failures are counted and the first
	// lockout's length; default 15 minutes.
	Window time.Duration
	// MaxLockout caps the lockout, which doubles with each lockout in a row;
	// default 4 hours. The cap limits how long an attacker who knows a
	// username can keep its owner out.
	MaxLockout time.Duration
}

// DefaultThrottleConfig returns the default limits: 5 failures per account
// and 20 per address within 15 minutes, lockouts doubling up to 4 hours.
func DefaultThrottleConfig() ThrottleConfig {
	return ThrottleConfig{
		AccountFailures: 5,
		AddressFailures: 20,
		Window:          15 * time.Minute,
		MaxLockout:      4 * time.Hour,
	}
}

// withDefaults returns c with every zero or negative field set to its default.
func (c ThrottleConfig) withDefaults() ThrottleConfig {
	d := DefaultThrottleConfig()
	if c.AccountFailures <= 0 {
		c.AccountFailures = d.AccountFailures
	}
	if c.AddressFailures <= 0 {
		c.AddressFailures = d.AddressFailures
	}
	if c.Window <= 0 {
		c.Window = d.Window
	}
	if c.MaxLockout <= 0 {
		c.MaxLockout = d.MaxLockout
	}
	if c.MaxLockout < c.Window {
		c.MaxLockout = c.Window
	}
	return c
}

// Throttle limits password attempts per account and per client address,
// independently (R-AUTH-3, R-AUTH-5). An attempt is counted before the
// password is checked (Reserve), and the count is given back only if the
// password turns out right or was never checked (Release), so however many
// guesses arrive at once, no more than the limit are ever checked. It knows
// nothing about which accounts exist: callers reserve for unknown usernames
// exactly as for known ones, so a refusal never reveals whether a username
// exists.
//
// The counters live in an AttemptStore (the session store), so the limits
// hold across restarts and across the nodes that share it. A Throttle is
// safe for concurrent use.
type Throttle struct {
	cfg   ThrottleConfig
	store AttemptStore
}

// NewThrottle returns a Throttle with the limits of cfg, keeping its
// counters in store.
func NewThrottle(cfg ThrottleConfig, store AttemptStore) *Throttle {
	return &Throttle{cfg: cfg.withDefaults(), store: store}
}

// attempt is a reserved password attempt.
type attempt struct {
	t       *Throttle
	keys    []string
	windows []time.Time // each key's window when reserved
}

// Reserve counts an attempt to check a password of username from addr at
// now, before it is checked, and returns release to give it back if the
// password proves right or is never checked (the hashing was too busy); a
// wrong password keeps its attempt counted, so the caller calls nothing. A
// release that fails leaves the attempt counted, which errs on the safe
// side. If either the account or the address has used its attempts for
// the window, nothing is counted, ok is false and retryAfter is how long
// until an attempt may be made; a further attempt while locked does not
// extend the lockout, or an attacker could keep the owner out for ever.
// Errors: those of the store (domain.Unavailable).
func (t *Throttle) Reserve(username, addr string, now time.Time) (release func() error, retryAfter time.Duration, ok bool, err error) {
	keys := []string{throttleKey("account", accountKey(username)), throttleKey("address", addressKey(addr))}
	limits := []int{t.cfg.AccountFailures, t.cfg.AddressFailures}
	var windows []time.Time
	err = t.store.UpdateAttempts(keys, func(cs []AttemptCounter) []AttemptCounter {
		retryAfter, ok, windows = 0, true, make([]time.Time, len(cs))
		for i := range cs {
			if wait := t.check(&cs[i], limits[i], now); wait > 0 {
				retryAfter, ok = max(retryAfter, wait), false
			}
		}
		for i := range cs {
			if ok {
				cs[i].Attempts++
			}
			windows[i] = cs[i].WindowStart
			cs[i].ForgetAfter = latest(cs[i].WindowStart, cs[i].LockedUntil).Add(t.cfg.Window)
		}
		return cs
	})
	if err != nil {
		return noRelease, 0, false, err
	}
	if !ok {
		return noRelease, retryAfter, false, nil
	}
	return attempt{t: t, keys: keys, windows: windows}.release, 0, true, nil
}

// check brings c up to date at now and returns how long an attempt on it
// must wait, or 0 if one may be made. A counter that has used its limit
// for the window is locked now: for a window, doubling with each lockout in
// a row up to MaxLockout.
func (t *Throttle) check(c *AttemptCounter, limit int, now time.Time) time.Duration {
	if now.Before(c.LockedUntil) {
		return c.LockedUntil.Sub(now)
	}
	if !c.LockedUntil.IsZero() && !now.Before(c.LockedUntil.Add(t.cfg.Window)) {
		// A whole quiet window since the last lockout ended: start afresh.
		c.Strikes, c.LockedUntil = 0, time.Time{}
	}
	if c.Attempts <= 0 || !now.Before(c.WindowStart.Add(t.cfg.Window)) {
		c.Attempts, c.WindowStart = 0, now
	}
	if c.Attempts < limit {
		return 0
	}
	lockout := t.cfg.Window
	for i := 0; i < c.Strikes && lockout < t.cfg.MaxLockout; i++ {
		lockout *= 2
	}
	lockout = min(lockout, t.cfg.MaxLockout)
	c.LockedUntil = now.Add(lockout)
	c.Strikes++
	return lockout
}

// noRelease is the release of an attempt that was not counted.
func noRelease() error { return nil }

// release gives back the attempt, unless its window has ended since.
func (a attempt) release() error {
	return a.t.store.UpdateAttempts(a.keys, func(cs []AttemptCounter) []AttemptCounter {
		for i := range cs {
			if cs[i].Attempts > 0 && cs[i].WindowStart.Equal(a.windows[i]) {
				cs[i].Attempts--
			}
		}
		return cs
	})
}

// ThrottledError returns the error for a login that Allow refused: code
// TooManyRequests, with the wait rounded up to whole minutes. It names
// neither the account nor the address, so it reads the same whether or not
// the username exists.
func ThrottledError(retryAfter time.Duration) *domain.Error {
	minutes := int((retryAfter + time.Minute - 1) / time.Minute)
	if minutes <= 1 {
		return domain.Errorf(domain.TooManyRequests, "too many failed sign-in attempts; try again in a minute")
	}
	return domain.Errorf(domain.TooManyRequests, "too many failed sign-in attempts; try again in %d minutes", minutes)
}

// accountKey case-folds a username, so "Alice" and "alice" share a limit.
func accountKey(username string) string {
	return strings.ToLower(strings.TrimSpace(username))
}

// addressKey normalises a client address: a port is dropped and an IPv6
// address stands for its /64 network, since one client usually holds a whole
// /64 and could otherwise use a fresh address for every attempt. Anything
// unparsable is used as given.
func addressKey(addr string) string {
	addr = strings.TrimSpace(addr)
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		ap, err := netip.ParseAddrPort(addr)
		if err != nil {
			return addr
		}
		ip = ap.Addr()
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		return netip.PrefixFrom(ip, 64).Masked().String()
	}
	return ip.String()
}

// throttleKey is what the store keeps for a key: a SHA-256, so the
// session store holds neither usernames that were tried nor client
// addresses.
func throttleKey(kind, key string) string {
	sum := sha256.Sum256([]byte(kind + "\x00" + key))
	return hex.EncodeToString(sum[:])
}

// latest returns the later of a and b.
func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
