package keystore

import (
	"container/list"
	"context"
	"errors"
	"sync"

	"github.com/google/uuid"
)

// DefaultCacheSize is the number of clients a Cached remembers when
// NewCached is given no size: 10,000 keys are well under a megabyte.
const DefaultCacheSize = 10_000

// Cached is a Store with a bounded, least-recently-used cache of unwrapped
// keys in front of another Store, so reading a client's data does not cost
// a database read and an unwrap each time. It also remembers clients whose
// keys are destroyed, which is final, so reads of erased data stay cheap.
// It is safe for concurrent use.
//
// The cache is container/list plus a map: the standard library does the
// job in a few lines, and no third-party code gets to hold unwrapped keys.
type Cached struct {
	store Store
	size  int

	mu      sync.Mutex
	closed  bool
	entries map[uuid.UUID]*list.Element // of *entry
	lru     *list.List                  // front is the most recently used
	// epoch counts Destroy calls begun. A key read from the store while a
	// Destroy runs may be the destroyed key, so a read that sees epoch move
	// returns its key but does not cache it.
	epoch uint64
}

type entry struct {
	clientID  uuid.UUID
	key       DataKey
	destroyed bool
}

// NewCached returns store with a cache of up to size clients in front of it
// (DefaultCacheSize when size <= 0). Closing the Cached closes store.
func NewCached(store Store, size int) *Cached {
	if size <= 0 {
		size = DefaultCacheSize
	}
	return &Cached{store: store, size: size, entries: make(map[uuid.UUID]*list.Element), lru: list.New()}
}

// Get returns the client's key from the cache, or from the store on a miss.
// Errors are the store's, and ErrUnavailable after Close.
func (c *Cached) Get(ctx context.Context, clientID uuid.UUID) (DataKey, error) {
	return c.load(ctx, clientID, c.store.Get)
}

// Create returns the client's key from the cache, or creates or reads it in
// the store on a miss. Errors are the store's, and ErrUnavailable after
// Close.
func (c *Cached) Create(ctx context.Context, clientID uuid.UUID) (DataKey, error) {
	return c.load(ctx, clientID, c.store.Create)
}

func (c *Cached) load(ctx context.Context, clientID uuid.UUID,
	fetch func(context.Context, uuid.UUID) (DataKey, error)) (DataKey, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return DataKey{}, errClosed
	}
	if el, ok := c.entries[clientID]; ok {
		c.lru.MoveToFront(el)
		e := el.Value.(*entry)
		key, destroyed := e.key, e.destroyed
		c.mu.Unlock()
		if destroyed {
			return DataKey{}, ErrDestroyed
		}
		return key, nil
	}
	epoch := c.epoch
	c.mu.Unlock()

	key, err := fetch(ctx, clientID)
	destroyed := errors.Is(err, ErrDestroyed)
	if err != nil && !destroyed {
		return DataKey{}, err
	}
	c.mu.Lock()
	if !c.closed && c.epoch == epoch {
		c.put(clientID, key, destroyed)
	}
	c.mu.Unlock()
	return key, err
}

// put caches the client's key, or the fact it was destroyed, evicting the
// least recently used client when full. c.mu must be held.
func (c *Cached) put(clientID uuid.UUID, key DataKey, destroyed bool) {
	if el, ok := c.entries[clientID]; ok {
		e := el.Value.(*entry)
		e.key, e.destroyed = key, destroyed
		c.lru.MoveToFront(el)
		return
	}
	for c.lru.Len() >= c.size {
		c.evict(c.lru.Back())
	}
	c.entries[clientID] = c.lru.PushFront(&entry{clientID: clientID, key: key, destroyed: destroyed})
}

// evict drops el, zeroing the key it held. c.mu must be held.
func (c *Cached) evict(el *list.Element) {
	e := c.lru.Remove(el).(*entry)
	clear(e.key[:])
	delete(c.entries, e.clientID)
}

// Destroy evicts the client's key from the cache and destroys it in the
// store; once that succeeds the cache remembers the client as destroyed.
// Errors are the store's, and ErrUnavailable after Close.
func (c *Cached) Destroy(ctx context.Context, clientID uuid.UUID) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return errClosed
	}
	c.epoch++
	if el, ok := c.entries[clientID]; ok {
		c.evict(el)
	}
	c.mu.Unlock()

	err := c.store.Destroy(ctx, clientID)

	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++ // a read begun during the store's Destroy may still hold the old key
	if el, ok := c.entries[clientID]; ok {
		c.evict(el)
	}
	if err == nil && !c.closed {
		c.put(clientID, DataKey{}, true)
	}
	return err
}

// Rewrap rewraps the store's keys under next. Unwrapped keys do not change,
// so the cache stays. Errors are the store's, and ErrUnavailable after
// Close.
func (c *Cached) Rewrap(ctx context.Context, next MasterKey) (int, error) {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return 0, errClosed
	}
	return c.store.Rewrap(ctx, next)
}

// Close empties the cache, zeroing the keys it held, and closes the store.
// It may be repeated.
func (c *Cached) Close() error {
	c.mu.Lock()
	c.closed = true
	for c.lru.Len() > 0 {
		c.evict(c.lru.Back())
	}
	c.mu.Unlock()
	return c.store.Close()
}

// Len returns the number of clients cached, for tests and metrics.
func (c *Cached) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// errClosed is returned by every call on a closed Cached.
var errClosed = Unavailable("cache", errors.New("store is closed"))

// CheckEach implements Checker: it asks the store behind the cache (in one
// pass when it can) and caches nothing.
func (c *Cached) CheckEach(ctx context.Context, clients []uuid.UUID, report func(uuid.UUID, error)) error {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return Unavailable("check keys", errors.New("the key store is closed"))
	}
	return CheckEachOf(ctx, c.store, clients, report)
}

// Used reports whether the store behind the cache holds any key or
// tombstone (Holder); a store that cannot tell answers false.
func (c *Cached) Used(ctx context.Context) (bool, error) {
	if h, ok := c.store.(Holder); ok {
		return h.Used(ctx)
	}
	return false, nil
}
