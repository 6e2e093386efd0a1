package kurrentdb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/metrics"
)

const (
	// maxRaces bounds how many WrongExpectedVersion answers in a row one
	// append takes (each means another writer moved the stream first, or
	// the index has not yet seen a write) before it gives up. Between
	// them it backs off, jittered, from raceBackoff doubling up to
	// maxRaceBackoff: about ten seconds in all at worst.
	maxRaces       = 16
	raceBackoff    = 5 * time.Millisecond
	maxRaceBackoff = time.Second
	// maxVisible bounds how many times an acknowledged append is looked
	// for in $all (with the same backoff) before Append treats its place
	// as unknown and tries again with the same ids.
	maxVisible = 8
	// maxAttempts bounds how many times one append is tried after
	// transient failures, including ones that leave its outcome unknown.
	maxAttempts = 5
)

// errRaced says KurrentDB refused the append at the revision the index gave:
// another writer got there first, so look again.
var errRaced = errors.New("kurrentdb: the stream moved")

// unknownOutcome says an append was sent but no answer came back: it may or
// may not have been written.
type unknownOutcome struct{ err error }

func (e *unknownOutcome) Error() string { return "outcome unknown: " + e.err.Error() }
func (e *unknownOutcome) Unwrap() error { return e.err }

// Append writes events to the end of a ledger stream if expected holds,
// sealing each into the stream's hash chain (R-LEDGER-2, R-LEDGER-4). It
// appends at the stream's exact last revision as the index knows it, so
// KurrentDB refuses the write if another writer moved the stream; the
// adapter then looks again, so with eventstore.Any it retries and with an
// exact expectation it reports the conflict. A retry of an append that was
// written returns the original result whatever expected says. Events with a
// zero RecordedAt are stamped with the current UTC time, once, so every
// attempt seals the same envelope.
//
// When the connection drops after the append was sent, Append finds out
// whether it was written by reading $all for its event ids and, if not,
// sends it again with the same ids: a few times, while the Store has a
// client.
//
// Errors: *eventstore.ConflictError when expected does not hold; an error
// wrapping eventstore.ErrInvalid for a malformed append (see
// eventstore.ValidateAppend), a stream outside the ledger's prefixes, or
// event ids already stored elsewhere; eventstore.ErrClosed after Close; an
// error wrapping eventstore.ErrUnavailable when KurrentDB cannot be reached
// (at once while the Store is reconnecting), in which case the append may
// or may not have been written and retrying it with the same event ids is
// safe; ctx's error, likewise.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if err := eventstore.ValidateAppend(stream, events); err != nil {
		return eventstore.AppendResult{}, err
	}
	if !s.names.owns(stream) {
		return eventstore.AppendResult{}, fmt.Errorf("%w: %q is not a ledger stream (prefixes %q)", eventstore.ErrInvalid, stream, s.o.prefixes)
	}
	if s.isClosed() {
		return eventstore.AppendResult{}, eventstore.ErrClosed
	}
	now := time.Now().UTC()
	own := make([]eventstore.EventData, len(events))
	for i, ev := range events {
		ev.Data = bytes.Clone(ev.Data)
		if ev.Metadata.RecordedAt.IsZero() {
			ev.Metadata.RecordedAt = now
		}
		own[i] = ev
	}
	races, attempts, unknown := 0, 0, false
	delay, raceDelay := 25*time.Millisecond, raceBackoff
	for {
		res, err := s.appendOnce(ctx, stream, expected, own)
		var uo *unknownOutcome
		switch {
		case err == nil:
			metrics.AppendBatch(1, time.Since(now))
			return res, nil
		case errors.Is(err, errRaced):
			if races++; races < maxRaces && s.sleep(ctx, jitter(raceDelay)) {
				raceDelay = min(2*raceDelay, maxRaceBackoff)
				continue
			}
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			return res, fmt.Errorf("kurrentdb: append to %q: %w: the stream moved under the append %d times in a row (other writers, or a node whose $all lags)",
				stream, eventstore.ErrUnavailable, races)
		case ctx.Err() != nil:
			return res, ctx.Err()
		case errors.As(err, &uo) || retryable(err) || errors.Is(err, errNoClient):
			unknown = unknown || uo != nil
			attempts++
			if attempts < maxAttempts && !errors.Is(err, errNoClient) && s.sleep(ctx, delay) {
				delay *= 2
				continue
			}
			if unknown {
				return res, fmt.Errorf("kurrentdb: append to %q: %w: whether it was written is unknown, and retrying with the same event ids is safe: %w",
					stream, eventstore.ErrUnavailable, err)
			}
			return res, ledgerError(ctx, "append to "+stream, err)
		default:
			return res, err
		}
	}
}

// appendOnce makes one attempt: catch the index up, recognise a retry,
// check expected, seal and send at the exact revision, and read back where
// the events landed.
func (s *Store) appendOnce(ctx context.Context, stream string, expected eventstore.ExpectedRevision, evs []eventstore.EventData) (eventstore.AppendResult, error) {
	var none eventstore.AppendResult
	if err := s.idx.catchUp(ctx, s); err != nil {
		return none, err
	}
	if res, ok, err := s.idx.retryResult(stream, evs); err != nil || ok {
		return res, err
	}
	h, exists := s.idx.head(stream)
	if !expected.Allows(h.revision, exists) {
		return none, &eventstore.ConflictError{Stream: stream, Expected: expected, Actual: h.revision, Exists: exists}
	}
	if h.bad != nil {
		return none, h.bad
	}
	var want esdb.ExpectedRevision = esdb.NoStream{}
	rev, prev := uint64(0), eventstore.GenesisHash
	if exists {
		want, rev, prev = esdb.Revision(h.revision), h.revision+1, h.hash
	}
	wire := make([]esdb.EventData, len(evs))
	for i, ev := range evs {
		meta := eventstore.Seal(stream, rev, prev, ev)
		w, err := toWire(ev, meta)
		if err != nil {
			return none, err
		}
		wire[i] = w
		rev, prev = rev+1, meta.Hash
	}
	_, err := do(s, ctx, func(ctx context.Context, cl *esdb.Client) (*esdb.WriteResult, error) {
		return cl.AppendToStream(ctx, s.names.wire(stream), esdb.AppendToStreamOptions{ExpectedRevision: want}, wire...)
	})
	switch {
	case err == nil:
	case isCode(err, esdb.ErrorCodeWrongExpectedVersion):
		return none, errRaced
	case errors.Is(err, errNoClient), errors.Is(err, eventstore.ErrClosed), ctx.Err() != nil:
		return none, err
	case isDefinitive(err):
		return none, ledgerError(ctx, "append to "+stream, err)
	default:
		return none, &unknownOutcome{err}
	}
	// Written now, or earlier by an attempt whose answer was lost (KurrentDB
	// recognises the ids). Either way $all says where: the answer itself
	// carries no position for a recognised retry. The leader shows its own
	// acknowledged writes at once; should $all still lag (a node that is
	// no longer the leader), look again with backoff rather than report a
	// write that succeeded as failed.
	wait := raceBackoff
	for range maxVisible {
		if err := s.idx.catchUp(ctx, s); err != nil {
			return none, &unknownOutcome{err}
		}
		res, ok, err := s.idx.retryResult(stream, evs)
		if err != nil || ok {
			return res, err
		}
		if !s.sleep(ctx, jitter(wait)) {
			break
		}
		wait = min(2*wait, maxRaceBackoff)
	}
	return none, &unknownOutcome{errors.New("KurrentDB acknowledged the append but $all does not show it yet")}
}

// jitter returns a random duration between d/2 and d, so writers that
// collided do not retry in step.
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2)
}
