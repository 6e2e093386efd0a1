package ledger

import (
	"container/list"
	"context"
	"strings"
	"sync"

	"github.com/referral-ledger/ledger/domain"
)

// stateCacheSize bounds how many folded aggregates a service keeps: a
// referral's state is about a kilobyte, so a few megabytes at most.
const stateCacheSize = 4096

// stateCache keeps the folded state of recently used streams with the
// revision of the last event folded in, least recently used dropped first
// (issue 14: commands without replay). An entry is only a starting point:
// whoever uses it either reads the events after its revision, or appends
// expecting that revision, so an entry made stale by another writer (this
// node or another) costs a conflict and a short read, never a wrong
// decision (R-LEDGER-2).
//
// Only referral and organisation streams are cached. A referral's state
// holds its client's decrypted data, so an entry is used only after the
// client's key is asked for again (what decoding the stream would do), and
// an erased client's entry is dropped; erasing on this node also empties
// the cache (R-PRIV-3).
type stateCache struct {
	mu  sync.Mutex
	max int
	ll  *list.List               // front: most recently used
	m   map[string]*list.Element // stream → element holding *cachedState
}

type cachedState struct {
	stream   string
	state    any
	revision uint64
}

func newStateCache(max int) *stateCache {
	return &stateCache{max: max, ll: list.New(), m: make(map[string]*list.Element)}
}

// cacheableStream says whether stream's folded state is cached.
func cacheableStream(stream string) bool {
	return strings.HasPrefix(stream, ReferralPrefix) || strings.HasPrefix(stream, OrganisationPrefix)
}

func (c *stateCache) get(stream string) (any, uint64, bool) {
	if c == nil {
		return nil, 0, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[stream]
	if !ok {
		return nil, 0, false
	}
	c.ll.MoveToFront(e)
	s := e.Value.(*cachedState)
	return s.state, s.revision, true
}

// put keeps state as stream's fold up to revision, unless the cache holds a
// later one already (a read racing a command).
func (c *stateCache) put(stream string, state any, revision uint64) {
	if c == nil || !cacheableStream(stream) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[stream]; ok {
		s := e.Value.(*cachedState)
		if s.revision <= revision {
			s.state, s.revision = state, revision
		}
		c.ll.MoveToFront(e)
		return
	}
	c.m[stream] = c.ll.PushFront(&cachedState{stream: stream, state: state, revision: revision})
	for c.ll.Len() > c.max {
		last := c.ll.Back()
		c.ll.Remove(last)
		delete(c.m, last.Value.(*cachedState).stream)
	}
}

func (c *stateCache) drop(stream string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[stream]; ok {
		c.ll.Remove(e)
		delete(c.m, stream)
	}
}

// clear drops every entry: a client's key was destroyed here.
func (c *stateCache) clear() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ll.Init()
	clear(c.m)
}

// len is the number of entries, for tests.
func (c *stateCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}

// cached returns stream's cached fold as an S, if there is one whose data
// may still be used: a referral whose client is erased, or whose key
// cannot be read now, is not (the caller reads the stream, which answers
// as decoding always has).
func cached[S any](ctx context.Context, s *Service, stream string) (S, uint64, bool) {
	var zero S
	v, rev, ok := s.states.get(stream)
	if !ok {
		return zero, 0, false
	}
	state, ok := v.(S)
	if !ok {
		return zero, 0, false
	}
	if r, isReferral := v.(domain.Referral); isReferral && r.Exists && s.codec.keys != nil {
		if _, erased, err := s.codec.keys.KeyForRead(ctx, r.ClientID); err != nil || erased {
			s.states.drop(stream)
			return zero, 0, false
		}
	}
	return state, rev, true
}

// fold returns stream's state folded by evolve, the revision of its last
// event and whether it has any. A cached fold is brought up to date with
// the events after its revision (usually none: one short read), so the
// cost does not grow with the stream's length; otherwise the whole stream
// is read and decoded, and the fold cached.
func fold[S any](ctx context.Context, s *Service, stream string, evolve func(S, domain.Recorded) S) (S, uint64, bool, error) {
	state, rev, ok := cached[S](ctx, s, stream)
	var from uint64
	if ok {
		from = rev + 1
	}
	stored, err := s.store.ReadStream(ctx, stream, from, 0)
	if err != nil {
		var zero S
		return zero, 0, false, storeError(err)
	}
	for _, ev := range stored {
		rec, err := s.codec.Decode(ctx, ev)
		if err != nil {
			var zero S
			return zero, 0, false, err
		}
		state, rev = evolve(state, rec), rec.Revision
	}
	exists := ok || len(stored) > 0
	if exists && len(stored) > 0 {
		s.states.put(stream, state, rev)
	}
	return state, rev, exists, nil
}
