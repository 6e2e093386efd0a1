package kurrentdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/referral-ledger/ledger/eventstore"
)

// scanSlice is how long one filtered read of $all runs through other
// applications' records before it returns what it has scanned.
const scanSlice = 250 * time.Millisecond

// page is one filtered read of $all: the ledger's records after a
// position, and how far $all has been scanned.
type page struct {
	records []*esdb.RecordedEvent
	reached eventstore.Position // every record up to here has been scanned
	more    bool                // stopped at n records; more may follow
}

// lastRecord returns the commit position of the last record in $all, of
// any stream, or Start when $all is empty: one record read backwards from
// the end, whatever else is in the log.
func lastRecord(ctx context.Context, cl *esdb.Client) (eventstore.Position, error) {
	rs, err := cl.ReadAll(ctx, esdb.ReadAllOptions{Direction: esdb.Backwards, From: esdb.End{}}, 1)
	if err != nil {
		return 0, err
	}
	defer rs.Close()
	ev, err := rs.Recv()
	switch {
	case errors.Is(err, io.EOF):
		return eventstore.Start, nil
	case err != nil:
		return 0, err
	}
	return commitOf(ev.OriginalEvent()), nil
}

// scan returns up to n of the ledger's records after position after, in
// order, filtered on the server. Client v4.2.0 cannot filter a read of
// $all, so this is a catch-up subscription to $all with the ledger's
// stream-prefix filter, ended once it has passed the last record $all held
// when it started (CaughtUp, or a checkpoint or event at or beyond it):
// other applications' records never cross the wire, and when nothing at
// all was written since after, no subscription is opened. This is how
// KurrentDB's documentation says a client should follow a subset of $all.
func (s *Store) scan(ctx context.Context, after eventstore.Position, n int) (page, error) {
	return read(s, ctx, func(ctx context.Context, cl *esdb.Client) (page, error) {
		end, err := lastRecord(ctx, cl)
		if err != nil {
			return page{}, err
		}
		p := page{reached: after}
		if end <= after {
			return p, nil
		}
		started := time.Now()
		sub, err := cl.SubscribeToAll(ctx, esdb.SubscribeToAllOptions{From: allFrom(after), Filter: s.names.filter()})
		if err != nil {
			return page{}, err
		}
		defer sub.Close()
		for {
			e := sub.Recv()
			switch {
			case e.SubscriptionDropped != nil:
				if err := e.SubscriptionDropped.Error; err != nil {
					return page{}, err
				}
				return page{}, errors.New("kurrentdb: the read of $all was dropped")
			case e.EventAppeared != nil:
				r := e.EventAppeared.OriginalEvent()
				pos := commitOf(r)
				if pos <= after {
					continue
				}
				p.records = append(p.records, r)
				p.reached = pos
				if pos >= end {
					return p, nil
				}
				if len(p.records) == n {
					p.more = true
					return p, nil
				}
			case e.CaughtUp != nil:
				p.reached = max(p.reached, end)
				return p, nil
			case e.CheckPointReached != nil:
				// A checkpoint says the server has scanned $all up to
				// there (KurrentDB's documentation resumes filtered
				// subscriptions from it). Past end, the page is done;
				// after scanSlice, hand back the progress, so a long
				// scan of other applications' records survives a
				// caller's deadline and the next call goes on from it.
				cp := eventstore.Position(e.CheckPointReached.Commit)
				if cp >= end {
					p.reached = max(p.reached, end)
					return p, nil
				}
				if cp > p.reached {
					p.reached = cp
					if time.Since(started) > scanSlice {
						p.more = true
						return p, nil
					}
				}
			}
		}
	})
}

// ReadAll returns up to limit ledger events with position > after, in
// position order, skipping system streams and streams outside the ledger's
// prefixes.
//
// Errors: an error wrapping eventstore.ErrUnavailable when KurrentDB cannot
// be reached; eventstore.ErrClosed after Close; an error naming the event
// for a ledger-prefixed event without the ledger's envelope.
func (s *Store) ReadAll(ctx context.Context, after eventstore.Position, limit int) ([]eventstore.RecordedEvent, error) {
	if s.isClosed() {
		return nil, eventstore.ErrClosed
	}
	if limit <= 0 {
		limit = math.MaxInt // no limit, as the Store contract says
	}
	var out []eventstore.RecordedEvent
	for len(out) < limit {
		p, err := s.scan(ctx, after, min(max(limit-len(out), 64), 1024))
		if err != nil {
			return nil, ledgerError(ctx, "read $all", err)
		}
		for _, r := range p.records {
			name, ok := s.names.ledger(r.StreamID)
			if !ok {
				continue
			}
			ev, err := fromWire(r, name, commitOf(r))
			if err != nil {
				return nil, err
			}
			if out = append(out, ev); len(out) == limit {
				return out, nil
			}
		}
		if !p.more {
			break
		}
		after = p.reached
	}
	return out, nil
}

// Head returns the position of the last ledger event, or eventstore.Start
// when there is none. It catches the index up (see scan: one record read
// from the end of $all, and a filtered read of whatever was written since
// the last call) and answers from it, so its cost does not grow with other
// applications' traffic in a shared KurrentDB.
//
// Errors: as ReadAll.
func (s *Store) Head(ctx context.Context) (eventstore.Position, error) {
	if s.isClosed() {
		return 0, eventstore.ErrClosed
	}
	if err := s.idx.catchUp(ctx, s); err != nil {
		return 0, ledgerError(ctx, "read $all", err)
	}
	return s.idx.last(), nil
}

// ReadStream returns up to limit events of a ledger stream with revision >=
// from, in revision order; a stream with no events gives an empty slice.
// Positions come from the index, since KurrentDB sends none with events
// read from a stream.
//
// Errors: eventstore.ErrInvalid for a name outside the ledger's streams;
// otherwise as ReadAll.
func (s *Store) ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]eventstore.RecordedEvent, error) {
	if !s.names.owns(stream) {
		return nil, fmt.Errorf("%w: %q is not a ledger stream (prefixes %q)", eventstore.ErrInvalid, stream, s.o.prefixes)
	}
	if s.isClosed() {
		return nil, eventstore.ErrClosed
	}
	out := []eventstore.RecordedEvent{}
	if limit <= 0 {
		limit = math.MaxInt32 // no limit, as the Store contract says
	}
	recs, err := read(s, ctx, func(ctx context.Context, cl *esdb.Client) ([]*esdb.RecordedEvent, error) {
		rs, err := cl.ReadStream(ctx, s.names.wire(stream), esdb.ReadStreamOptions{From: esdb.Revision(from)}, uint64(limit))
		if err != nil {
			return nil, err
		}
		defer rs.Close()
		var out []*esdb.RecordedEvent
		for {
			ev, err := rs.Recv()
			switch {
			case errors.Is(err, io.EOF):
				return out, nil
			case isCode(err, esdb.ErrorCodeResourceNotFound):
				return nil, nil
			case err != nil:
				return nil, err
			}
			out = append(out, ev.OriginalEvent())
		}
	})
	if err != nil {
		return nil, ledgerError(ctx, "read stream "+stream, err)
	}
	caughtUp := false
	for _, r := range recs {
		pos, ok := s.idx.position(r.EventID, stream, r.EventNumber)
		if !ok && !caughtUp {
			if err := s.idx.catchUp(ctx, s); err != nil {
				return nil, ledgerError(ctx, "read $all", err)
			}
			caughtUp = true
			pos, ok = s.idx.position(r.EventID, stream, r.EventNumber)
		}
		if !ok {
			return nil, fmt.Errorf("kurrentdb: event %s at %q revision %d is in the stream but not in $all", r.EventID, stream, r.EventNumber)
		}
		ev, err := fromWire(r, stream, pos)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, nil
}
