package kurrentdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/referral-ledger/ledger/eventstore"
)

// page is one read of $all: the records after a position, of every stream,
// and whether more may follow.
type page struct {
	records []*esdb.RecordedEvent
	more    bool
}

// scan reads up to n records of $all after position after, in order. The
// client cannot filter a read (only a subscription), so every stream's
// records come back and callers pick the ledger's.
func (s *Store) scan(ctx context.Context, after eventstore.Position, n int) (page, error) {
	return read(s, ctx, func(ctx context.Context, cl *esdb.Client) (page, error) {
		// Reading from a position includes the record there, so ask for
		// one more.
		rs, err := cl.ReadAll(ctx, esdb.ReadAllOptions{From: allFrom(after)}, uint64(n)+1)
		if err != nil {
			return page{}, err
		}
		defer rs.Close()
		var p page
		got := 0
		for {
			ev, err := rs.Recv()
			if errors.Is(err, io.EOF) {
				p.more = got == n+1
				return p, nil
			}
			if err != nil {
				return page{}, err
			}
			got++
			if r := ev.OriginalEvent(); commitOf(r) > after {
				p.records = append(p.records, r)
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
			after = commitOf(r)
			name, ok := s.names.ledger(r.StreamID)
			if !ok {
				continue
			}
			ev, err := fromWire(r, name, after)
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
	}
	return out, nil
}

// Head returns the position of the last ledger event, or eventstore.Start
// when there is none, reading $all backwards past any other records.
//
// Errors: as ReadAll.
func (s *Store) Head(ctx context.Context) (eventstore.Position, error) {
	const n = 256
	var from esdb.AllPosition = esdb.End{}
	before := eventstore.Position(0) // 0: no bound yet
	for {
		at := from // an abandoned call may still read it
		recs, err := read(s, ctx, func(ctx context.Context, cl *esdb.Client) ([]*esdb.RecordedEvent, error) {
			rs, err := cl.ReadAll(ctx, esdb.ReadAllOptions{Direction: esdb.Backwards, From: at}, n)
			if err != nil {
				return nil, err
			}
			defer rs.Close()
			var out []*esdb.RecordedEvent
			for {
				ev, err := rs.Recv()
				if errors.Is(err, io.EOF) {
					return out, nil
				}
				if err != nil {
					return nil, err
				}
				out = append(out, ev.OriginalEvent())
			}
		})
		if err != nil {
			return 0, ledgerError(ctx, "read $all backwards", err)
		}
		for _, r := range recs {
			pos := commitOf(r)
			if before != 0 && pos >= before {
				continue // a server may include the record at the position read from
			}
			if _, ok := s.names.ledger(r.StreamID); ok {
				return pos, nil
			}
			before = pos
		}
		if len(recs) < n || before == 0 {
			return eventstore.Start, nil
		}
		from = esdb.Position{Commit: uint64(before), Prepare: uint64(before)}
	}
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
