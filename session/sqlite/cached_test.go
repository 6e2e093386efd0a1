package sqlite

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/session"
	"github.com/referral-ledger/ledger/session/sessiontest"
)

// TestCachedContract runs the session store contract against the cached
// store on SQLite, as a node uses it (issue 14 point 6, R-AUTH-3).
func TestCachedContract(t *testing.T) {
	sessiontest.Run(t, func(tb testing.TB, cfg session.Config) session.Store {
		tb.Helper()
		s, err := OpenWithConfig(filepath.Join(tb.TempDir(), "sessions.db"), cfg)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { s.Close() })
		return session.NewCached(s, cfg.WithDefaults().IdleTimeout, 2*time.Second)
	})
}

// countingStore counts the lookups that reach the store.
type countingStore struct {
	session.Store
	lookups int
}

func (c *countingStore) Lookup(token string, now time.Time) (session.Session, error) {
	c.lookups++
	return c.Store.Lookup(token, now)
}

// twoNodes is one shared session store behind two cached stores, as two
// API nodes on one shared store.
func twoNodes(t *testing.T) (shared *countingStore, one, two *session.Cached) {
	s, err := Open(filepath.Join(t.TempDir(), "sessions.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	shared = &countingStore{Store: s}
	idle := 30 * time.Minute
	return shared, session.NewCached(shared, idle, 2*time.Second), session.NewCached(shared, idle, 2*time.Second)
}

var cacheNow = time.Date(2026, time.December, 14, 9, 0, 0, 0, time.UTC)

func wantUnauthorized(t *testing.T, s session.Store, token string, now time.Time, what string) {
	t.Helper()
	if _, err := s.Lookup(token, now); domain.ErrorCode(err) != domain.Unauthorized {
		t.Fatalf("%s: lookup gave %v, want unauthorized", what, err)
	}
}

// TestCachedSessionsAskNoStore_Issue14: once a session is known, looking
// it up again does not reach the store until the revalidation interval
// has passed.
func TestCachedSessionsAskNoStore_Issue14(t *testing.T) {
	shared, one, _ := twoNodes(t)
	token, _, err := one.Create("user-1", "org-1", "cred", cacheNow)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if _, err := one.Lookup(token, cacheNow.Add(time.Duration(i)*100*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
	}
	if shared.lookups != 0 {
		t.Fatalf("%d lookups reached the store, want 0", shared.lookups)
	}
	if _, err := one.Lookup(token, cacheNow.Add(3*time.Second)); err != nil {
		t.Fatal(err)
	}
	if shared.lookups != 1 {
		t.Fatalf("%d lookups reached the store after the revalidation interval, want 1", shared.lookups)
	}
}

// TestCachedSessionLogout_AUTH3: a logout ends the session at once on the
// node it was made through, and on another node sharing the store within
// the revalidation interval.
func TestCachedSessionLogout_AUTH3(t *testing.T) {
	_, one, two := twoNodes(t)
	token, _, err := one.Create("user-1", "org-1", "cred", cacheNow)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := two.Lookup(token, cacheNow); err != nil { // cached on node two too
		t.Fatal(err)
	}
	if err := one.Delete(token); err != nil {
		t.Fatal(err)
	}
	wantUnauthorized(t, one, token, cacheNow, "this node, right after logout")
	wantUnauthorized(t, two, token, cacheNow.Add(2*time.Second), "the other node, once the revalidation interval has passed")
}

// TestCachedSessionsEndForUser_AUTH6_ORG3: a password change or a closure
// (DeleteForUser) ends every session of the user at once on the node it was
// made through, and on another node within the revalidation interval;
// other users' sessions carry on.
func TestCachedSessionsEndForUser_AUTH6_ORG3(t *testing.T) {
	_, one, two := twoNodes(t)
	a1, _, _ := one.Create("user-1", "org-1", "cred", cacheNow)
	a2, _, _ := one.Create("user-1", "org-1", "cred", cacheNow)
	b, _, _ := one.Create("user-2", "org-1", "cred", cacheNow)
	for _, tok := range []string{a1, a2, b} {
		if _, err := two.Lookup(tok, cacheNow); err != nil {
			t.Fatal(err)
		}
	}
	if err := one.DeleteForUser("user-1"); err != nil {
		t.Fatal(err)
	}
	wantUnauthorized(t, one, a1, cacheNow, "this node, first session")
	wantUnauthorized(t, one, a2, cacheNow, "this node, second session")
	later := cacheNow.Add(2 * time.Second)
	wantUnauthorized(t, two, a1, later, "the other node, first session")
	wantUnauthorized(t, two, a2, later, "the other node, second session")
	if _, err := one.Lookup(b, later); err != nil {
		t.Fatalf("another user's session ended: %v", err)
	}
}

// racingStore deletes the session while a lookup of it is in the store.
type racingStore struct {
	session.Store
	during func()
}

func (r *racingStore) Lookup(token string, now time.Time) (session.Session, error) {
	s, err := r.Store.Lookup(token, now)
	if r.during != nil {
		r.during()
		r.during = nil
	}
	return s, err
}

// TestCachedLookupRacingLogout_AUTH3: a lookup that found the session just
// before a logout of it does not bring it back into the cache.
func TestCachedLookupRacingLogout_AUTH3(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "sessions.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	racing := &racingStore{Store: s}
	c := session.NewCached(racing, 30*time.Minute, 2*time.Second)
	token, _, err := s.Create("user-1", "org-1", "cred", cacheNow)
	if err != nil {
		t.Fatal(err)
	}
	racing.during = func() { _ = c.Delete(token) }
	_, _ = c.Lookup(token, cacheNow) // found, then logged out meanwhile
	wantUnauthorized(t, c, token, cacheNow, "after a logout that raced a lookup")
}

// lookupBeforeDeleting runs before before each deletion reaches the store:
// a request looking the session up at that moment.
type lookupBeforeDeleting struct {
	session.Store
	before func()
}

func (l *lookupBeforeDeleting) runBefore() {
	if f := l.before; f != nil {
		l.before = nil
		f()
	}
}

func (l *lookupBeforeDeleting) Delete(token string) error {
	l.runBefore()
	return l.Store.Delete(token)
}

func (l *lookupBeforeDeleting) DeleteForUser(userID string) error {
	l.runBefore()
	return l.Store.DeleteForUser(userID)
}

// TestCachedLookupBetweenForgettingAndDeleting_AUTH3: the cache forgot a
// session before the store deleted it, so a lookup of the session in
// between (another request with the same token, at the moment of the
// logout or of the closure) found it still in the store and cached it
// afresh; the token then went on working for as long as a cached look-up
// is trusted, after the logout had answered. The store deletes first now,
// and the cache forgets after, so no lookup brings a deleted session back.
func TestCachedLookupBetweenForgettingAndDeleting_AUTH3(t *testing.T) {
	for _, tc := range []struct {
		name   string
		delete func(c *session.Cached, token string) error
	}{
		{"Logout", func(c *session.Cached, token string) error { return c.Delete(token) }},
		{"EveryOfTheUser", func(c *session.Cached, _ string) error { return c.DeleteForUser("user-1") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(filepath.Join(t.TempDir(), "sessions.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			store := &lookupBeforeDeleting{Store: s}
			c := session.NewCached(store, 30*time.Minute, 2*time.Second)
			token, _, err := c.Create("user-1", "org-1", "cred", cacheNow)
			if err != nil {
				t.Fatal(err)
			}
			store.before = func() {
				if _, err := c.Lookup(token, cacheNow); err != nil {
					t.Errorf("the lookup before the deletion: %v", err)
				}
			}
			if err := tc.delete(c, token); err != nil {
				t.Fatal(err)
			}
			wantUnauthorized(t, c, token, cacheNow, "after the deletion a lookup raced")
		})
	}
}
