package ledger

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/referral-ledger/ledger/eventstore"
)

// headReadTimeout bounds one shared read of the store's head. Each caller
// waits only as long as its own context allows; the read itself goes on
// for the others until this bound.
const headReadTimeout = 30 * time.Second

// headReads coalesces reads of the store's head (issue 14 point 6). A
// caller is answered by a read that began after it asked, so what it sees
// covers every write completed before it asked (read-your-writes) and a
// stalled store stalls it as a read of its own would (R-OPS-4); callers
// that ask while a read is in flight share the next one, so under load
// the store is asked about once per read's duration instead of once per
// request.
type headReads struct {
	store  eventstore.Store
	joined func() // called once a caller waits for a read (tests); may be nil

	mu      sync.Mutex
	running bool
	next    *headRead // the read the callers who came during the running one wait for

	// wake hands a read to a reader that finished its last one less than
	// headReaderLinger ago, so under load the reads keep one goroutine
	// (and its stack, grown by SQLite's deep calls) instead of starting
	// one per read.
	wake chan *headRead
}

// headReaderLinger is how long a reader waits for the next read before it
// ends.
const headReaderLinger = time.Second

type headRead struct {
	done chan struct{}
	pos  eventstore.Position
	err  error
}

// head returns the store's head as read after the call began.
func (h *headReads) head(ctx context.Context) (eventstore.Position, error) {
	h.mu.Lock()
	r := h.next
	if r == nil {
		r = &headRead{done: make(chan struct{})}
		h.next = r
	}
	var start *headRead
	if !h.running {
		h.running, h.next, start = true, nil, r
		if h.wake == nil {
			h.wake = make(chan *headRead)
		}
	}
	h.mu.Unlock()
	if start != nil {
		select {
		case h.wake <- start: // a lingering reader takes it
		default:
			go h.run(context.WithoutCancel(ctx), start)
		}
	}
	if h.joined != nil {
		h.joined()
	}
	select {
	case <-r.done:
		return r.pos, r.err
	case <-ctx.Done():
		return 0, fmt.Errorf("%w: read head: %w", eventstore.ErrUnavailable, ctx.Err())
	}
}

// run reads the head for r's callers, then for those who came meanwhile;
// then it waits up to headReaderLinger for another read.
func (h *headReads) run(ctx context.Context, r *headRead) {
	var linger *time.Timer
	for {
		for r != nil {
			rctx, cancel := context.WithTimeout(ctx, headReadTimeout)
			r.pos, r.err = h.store.Head(rctx)
			cancel()
			close(r.done)
			h.mu.Lock()
			r, h.next = h.next, nil
			h.running = r != nil
			h.mu.Unlock()
		}
		if linger == nil {
			linger = time.NewTimer(headReaderLinger)
		} else {
			linger.Reset(headReaderLinger)
		}
		select {
		case r = <-h.wake:
			linger.Stop()
		case <-linger.C:
			return
		}
	}
}

// readHead is the head of the store as a request's authentication read it,
// raised by the request's own appends: every stream's events up to pos
// were committed when the request could observe them, so a fold known to
// cover a stream up to pos needs no read (issue 14 point 6).
type readHead struct {
	mu  sync.Mutex
	pos eventstore.Position // 0: unknown, every fold reads
}

type readHeadKey struct{}

// WithHead returns ctx carrying the store's head pos, read after the
// request began: reads under ctx may answer from state known to be
// current up to pos instead of asking the store again.
func WithHead(ctx context.Context, pos eventstore.Position) context.Context {
	if pos == 0 {
		return ctx
	}
	return context.WithValue(ctx, readHeadKey{}, &readHead{pos: pos})
}

// headFrom is the head ctx carries, 0 when none.
func headFrom(ctx context.Context) eventstore.Position {
	h, _ := ctx.Value(readHeadKey{}).(*readHead)
	if h == nil {
		return 0
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.pos
}

// headTracking raises the head a request carries to the position of each
// of its appends, so that the request reads its own writes; an append
// whose outcome is unknown makes every later fold of the request read.
type headTracking struct {
	eventstore.Store
}

func (t headTracking) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	res, err := t.Store.Append(ctx, stream, expected, events...)
	if h, _ := ctx.Value(readHeadKey{}).(*readHead); h != nil {
		h.mu.Lock()
		switch {
		case err == nil:
			h.pos = max(h.pos, res.Position)
		default:
			h.pos = 0
		}
		h.mu.Unlock()
	}
	return res, err
}
