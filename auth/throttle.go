package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"strings"
	"time"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/session"
)

// ThrottleConfig sets the limits of a Throttle. Zero fields take the defaults
// of DefaultThrottleConfig.
type ThrottleConfig struct {
	// AccountFailures is how many wrong passwords an account may have
	// within Window; the next attempt locks it. Attempts still being
	// checked count against the limit too, so no more than it are ever
	// checked, but they lock nothing. Default 5.
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

// SettleTimeout is how long a reserved attempt may stay unsettled: one
// neither released nor failed by then (its node stopped, or the store
// could not be reached to settle it) counts as a failure. It is well
// beyond the life of a request (http.request_timeout, 30 s by default),
// and a check waits at most HashSlotWait for a hashing slot.
const SettleTimeout = time.Minute

// inFlightRetryAfter is the Retry-After of an attempt refused only
// because the limit is taken up by attempts still being checked: checking
// a password takes a fraction of a second (or up to HashSlotWait under
// load), after which a right one gives its count back.
const inFlightRetryAfter = time.Second

// Throttle limits password attempts per account and per client address,
// independently (R-AUTH-3, R-AUTH-5). An attempt is counted before the
// password is checked (Reserve), so however many guesses arrive at once, no
// more than the limit are ever checked; it is then settled: a wrong
// password stays counted as a failure (Attempt.Fail), a right one or one
// never checked gives its count back (Attempt.Release). Only failures
// lock an account or address out: an attempt refused because the limit
// is taken up by attempts still being checked is told to retry in a
// moment and leaves no trace, so a burst of right passwords (an office
// signing in at nine behind one address) never locks anyone out. The
// Throttle knows nothing about which accounts exist: callers reserve for
// unknown usernames exactly as for known ones, so a refusal never reveals
// whether a username exists.
//
// The counters live in an session.AttemptStore (the session store), so the limits
// hold across restarts and across the nodes that share it. A Throttle is
// safe for concurrent use.
type Throttle struct {
	cfg   ThrottleConfig
	store session.AttemptStore
}

// NewThrottle returns a Throttle with the limits of cfg, keeping its
// counters in store.
func NewThrottle(cfg ThrottleConfig, store session.AttemptStore) *Throttle {
	return &Throttle{cfg: cfg.withDefaults(), store: store}
}

// Attempt is a password attempt Reserve counted. Settle it once the
// password is checked, with Fail if it was wrong, or with Release if it
// was right or never checked (the hashing was too busy). The zero Attempt,
// which Reserve returns with a refusal, settles to nothing.
type Attempt struct {
	t       *Throttle
	keys    []string
	windows []time.Time // each key's window when reserved
}

// Refusal is why Reserve did not count an attempt.
type Refusal struct {
	// RetryAfter is how long until an attempt may be made.
	RetryAfter time.Duration
	// InFlight: the limit is taken up by attempts still being checked,
	// not by failures; RetryAfter is short and nothing is locked.
	// Otherwise failed attempts have locked the account or the address.
	InFlight bool
}

// Reserve counts an attempt to check a password of username from addr at
// now, before it is checked, and returns it to settle once checked. If
// the account or the address has had its limit of failures in the window,
// it is locked (for a window, doubling with each lockout in a row up to
// MaxLockout) and the attempt is refused; a further attempt while locked
// does not extend the lockout, or an attacker could keep the owner out for
// ever. If failures and attempts still being checked together reach the
// limit, the attempt is refused for a moment, and nothing is locked.
// A refused attempt is not counted. Errors: those of the store
// (domain.Unavailable).
func (t *Throttle) Reserve(username, addr string, now time.Time) (Attempt, *Refusal, error) {
	keys := []string{throttleKey("account", accountKey(username)), throttleKey("address", addressKey(addr))}
	limits := []int{t.cfg.AccountFailures, t.cfg.AddressFailures}
	var windows []time.Time
	var refusal *Refusal
	err := t.store.UpdateAttempts(keys, func(cs []session.AttemptCounter) []session.AttemptCounter {
		refusal, windows = nil, make([]time.Time, len(cs))
		for i := range cs {
			wait, locked := t.check(&cs[i], limits[i], now)
			if wait <= 0 {
				continue
			}
			if refusal == nil {
				refusal = &Refusal{InFlight: true}
			}
			refusal.RetryAfter = max(refusal.RetryAfter, wait)
			refusal.InFlight = refusal.InFlight && !locked
		}
		for i := range cs {
			if refusal == nil {
				cs[i].Attempts++
				cs[i].Pending++
				cs[i].PendingUntil = latest(cs[i].PendingUntil, now.Add(SettleTimeout))
			}
			windows[i] = cs[i].WindowStart
			cs[i].ForgetAfter = latest(cs[i].WindowStart, cs[i].LockedUntil).Add(t.cfg.Window)
		}
		return cs
	})
	if err != nil {
		return Attempt{}, nil, err
	}
	if refusal != nil {
		return Attempt{}, refusal, nil
	}
	return Attempt{t: t, keys: keys, windows: windows}, nil, nil
}

// check brings c up to date at now and returns how long an attempt on it
// must wait, or 0 if one may be made, and whether that is a lockout. A
// counter with limit failures in the window is locked now: for a window,
// doubling with each lockout in a row up to MaxLockout. One whose
// failures and pending attempts reach limit only makes the attempt wait
// for a moment.
func (t *Throttle) check(c *session.AttemptCounter, limit int, now time.Time) (wait time.Duration, locked bool) {
	if now.Before(c.LockedUntil) {
		return c.LockedUntil.Sub(now), true
	}
	if !c.LockedUntil.IsZero() && !now.Before(c.LockedUntil.Add(t.cfg.Window)) {
		// A whole quiet window since the last lockout ended: start afresh.
		c.Strikes, c.LockedUntil = 0, time.Time{}
	}
	if c.Attempts <= 0 || !now.Before(c.WindowStart.Add(t.cfg.Window)) {
		c.Attempts, c.WindowStart = 0, now
		c.Pending, c.PendingUntil = 0, time.Time{}
	}
	if c.Pending > 0 && !now.Before(c.PendingUntil) {
		// Attempts never settled in time count as failures.
		c.Pending, c.PendingUntil = 0, time.Time{}
	}
	c.Pending = min(max(c.Pending, 0), c.Attempts)
	if failures := c.Attempts - c.Pending; failures >= limit {
		lockout := t.cfg.Window
		for i := 0; i < c.Strikes && lockout < t.cfg.MaxLockout; i++ {
			lockout *= 2
		}
		lockout = min(lockout, t.cfg.MaxLockout)
		c.LockedUntil = now.Add(lockout)
		c.Strikes++
		return lockout, true
	}
	if c.Attempts >= limit {
		return inFlightRetryAfter, false
	}
	return 0, false
}

// Release gives back the attempt, for a right password or one never
// checked, so it counts towards no limit; unless its window has ended
// since, which started the count afresh. A release that fails leaves the
// attempt pending, to count as a failure after SettleTimeout, which errs
// on the safe side.
func (a Attempt) Release() error {
	return a.settle(func(c *session.AttemptCounter) {
		c.Attempts--
		c.Pending = max(c.Pending-1, 0)
	})
}

// Fail keeps the attempt counted, as a failure, for a wrong password
// (or a wrong second-factor code): once the account or the address has
// had its limit of failures, its next attempt locks it. A Fail that does
// not reach the store leaves the attempt pending, to count as a failure
// after SettleTimeout all the same.
func (a Attempt) Fail() error {
	return a.settle(func(c *session.AttemptCounter) { c.Pending = max(c.Pending-1, 0) })
}

// settle applies settled to each counter of the attempt still in the
// window it was reserved in.
func (a Attempt) settle(settled func(c *session.AttemptCounter)) error {
	if a.t == nil {
		return nil
	}
	return a.t.store.UpdateAttempts(a.keys, func(cs []session.AttemptCounter) []session.AttemptCounter {
		for i := range cs {
			if cs[i].Attempts > 0 && cs[i].WindowStart.Equal(a.windows[i]) {
				settled(&cs[i])
			}
		}
		return cs
	})
}

// ClearAccount forgets the failed attempts and any lockout of the account
// username, not of any address: for when someone with the authority to
// (the organisation's lead, the coordinator, an operator) has just set the
// account a new password, which the failures were not guesses of. Errors:
// those of the store (domain.Unavailable).
func (t *Throttle) ClearAccount(username string) error {
	key := throttleKey("account", accountKey(username))
	return t.store.UpdateAttempts([]string{key}, func(cs []session.AttemptCounter) []session.AttemptCounter {
		for i := range cs {
			cs[i] = session.AttemptCounter{Key: cs[i].Key}
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
