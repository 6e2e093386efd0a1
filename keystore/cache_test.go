package keystore_test

import (
	"context"
	"crypto/rand"
	"errors"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/keystore"
)

// memStore is a Store in a map that counts the calls reaching it. gate,
// when set, is called by Get after reading and before answering, so a test
// can hold a read in flight.
type memStore struct {
	mu        sync.Mutex
	keys      map[uuid.UUID]keystore.DataKey
	destroyed map[uuid.UUID]bool
	gets      int
	failNext  error
	gate      func()
}

func newMemStore() *memStore {
	return &memStore{keys: map[uuid.UUID]keystore.DataKey{}, destroyed: map[uuid.UUID]bool{}}
}

func (m *memStore) fail() error {
	err := m.failNext
	m.failNext = nil
	return err
}

func (m *memStore) Create(_ context.Context, id uuid.UUID) (keystore.DataKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.fail(); err != nil {
		return keystore.DataKey{}, err
	}
	if m.destroyed[id] {
		return keystore.DataKey{}, keystore.ErrDestroyed
	}
	k, ok := m.keys[id]
	if !ok {
		_, _ = rand.Read(k[:])
		m.keys[id] = k
	}
	return k, nil
}

func (m *memStore) Get(_ context.Context, id uuid.UUID) (keystore.DataKey, error) {
	m.mu.Lock()
	m.gets++
	k, ok := m.keys[id]
	destroyed, err, gate := m.destroyed[id], m.fail(), m.gate
	m.mu.Unlock()
	if gate != nil {
		gate()
	}
	switch {
	case err != nil:
		return keystore.DataKey{}, err
	case destroyed:
		return keystore.DataKey{}, keystore.ErrDestroyed
	case !ok:
		return keystore.DataKey{}, keystore.ErrNotFound
	}
	return k, nil
}

func (m *memStore) Destroy(_ context.Context, id uuid.UUID) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.fail(); err != nil {
		return err
	}
	delete(m.keys, id)
	m.destroyed[id] = true
	return nil
}

func (m *memStore) Rewrap(context.Context, keystore.MasterKey) (int, error) { return 0, nil }
func (m *memStore) Close() error                                            { return nil }

func (m *memStore) getCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.gets
}

var errDown = keystore.Unavailable("test", errors.New("down"))

func TestCachedHitSkipsStore(t *testing.T) {
	m := newMemStore()
	c := keystore.NewCached(m, 10)
	ctx := context.Background()
	id := uuid.New()
	k, err := c.Create(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if got, err := c.Get(ctx, id); err != nil || got != k {
			t.Fatalf("Get = %v; want the created key", err)
		}
	}
	if n := m.getCount(); n != 0 {
		t.Errorf("store saw %d Gets, want 0", n)
	}
}

func TestCachedEvictsLeastRecentlyUsed(t *testing.T) {
	m := newMemStore()
	c := keystore.NewCached(m, 2)
	ctx := context.Background()
	a, b, d := uuid.New(), uuid.New(), uuid.New()
	for _, id := range []uuid.UUID{a, b} {
		if _, err := c.Create(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Get(ctx, a); err != nil { // a is now more recent than b
		t.Fatal(err)
	}
	if _, err := c.Create(ctx, d); err != nil {
		t.Fatal(err)
	}
	if c.Len() != 2 {
		t.Errorf("Len = %d, want 2", c.Len())
	}
	before := m.getCount()
	if _, err := c.Get(ctx, a); err != nil {
		t.Fatal(err)
	}
	if m.getCount() != before {
		t.Error("a was evicted; want b, the least recently used")
	}
	if _, err := c.Get(ctx, b); err != nil {
		t.Fatal(err)
	}
	if m.getCount() != before+1 {
		t.Error("b was still cached")
	}
}

// R-PRIV-3: Destroy evicts the key; the cache answers ErrDestroyed from then
// on, without asking the store, since destruction is final.
func TestCachedDestroyEvicts(t *testing.T) {
	m := newMemStore()
	c := keystore.NewCached(m, 10)
	ctx := context.Background()
	id := uuid.New()
	if _, err := c.Create(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := c.Destroy(ctx, id); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := c.Get(ctx, id); !errors.Is(err, keystore.ErrDestroyed) {
			t.Fatalf("Get after Destroy = %v, want ErrDestroyed", err)
		}
	}
	if _, err := c.Create(ctx, id); !errors.Is(err, keystore.ErrDestroyed) {
		t.Errorf("Create after Destroy = %v, want ErrDestroyed", err)
	}
	if n := m.getCount(); n != 0 {
		t.Errorf("store saw %d Gets, want 0", n)
	}
}

// A Destroy that fails still evicts, and does not mark the client erased:
// the next read asks the store, whose answer stands.
func TestCachedFailedDestroy(t *testing.T) {
	m := newMemStore()
	c := keystore.NewCached(m, 10)
	ctx := context.Background()
	id := uuid.New()
	k, _ := c.Create(ctx, id)
	m.failNext = errDown
	if err := c.Destroy(ctx, id); !errors.Is(err, keystore.ErrUnavailable) {
		t.Fatalf("Destroy = %v, want ErrUnavailable", err)
	}
	if got, err := c.Get(ctx, id); err != nil || got != k {
		t.Errorf("Get after failed Destroy = %v; want the key, from the store", err)
	}
	if m.getCount() != 1 {
		t.Error("Get after a failed Destroy did not ask the store")
	}
}

// An unavailable store is never cached as an answer.
func TestCachedErrorsNotCached(t *testing.T) {
	m := newMemStore()
	c := keystore.NewCached(m, 10)
	ctx := context.Background()
	id := uuid.New()
	m.failNext = errDown
	if _, err := c.Get(ctx, id); !errors.Is(err, keystore.ErrUnavailable) {
		t.Fatalf("Get = %v, want ErrUnavailable", err)
	}
	if _, err := c.Get(ctx, id); !errors.Is(err, keystore.ErrNotFound) {
		t.Errorf("Get after the store recovered = %v, want ErrNotFound", err)
	}
}

// A read that misses the cache, and is still reading the store when the
// client is destroyed, must not put the destroyed key in the cache.
func TestCachedDestroyDuringRead(t *testing.T) {
	m := newMemStore()
	c := keystore.NewCached(m, 10)
	ctx := context.Background()
	id := uuid.New()
	k, _ := m.Create(ctx, id) // in the store, not in the cache

	reading, release := make(chan struct{}), make(chan struct{})
	m.gate = func() { close(reading); <-release }
	done := make(chan error)
	go func() {
		got, err := c.Get(ctx, id)
		if err == nil && got != k {
			err = errors.New("wrong key")
		}
		done <- err
	}()
	<-reading
	m.mu.Lock()
	m.gate = nil
	m.mu.Unlock()
	if err := c.Destroy(ctx, id); err != nil {
		t.Fatal(err)
	}
	close(release)
	if err := <-done; err != nil { // it read before the Destroy; either answer is fair
		t.Fatalf("in-flight Get: %v", err)
	}
	if _, err := c.Get(ctx, id); !errors.Is(err, keystore.ErrDestroyed) {
		t.Errorf("Get after Destroy = %v, want ErrDestroyed (the in-flight read cached the key)", err)
	}
}

// Once Destroy has returned, no caller sees the key, however calls race.
func TestCachedConcurrent(t *testing.T) {
	m := newMemStore()
	c := keystore.NewCached(m, 8)
	ctx := context.Background()
	ids := make([]uuid.UUID, 32)
	for i := range ids {
		ids[i] = uuid.New()
	}
	var destroyed sync.Map
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 400 {
				id := ids[(i*7+w)%len(ids)]
				_, wasGone := destroyed.Load(id)
				switch i % 17 {
				case 0:
					if err := c.Destroy(ctx, id); err != nil {
						t.Error(err)
						return
					}
					destroyed.Store(id, true)
				default:
					_, err := c.Create(ctx, id)
					if wasGone && !errors.Is(err, keystore.ErrDestroyed) {
						t.Errorf("Create after Destroy returned = %v, want ErrDestroyed", err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	if c.Len() > 8 {
		t.Errorf("Len = %d, want at most 8", c.Len())
	}
}

func TestCachedClosed(t *testing.T) {
	c := keystore.NewCached(newMemStore(), 10)
	ctx := context.Background()
	id := uuid.New()
	if _, err := c.Create(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, id); !errors.Is(err, keystore.ErrUnavailable) {
		t.Errorf("Get of a cached key after Close = %v, want ErrUnavailable", err)
	}
	if c.Len() != 0 {
		t.Errorf("Len after Close = %d, want 0", c.Len())
	}
}
