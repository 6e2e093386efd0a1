package ledger

import (
	"container/list"
	"context"
	"strings"
	"sync"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
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
	// asOf is a position up to which the stream is known to hold nothing
	// after revision (0: not known): a read whose head is at most asOf
	// may use the state without asking the store.
	asOf eventstore.Position
}

// noEvents is the cached state of a stream known to be empty up to its
// entry's asOf.
type noEvents struct{}

func newStateCache(max int) *stateCache {
	return &stateCache{max: max, ll: list.New(), m: make(map[string]*list.Element)}
}

// cacheableStream says whether stream's folded state is cached by
// commands.
func cacheableStream(stream string) bool {
	return strings.HasPrefix(stream, ReferralPrefix) || strings.HasPrefix(stream, OrganisationPrefix)
}

// foldableStream says whether stream's folded state is cached by reads:
// the streams commands cache, and clients' streams (their erasure and lock
// state, which holds none of the client's data but the notes on their
// case, checked against erasure as a referral's data is: cachedAsOf).
func foldableStream(stream string) bool {
	return cacheableStream(stream) || strings.HasPrefix(stream, ClientPrefix)
}

func (c *stateCache) get(stream string) (any, uint64, eventstore.Position, bool) {
	if c == nil {
		return nil, 0, 0, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[stream]
	if !ok {
		return nil, 0, 0, false
	}
	c.ll.MoveToFront(e)
	s := e.Value.(*cachedState)
	return s.state, s.revision, s.asOf, true
}

// put keeps state as stream's fold up to revision, known to be the
// stream's last up to position asOf, unless the cache holds a later one
// already (a read racing a command).
func (c *stateCache) put(stream string, state any, revision uint64, asOf eventstore.Position) {
	if c == nil || !foldableStream(stream) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[stream]; ok {
		s := e.Value.(*cachedState)
		_, wasEmpty := s.state.(noEvents)
		_, isEmpty := state.(noEvents)
		switch {
		case wasEmpty && isEmpty:
			s.asOf = max(s.asOf, asOf)
		case isEmpty: // a read that began before the stream's first write
		case wasEmpty:
			s.state, s.revision, s.asOf = state, revision, asOf
		case s.revision < revision:
			s.state, s.revision, s.asOf = state, revision, asOf
		case s.revision == revision:
			s.state, s.asOf = state, max(s.asOf, asOf)
		}
		c.ll.MoveToFront(e)
		return
	}
	c.m[stream] = c.ll.PushFront(&cachedState{stream: stream, state: state, revision: revision, asOf: asOf})
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
// may still be used: a referral, or a client's record with notes on their
// case, whose client is erased, or whose key cannot be read now, is not (the caller reads the stream, which answers
// as decoding always has).
func cached[S any](ctx context.Context, s *Service, stream string) (S, uint64, bool) {
	state, rev, _, ok := cachedAsOf[S](ctx, s, stream)
	return state, rev, ok
}

// cachedAsOf is cached, also returning the position up to which the state
// is known to be the stream's last (0 when not known).
func cachedAsOf[S any](ctx context.Context, s *Service, stream string) (S, uint64, eventstore.Position, bool) {
	var zero S
	v, rev, asOf, ok := s.states.get(stream)
	if !ok {
		return zero, 0, 0, false
	}
	state, ok := v.(S)
	if !ok {
		return zero, 0, 0, false
	}
	var client uuid.UUID
	switch c := v.(type) {
	case domain.Referral:
		if c.Exists {
			client = c.ClientID
		}
	case domain.ClientRecord:
		// Its case notes are the one thing of the client's own it holds
		// (R-LOCK-4).
		if len(c.CaseNotes) > 0 {
			client = c.ID
		}
	}
	if client != uuid.Nil && s.codec.keys != nil {
		if _, erased, err := s.codec.keys.KeyForRead(ctx, client); err != nil || erased {
			s.states.drop(stream)
			return zero, 0, 0, false
		}
	}
	return state, rev, asOf, true
}

// fold returns stream's state folded by evolve, the revision of its last
// event and whether it has any. A cached fold is brought up to date with
// the events after its revision (usually none: one short read), so the
// cost does not grow with the stream's length; otherwise the whole stream
// is read and decoded, and the fold cached. When the request's head (read
// after it began, see WithHead) is no later than the position up to which
// the cached fold is known current, the store is not asked at all.
func fold[S any](ctx context.Context, s *Service, stream string, evolve func(S, domain.Recorded) S) (S, uint64, bool, error) {
	return foldStored(ctx, s, stream, func(state S, ev eventstore.RecordedEvent) (S, error) {
		rec, err := s.codec.Decode(ctx, ev)
		if err != nil {
			return state, err
		}
		return evolve(state, rec), nil
	})
}

// foldStored is fold with step applying one stored event.
func foldStored[S any](ctx context.Context, s *Service, stream string, step func(S, eventstore.RecordedEvent) (S, error)) (S, uint64, bool, error) {
	head := headFrom(ctx)
	if head > 0 {
		if v, _, asOf, ok := s.states.get(stream); ok && asOf >= head {
			if _, empty := v.(noEvents); empty {
				var zero S
				return zero, 0, false, nil
			}
		}
	}
	state, rev, asOf, ok := cachedAsOf[S](ctx, s, stream)
	if ok && head > 0 && asOf >= head {
		return state, rev, true, nil
	}
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
		if state, err = step(state, ev); err != nil {
			var zero S
			return zero, 0, false, err
		}
		rev = ev.Revision
	}
	exists := ok || len(stored) > 0
	// The read began after the head was read, so it saw every event of
	// the stream up to the head.
	switch {
	case exists && foldableStream(stream):
		s.states.put(stream, state, rev, head)
	case !exists && head > 0 && foldableStream(stream):
		s.states.put(stream, noEvents{}, 0, head)
	}
	return state, rev, exists, nil
}
