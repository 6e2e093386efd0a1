package auth

import (
	"container/list"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/referral-ledger/ledger/domain"
)

// ThrottleConfig sets the limits of a Throttle. Zero fields take the defaults
// of DefaultThrottleConfig.
type ThrottleConfig struct {
	// AccountFailures is how many failed logins an account may have within
	// Window before it is locked; default 5.
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
	// MaxEntries caps the accounts, and separately the addresses, tracked at
	// once; default 100,000. The least recently failed entry is forgotten
	// first, so memory stays bounded however many names are tried.
	MaxEntries int
}

// DefaultThrottleConfig returns the default limits: 5 failures per account
// and 20 per address within 15 minutes, lockouts doubling up to 4 hours,
// 100,000 entries of each kind.
func DefaultThrottleConfig() ThrottleConfig {
	return ThrottleConfig{
		AccountFailures: 5,
		AddressFailures: 20,
		Window:          15 * time.Minute,
		MaxLockout:      4 * time.Hour,
		MaxEntries:      100_000,
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
	if c.MaxEntries <= 0 {
		c.MaxEntries = d.MaxEntries
	}
	return c
}

// Throttle limits failed logins per account and per client address,
// independently (R-AUTH-3). It knows nothing about which accounts exist:
// callers record a Failure for unknown usernames exactly as for wrong
// passwords, so a refusal never reveals whether a username exists.
//
// A Throttle is safe for concurrent use. Its state is in memory and per
// node; a restart forgets it, which only ever makes it more lenient.
type Throttle struct {
	mu       sync.Mutex
	cfg      ThrottleConfig
	accounts *counters
	addrs    *counters
}

// NewThrottle returns a Throttle with the limits of cfg.
func NewThrottle(cfg ThrottleConfig) *Throttle {
	cfg = cfg.withDefaults()
	return &Throttle{
		cfg:      cfg,
		accounts: newCounters(cfg.MaxEntries),
		addrs:    newCounters(cfg.MaxEntries),
	}
}

// Allow reports whether a login for username from addr may be attempted at
// now. If not, retryAfter is how long until it may be, the longer of the
// account's and the address's lockouts.
func (t *Throttle) Allow(username, addr string, now time.Time) (retryAfter time.Duration, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	wait := max(t.accounts.lockedFor(accountKey(username), now), t.addrs.lockedFor(addressKey(addr), now))
	return wait, wait <= 0
}

// Failure records a failed login for username from addr at now: a wrong
// password, or a username that does not exist.
func (t *Throttle) Failure(username, addr string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.accounts.fail(accountKey(username), now, t.cfg.AccountFailures, t.cfg)
	t.addrs.fail(addressKey(addr), now, t.cfg.AddressFailures, t.cfg)
}

// Success records a successful login for username from addr at now, which
// forgets the account's failures. The address's are kept: otherwise an
// attacker could log in to an account of their own between guesses to reset
// the address limit.
func (t *Throttle) Success(username, addr string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.accounts.forget(accountKey(username))
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

// counter is the failure history of one account or address.
type counter struct {
	key         string
	failures    int       // failures in the current window
	windowStart time.Time // first failure of the current window
	lastFailure time.Time // most recent failure
	lockedUntil time.Time // zero if never locked since the last reset
	strikes     int       // lockouts in a row, which double the next one
}

// stale reports whether c no longer affects any decision at now: its window
// and any lockout are over, and a quiet window has passed since, so
// forgetting it changes nothing.
func (c *counter) stale(now time.Time, window time.Duration) bool {
	return !now.Before(c.lastFailure.Add(window)) && !now.Before(c.lockedUntil.Add(window))
}

// counters is a bounded set of counters, least recently failed at the back.
type counters struct {
	capacity int
	byKey    map[string]*list.Element
	order    *list.List // of *counter, most recently failed at the front
}

func newCounters(capacity int) *counters {
	return &counters{capacity: capacity, byKey: make(map[string]*list.Element), order: list.New()}
}

// lockedFor returns how long key stays locked after now, or 0.
func (cs *counters) lockedFor(key string, now time.Time) time.Duration {
	e, ok := cs.byKey[key]
	if !ok {
		return 0
	}
	c := e.Value.(*counter)
	if now.Before(c.lockedUntil) {
		return c.lockedUntil.Sub(now)
	}
	return 0
}

// fail records a failure for key at now and locks it once limit failures
// fall within one window.
func (cs *counters) fail(key string, now time.Time, limit int, cfg ThrottleConfig) {
	cs.prune(now, cfg.Window)
	c := cs.touch(key)
	c.lastFailure = now
	if now.Before(c.lockedUntil) {
		// Already locked: the caller did not ask Allow. Do not extend the
		// lockout, or an attacker could keep the owner out for ever.
		return
	}
	if !c.lockedUntil.IsZero() && !now.Before(c.lockedUntil.Add(cfg.Window)) {
		// A whole quiet window since the last lockout ended: start afresh.
		c.strikes, c.lockedUntil = 0, time.Time{}
	}
	if c.failures == 0 || !now.Before(c.windowStart.Add(cfg.Window)) {
		c.failures, c.windowStart = 0, now
	}
	c.failures++
	if c.failures < limit {
		return
	}
	lockout := cfg.Window
	for i := 0; i < c.strikes && lockout < cfg.MaxLockout; i++ {
		if lockout > cfg.MaxLockout/2 {
			lockout = cfg.MaxLockout
			break
		}
		lockout *= 2
	}
	lockout = min(lockout, cfg.MaxLockout)
	c.lockedUntil = now.Add(lockout)
	c.strikes++
	c.failures = 0
}

// forget drops key's history.
func (cs *counters) forget(key string) {
	if e, ok := cs.byKey[key]; ok {
		cs.order.Remove(e)
		delete(cs.byKey, key)
	}
}

// touch returns key's counter, creating it if need be, and moves it to the
// front; when the set is full the least recently failed counter is dropped.
func (cs *counters) touch(key string) *counter {
	if e, ok := cs.byKey[key]; ok {
		cs.order.MoveToFront(e)
		return e.Value.(*counter)
	}
	for cs.order.Len() >= cs.capacity {
		back := cs.order.Back()
		cs.order.Remove(back)
		delete(cs.byKey, back.Value.(*counter).key)
	}
	c := &counter{key: key}
	cs.byKey[key] = cs.order.PushFront(c)
	return c
}

// prune drops stale counters from the back, where the oldest failures are,
// so that memory follows the current attack rather than the peak.
func (cs *counters) prune(now time.Time, window time.Duration) {
	for e := cs.order.Back(); e != nil; e = cs.order.Back() {
		c := e.Value.(*counter)
		if !c.stale(now, window) {
			return
		}
		cs.order.Remove(e)
		delete(cs.byKey, c.key)
	}
}

// len returns the number of keys tracked.
func (cs *counters) len() int { return cs.order.Len() }
