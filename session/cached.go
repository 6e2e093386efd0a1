package session

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"time"
)

// maxCachedSessions bounds the sessions a Cached store keeps in memory.
const maxCachedSessions = 100_000

// Cached is a Store whose Lookup answers from memory (issue 14: no SQL to
// authenticate a request). A session found in the store is trusted for
// Revalidate before the store is asked again, which also records that it
// was seen. Delete and DeleteForUser drop it here at once, so a logout, a
// password change or a closure made through this node ends the session on
// its very next request; made through another node sharing the store, it
// would end only within Revalidate, so it is for a store no other node
// uses (the node uses the store itself when shared). (A password change or
// closure anywhere also ends it at once through the ledger: the caller
// compares the session's credential with the account's on every request.)
type Cached struct {
	Store
	revalidate time.Duration

	mu     sync.Mutex
	byHash map[[sha256.Size]byte]cachedSession
	byUser map[string]map[[sha256.Size]byte]struct{}
	epoch  uint64 // counts deletions, so a lookup racing one caches nothing
}

type cachedSession struct {
	s         Session
	checkedAt time.Time // when the store last confirmed it
}

// NewCached returns store with sessions cached for revalidate, at most
// the store's touch interval for idle (so the idle timeout keeps its
// precision) and at least a millisecond.
func NewCached(store Store, idle, revalidate time.Duration) *Cached {
	if t := TouchInterval(idle); t > 0 && (revalidate <= 0 || revalidate > t) {
		revalidate = t
	}
	revalidate = max(revalidate, time.Millisecond)
	return &Cached{Store: store, revalidate: revalidate,
		byHash: make(map[[sha256.Size]byte]cachedSession), byUser: make(map[string]map[[sha256.Size]byte]struct{})}
}

func tokenKey(token string) [sha256.Size]byte { return sha256.Sum256([]byte(token)) }

// Create implements Store, and caches the new session.
func (c *Cached) Create(userID, organisationID, credential string, now time.Time) (string, Session, error) {
	token, s, err := c.Store.Create(userID, organisationID, credential, now)
	if err == nil {
		c.mu.Lock()
		c.put(tokenKey(token), cachedSession{s: s, checkedAt: now})
		c.mu.Unlock()
	}
	return token, s, err
}

// Lookup implements Store: from memory when the store confirmed the
// session less than the revalidation interval ago and it has not expired.
func (c *Cached) Lookup(token string, now time.Time) (Session, error) {
	if !WellFormedToken(token) {
		return Session{}, ErrInvalid()
	}
	key := tokenKey(token)
	c.mu.Lock()
	e, ok := c.byHash[key]
	epoch := c.epoch
	c.mu.Unlock()
	if ok && !now.Before(e.checkedAt) && now.Sub(e.checkedAt) < c.revalidate && now.Before(e.s.ExpiresAt) {
		return e.s, nil
	}
	s, err := c.Store.Lookup(token, now)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.remove(key)
		return Session{}, err
	}
	if c.epoch == epoch {
		c.put(key, cachedSession{s: s, checkedAt: now})
	}
	return s, nil
}

// Peek implements Store from the store itself: its record of the last use
// decides when the session ends, and a lookup answered from memory only
// follows the store's word by at most the revalidation interval.
func (c *Cached) Peek(token string, now time.Time) (Session, time.Time, error) {
	return c.Store.Peek(token, now)
}

// Delete implements Store: the session ends here at once. The store
// deletes it first and the cache forgets it after, so a lookup made in
// between (another request with the token) cannot find it still in the
// store and cache it again once forgotten (R-AUTH-3).
func (c *Cached) Delete(token string) error {
	err := c.Store.Delete(token)
	c.mu.Lock()
	c.epoch++
	c.remove(tokenKey(token))
	c.mu.Unlock()
	return err
}

// DeleteForUser implements Store: every session of the user ends here at
// once; the store first, then the cache, as in Delete.
func (c *Cached) DeleteForUser(userID string) error {
	err := c.Store.DeleteForUser(userID)
	c.forgetUser(userID)
	return err
}

// KeepOnly implements Store: once the store has kept the one session,
// every cached session of the user is forgotten here, so the next lookup
// of the one kept reads its new credential from the store.
func (c *Cached) KeepOnly(token, userID, credential string) error {
	err := c.Store.KeepOnly(token, userID, credential)
	c.forgetUser(userID)
	return err
}

// forgetUser drops every cached session of userID, and makes a lookup
// racing it cache nothing.
func (c *Cached) forgetUser(userID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	for key := range c.byUser[userID] {
		delete(c.byHash, key)
	}
	delete(c.byUser, userID)
}

// Purge implements Store, dropping the expired sessions from memory too.
func (c *Cached) Purge(now time.Time) (int, error) {
	c.mu.Lock()
	for key, e := range c.byHash {
		if !now.Before(e.s.ExpiresAt) || now.Sub(e.checkedAt) >= c.revalidate {
			c.remove(key)
		}
	}
	c.mu.Unlock()
	return c.Store.Purge(now)
}

// put caches e under key; c.mu is held.
func (c *Cached) put(key [sha256.Size]byte, e cachedSession) {
	if _, ok := c.byHash[key]; !ok && len(c.byHash) >= maxCachedSessions {
		for k := range c.byHash { // full: forget one at random
			c.remove(k)
			break
		}
	}
	c.byHash[key] = e
	users := c.byUser[e.s.UserID]
	if users == nil {
		users = make(map[[sha256.Size]byte]struct{})
		c.byUser[e.s.UserID] = users
	}
	users[key] = struct{}{}
}

// remove forgets key; c.mu is held.
func (c *Cached) remove(key [sha256.Size]byte) {
	e, ok := c.byHash[key]
	if !ok {
		return
	}
	delete(c.byHash, key)
	if users := c.byUser[e.s.UserID]; users != nil {
		delete(users, key)
		if len(users) == 0 {
			delete(c.byUser, e.s.UserID)
		}
	}
}

// ResealMFA passes on to the store beneath; see MFAResealer. Sessions are
// not cached with their second factor, so nothing cached changes.
func (c *Cached) ResealMFA(ctx context.Context, reseal ResealFunc) (int, error) {
	r, ok := c.Store.(MFAResealer)
	if !ok {
		return 0, fmt.Errorf("session: %T cannot reseal second factors", c.Store)
	}
	return r.ResealMFA(ctx, reseal)
}
