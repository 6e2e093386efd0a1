package kurrentdb

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/eventstore"
)

// indexPage is how many $all records one catch-up read asks for.
const indexPage = 512

// index is what the Store knows of the ledger from reading $all: where
// every event id is, and each stream's last revision and hash. KurrentDB
// cannot answer either question directly: it has no lookup by event id
// (and does not stop an id being used in two streams), and an event read
// from a stream carries no $all position. Appends and stream reads catch
// the index up to the end of $all first, so what it lacks is only what
// other writers added since, which KurrentDB's expected-revision check
// catches for the stream being written.
type index struct {
	sem chan struct{} // held by the one catch-up in progress

	mu      sync.Mutex
	after   eventstore.Position // $all is scanned up to here, every stream
	lastPos eventstore.Position // the last ledger event's position
	ids     map[uuid.UUID]entry
	heads   map[string]*head
}

type entry struct {
	head     *head // the event's stream
	revision uint64
	position eventstore.Position
}

type head struct {
	stream   string
	revision uint64
	hash     string
	bad      error // the last event has no ledger envelope, so no hash to chain to
}

func newIndex() *index {
	return &index{sem: make(chan struct{}, 1), ids: make(map[uuid.UUID]entry), heads: make(map[string]*head)}
}

// catchUp reads $all from where the index stopped to its end.
func (x *index) catchUp(ctx context.Context, s *Store) error {
	select {
	case x.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-x.sem }()
	for {
		x.mu.Lock()
		after := x.after
		x.mu.Unlock()
		page, err := s.scan(ctx, after, indexPage)
		if err != nil {
			return err
		}
		x.mu.Lock()
		for _, r := range page.records {
			x.add(s.names, r)
		}
		x.after = max(x.after, page.reached)
		x.mu.Unlock()
		if !page.more {
			return nil
		}
	}
}

// add records r if it is a ledger event. x.mu must be held.
func (x *index) add(names streams, r *esdb.RecordedEvent) {
	name, ok := names.ledger(r.StreamID)
	if !ok {
		return
	}
	h := x.heads[name]
	if h == nil {
		h = &head{stream: name}
		x.heads[name] = h
	}
	h.revision, h.hash, h.bad = r.EventNumber, "", nil
	var env envelope
	if err := json.Unmarshal(r.UserMetadata, &env); err != nil || env.Metadata.Hash == "" {
		h.bad = fmt.Errorf("kurrentdb: the last event of %q (revision %d, id %s) was not written by the ledger: it has no hash to chain to",
			name, r.EventNumber, r.EventID)
	} else {
		h.hash = env.Metadata.Hash
	}
	x.ids[r.EventID] = entry{head: h, revision: r.EventNumber, position: commitOf(r)}
	x.lastPos = max(x.lastPos, commitOf(r))
}

// last returns the position of the last ledger event the index knows.
func (x *index) last() eventstore.Position {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.lastPos
}

// head returns stream's last event as far as the index knows, and whether
// the stream has any.
func (x *index) head(stream string) (head, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	h := x.heads[stream]
	if h == nil {
		return head{stream: stream, hash: eventstore.GenesisHash}, false
	}
	return *h, true
}

// position returns where the event id at stream/revision is in $all.
func (x *index) position(id uuid.UUID, stream string, revision uint64) (eventstore.Position, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	e, ok := x.ids[id]
	if !ok || e.head.stream != stream || e.revision != revision {
		return 0, false
	}
	return e.position, true
}

// retryResult recognises a retried append: every event id already stored,
// in this stream, at consecutive revisions in the order given. It then
// returns where those events landed. Ids stored anywhere else, or only some
// of the ids stored, are an ErrInvalid error: the caller reused an id.
func (x *index) retryResult(stream string, evs []eventstore.EventData) (eventstore.AppendResult, bool, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	var res eventstore.AppendResult
	found := 0
	var first uint64
	for i, ev := range evs {
		e, ok := x.ids[ev.ID]
		if !ok {
			continue
		}
		if i == 0 {
			first = e.revision
		}
		if found != i || e.head.stream != stream || e.revision != first+uint64(i) {
			return res, false, fmt.Errorf("%w: event id %s is already stored at stream %q revision %d; "+
				"a retry must repeat the original append exactly", eventstore.ErrInvalid, ev.ID, e.head.stream, e.revision)
		}
		found++
		res = eventstore.AppendResult{Revision: e.revision, Position: e.position}
	}
	switch found {
	case 0:
		return res, false, nil
	case len(evs):
		return res, true, nil
	default:
		return res, false, fmt.Errorf("%w: only the first %d of %d event ids are already stored in %q; "+
			"a retry must repeat the original append exactly", eventstore.ErrInvalid, found, len(evs), stream)
	}
}
