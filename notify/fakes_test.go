package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/ledger"
)

// fakeClock is a Clock the test moves by hand.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock(now time.Time) *fakeClock { return &fakeClock{now: now} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, waiter{at: c.now.Add(d), ch: ch})
	return ch
}

// waiting reports whether a timer is set to fire at at.
func (c *fakeClock) waiting(at time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, w := range c.waiters {
		if w.at.Equal(at) {
			return true
		}
	}
	return false
}

// Set moves the clock to t, firing every timer due by then.
func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(t) {
			w.ch <- t
			continue
		}
		kept = append(kept, w)
	}
	c.waiters = kept
}

// memKeys is an in-memory ledger.Keys, so the tests write events with
// client data sealed exactly as the service does.
type memKeys struct {
	mu   sync.Mutex
	keys map[uuid.UUID]ledger.DataKey
}

func (k *memKeys) KeyForWrite(_ context.Context, client uuid.UUID) (ledger.DataKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	key, ok := k.keys[client]
	if !ok {
		_, _ = rand.Read(key[:])
		k.keys[client] = key
	}
	return key, nil
}

func (k *memKeys) KeyForRead(ctx context.Context, client uuid.UUID) (ledger.DataKey, bool, error) {
	key, err := k.KeyForWrite(ctx, client)
	return key, false, err
}

// syncBuffer collects log lines from several goroutines.
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{} // closed and replaced on every write
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.changed != nil {
		close(s.changed)
	}
	s.changed = make(chan struct{})
	return s.b.Write(p)
}

// waitFor waits, up to 15s, until the log holds sub.
func (s *syncBuffer) waitFor(tb testing.TB, sub string) {
	tb.Helper()
	deadline := time.After(15 * time.Second)
	for {
		s.mu.Lock()
		if s.changed == nil {
			s.changed = make(chan struct{})
		}
		found, ch := strings.Contains(s.b.String(), sub), s.changed
		s.mu.Unlock()
		if found {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			tb.Fatalf("the log never said %q:\n%s", sub, s.String())
		}
	}
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Sleep models the host sleeping until t: the time of day moves to t, but
// timers count elapsed time, which stood still, so each fires that much
// later by the clock; none fires now.
func (c *fakeClock) Sleep(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	slept := t.Sub(c.now)
	c.now = t
	for i := range c.waiters {
		c.waiters[i].at = c.waiters[i].at.Add(slept)
	}
}
