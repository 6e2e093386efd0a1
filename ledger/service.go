package ledger

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/calendar"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
)

// maxConflictRetries bounds how often a command is re-decided against fresh
// state when another writer got in first. Each retry decides anew, so a
// conflicting write is never merged blindly (R-LEDGER-2).
const maxConflictRetries = 8

// conflictPause waits before a command decides again after another writer
// appended to its stream first: a random pause up to a ceiling that doubles
// with each loss, from 1 ms to 64 ms (full jitter). Without it a node whose
// retry must read the stream again can lose every race to one deciding
// from its cache, and answer 409 while the other node is still writing.
func conflictPause(ctx context.Context, attempt int) error {
	t := time.NewTimer(rand.N(time.Millisecond << min(attempt, 6)))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Service executes the ledger's commands.
type Service struct {
	store      eventstore.Store
	codec      *Codec
	now        func() time.Time
	mint       func() uuid.UUID                             // the id source outside WithIdempotencyKey
	locks      streamLocks                                  // one command at a time per stream in this process
	people     People                                       // names a locked case's responsible person; may be nil
	quota      MessageQuota                                 // limits messages per sender and client; may be nil
	names      OrganisationNames                            // organisations by name, for names reserved before R-ORG-1; may be nil
	refs       ReferenceIndex                               // the references taken, so a new referral's is unique (R-REF-13); may be nil
	reopenDays int                                          // R-REF-12; zero means domain.DefaultReopenDays
	calendar   *calendar.Calendar                           // an agreed close-by date's working days (R-TIME-4); may be nil
	states     *stateCache                                  // folded referrals and organisations, by stream
	access     *accessWriter                                // writes unlocked reads' access records in batches; nil: before answering
	heads      *headReads                                   // coalesced reads of the store's head
	pause      func(ctx context.Context, attempt int) error // before a retry after a conflict (conflictPause)
}

// NewService returns a service appending to store. now and newID are the
// clock and id source (injected so tests are deterministic).
func NewService(store eventstore.Store, codec *Codec, now func() time.Time, newID func() uuid.UUID) *Service {
	return &Service{store: headTracking{Store: store}, codec: codec, now: now, mint: newID,
		states: newStateCache(stateCacheSize), heads: &headReads{store: store}, pause: conflictPause}
}

// Now returns the service's clock reading, in UTC.
func (s *Service) Now() time.Time { return s.now().UTC() }

// Store returns the store the service appends to.
func (s *Service) Store() eventstore.Store { return s.store }

// Codec returns the service's event codec.
func (s *Service) Codec() *Codec { return s.codec }

// Request carries what a command records about its origin (R-LEDGER-3).
type Request struct {
	CorrelationID string
	CausationID   string
	Match         *Match // the revisions the caller last saw (If-Match, RFC 9110), if any
	Endpoint      string // the route that reads, for the access log (R-LOCK-9)
}

// Match is the precondition of an If-Match header (RFC 9110 section
// 13.1.1): the command runs only on an existing stream, at one of
// Revisions, or at any revision when Any ("*"). No revisions and not Any
// (a list of weak tags only, which never match) is never satisfied.
type Match struct {
	Any       bool
	Revisions []uint64
}

// At is the precondition that the stream is at revision, or none when
// revision is nil.
func At(revision *uint64) *Match {
	if revision == nil {
		return nil
	}
	return &Match{Revisions: []uint64{*revision}}
}

// conditional reports whether the request carries a precondition.
func (r Request) conditional() bool { return r.Match != nil }

// pinned reports whether the precondition names revisions, so that a
// concurrent change makes it fail; "*" only asks that the stream exist.
func (r Request) pinned() bool { return r.Match != nil && !r.Match.Any }

// satisfied reports whether the precondition holds for a stream that
// exists or not, at revision.
func (r Request) satisfied(exists bool, revision uint64) bool {
	if !exists || r.Match == nil {
		return false
	}
	return r.Match.Any || slices.Contains(r.Match.Revisions, revision)
}

// withoutMatch returns ctx without the caller's If-Match, for a step on a
// stream the precondition does not name (a name's or username's
// reservation, the completion of an erasure): the precondition is the
// command's own stream's, checked there (holdsFor, execute).
func withoutMatch(ctx context.Context) context.Context {
	req := requestFrom(ctx)
	if req.Match == nil {
		return ctx
	}
	req.Match = nil
	return WithRequest(ctx, req)
}

// holdsFor answers PreconditionFailed when the caller's If-Match does not
// hold for a stream that exists or not, at revision: for a command that
// writes elsewhere first, so that a stale If-Match refuses it before it
// writes anything.
func holdsFor(ctx context.Context, exists bool, revision uint64) error {
	if req := requestFrom(ctx); req.conditional() && !req.satisfied(exists, revision) {
		return errStale
	}
	return nil
}

// ReadHolds answers PreconditionFailed when the caller's If-Match does not
// hold for a resource read at revision: a GET with If-Match (RFC 9110
// section 13.1.1) whose resource has moved on is refused, not answered.
func ReadHolds(ctx context.Context, revision uint64) error {
	return holdsFor(ctx, true, revision)
}

// errStale is the PreconditionFailed of an If-Match that does not hold.
var errStale = domain.Errorf(domain.PreconditionFailed,
	"the resource is not at the revision If-Match names; read it again and retry")

type requestKey struct{}

// WithRequest returns ctx carrying req.
func WithRequest(ctx context.Context, req Request) context.Context {
	return context.WithValue(ctx, requestKey{}, req)
}

func requestFrom(ctx context.Context) Request {
	req, _ := ctx.Value(requestKey{}).(Request)
	return req
}

// Written says where a command's events landed.
type Written struct {
	Revision uint64              // the stream's revision after the command
	Position eventstore.Position // the global position of its last event; Start if it wrote nothing
	Events   int                 // how many events it appended
}

// load reads a whole stream and decodes it.
func (s *Service) load(ctx context.Context, stream string) ([]domain.Recorded, error) {
	stored, err := s.readStream(ctx, stream)
	if err != nil {
		return nil, err
	}
	return s.decodeAll(ctx, stored)
}

// decodeAll decodes stored events.
func (s *Service) decodeAll(ctx context.Context, stored []eventstore.RecordedEvent) ([]domain.Recorded, error) {
	out := make([]domain.Recorded, 0, len(stored))
	for _, rec := range stored {
		d, err := s.codec.Decode(ctx, rec)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// execute runs one command against one stream: load and fold the stream,
// decide, check If-Match, append at the revision loaded. A decision of
// NotFound or Forbidden is answered before If-Match is, so a 412 never
// reveals a stream the actor may not see. On a concurrency conflict without
// If-Match it decides again on fresh state; with If-Match the caller's view
// is stale, so it is refused with PreconditionFailed.
//
// Under WithIdempotencyKey the events get ids derived from the request, and
// a stream that already holds them (the same request ran before, and maybe
// crashed before answering) is answered from what it holds, deciding
// nothing and appending nothing (R-OPS-1).
func execute[S any](ctx context.Context, s *Service, actor domain.Actor, stream string,
	evolve func(S, domain.Recorded) S, decide func(S) ([]domain.Event, error)) (S, Written, error) {
	req := requestFrom(ctx)
	var eventID func(int) uuid.UUID
	if d := derivedIDsFrom(ctx); d != nil {
		eventID = d.nextStep()
	}
	defer s.locks.lock(stream)()
	// A cached fold is decided on without reading the stream: an append
	// expecting its revision confirms it was current. Any other outcome (a
	// refusal, nothing to do, an If-Match that differs, a conflict) is
	// decided again on the events after it as stored.
	useCache := eventID == nil && cacheableStream(stream)
	mustRead := false
	for attempt := 0; ; attempt++ {
		var state S
		var revision uint64
		var exists, fromCache bool
		switch {
		case !useCache:
			// A cached fold, taken before the read so that the read holds
			// every event it folded, spares decoding the events up to it;
			// the stream is still read whole, for the events of an earlier
			// run of the same request.
			cachedState, cachedRev, haveCached := state, uint64(0), false
			if eventID != nil && cacheableStream(stream) {
				cachedState, cachedRev, haveCached = cached[S](ctx, s, stream)
			}
			stored, err := s.readStream(ctx, stream)
			if err != nil {
				return state, Written{}, err
			}
			unfolded := stored
			if haveCached {
				if i, found := slices.BinarySearchFunc(stored, cachedRev, func(ev eventstore.RecordedEvent, rev uint64) int {
					return cmp.Compare(ev.Revision, rev)
				}); found {
					state, unfolded = cachedState, stored[i+1:]
				}
			}
			history, err := s.decodeAll(ctx, unfolded)
			if err != nil {
				return state, Written{}, err
			}
			for _, rec := range history {
				state = evolve(state, rec)
			}
			if eventID != nil {
				if w, done := alreadyWritten(stored, eventID); done {
					return state, w, nil
				}
			}
			if n := len(stored); n > 0 {
				revision, exists = stored[n-1].Revision, true
			}
			if eventID != nil && exists && cacheableStream(stream) {
				// The fold of what was read, for the next keyed command
				// (not the state after this one's append, which a store
				// may answer from an earlier run's events).
				s.states.put(stream, state, revision, 0)
			}
		case !mustRead:
			if state, revision, fromCache = cached[S](ctx, s, stream); fromCache {
				exists = true
				break
			}
			fallthrough
		default:
			var err error
			if state, revision, exists, err = fold(ctx, s, stream, evolve); err != nil {
				return state, Written{}, err
			}
		}
		expected := eventstore.NoStream()
		if exists {
			expected = eventstore.Exact(revision)
		}
		events, err := decide(state)
		stale := req.conditional() && !req.satisfied(exists, revision)
		if fromCache && (err != nil || len(events) == 0 || stale) {
			mustRead = true
			attempt--
			continue
		}
		if stale {
			// Whoever may not see or act on the stream hears that first: a
			// 412 would tell them it exists and at which revision (R-AUTH-4).
			if c := domain.ErrorCode(err); c == domain.NotFound || c == domain.Forbidden {
				return state, Written{}, err
			}
			return state, Written{}, errStale
		}
		if err != nil || len(events) == 0 {
			return state, Written{Revision: revision}, err
		}
		data, err := s.encode(ctx, actor, req, events, eventID)
		if err != nil {
			return state, Written{}, err
		}
		res, err := s.store.Append(ctx, stream, expected, data...)
		var conflict *eventstore.ConflictError
		if errors.As(err, &conflict) {
			if req.pinned() && !fromCache {
				return state, Written{}, domain.Errorf(domain.PreconditionFailed, "the resource changed while this request ran; read it again and retry")
			}
			mustRead = true
			if fromCache {
				attempt--
				continue
			}
			if attempt < maxConflictRetries {
				if err := s.pause(ctx, attempt); err != nil {
					return state, Written{}, err
				}
				continue
			}
			return state, Written{}, domain.Errorf(domain.Conflict, "too many concurrent changes; retry")
		}
		if err != nil {
			// The append may or may not have happened: read next time.
			s.states.drop(stream)
			return state, Written{}, storeError(err)
		}
		for i, ev := range events {
			state = evolve(state, domain.Recorded{Event: ev, At: data[i].Metadata.RecordedAt, ActorUserID: actor.UserID,
				ActorOrganisationID: actor.OrganisationID, Revision: res.Revision - uint64(len(events)-1-i)})
		}
		if useCache {
			// The append expected the revision folded, so the stream holds
			// nothing else up to the append's position.
			s.states.put(stream, state, res.Revision, res.Position)
		}
		return state, Written{Revision: res.Revision, Position: res.Position, Events: len(events)}, nil
	}
}

// encode stamps events with their envelope: an id (eventID's, or a fresh one
// when eventID is nil), the actor, the time and the request's correlation and
// causation ids (R-LEDGER-3). Work the system does of itself (the first
// start, signing checkpoints, retention, finishing an erasure) comes with
// no request: its events get an id of their own, as a request's would.
func (s *Service) encode(ctx context.Context, actor domain.Actor, req Request, events []domain.Event, eventID func(int) uuid.UUID) ([]eventstore.EventData, error) {
	if err := Refused(ctx); err != nil {
		// The request's body had fields at fault that no command saw:
		// nothing it decided is written.
		return nil, err
	}
	if req.CorrelationID == "" {
		req.CorrelationID = newEventID().String()
	}
	if req.CausationID == "" {
		req.CausationID = req.CorrelationID
	}
	now := s.Now()
	out := make([]eventstore.EventData, len(events))
	for i, ev := range events {
		meta := eventstore.Metadata{RecordedAt: now, CorrelationID: req.CorrelationID, CausationID: req.CausationID}
		if actor.UserID != uuid.Nil {
			meta.ActorUserID = actor.UserID.String()
		}
		if actor.OrganisationID != uuid.Nil {
			meta.ActorOrganisationID = actor.OrganisationID.String()
		}
		id := newEventID()
		if eventID != nil {
			id = eventID(i)
		}
		d, err := s.codec.Encode(ctx, id, ev, meta)
		if err != nil {
			return nil, err
		}
		out[i] = d
	}
	return out, nil
}

// newEventID returns a time-ordered (version 7) UUID: event ids are the
// primary index of the log, and ordered ids keep its inserts local (measured
// in eventstore/sqlite: about 1.7x the append throughput of random ids).
func newEventID() uuid.UUID {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.New()
	}
	return id
}

// storeError classifies store failures: unreachable is Unavailable (503),
// as is a store refusing the ledger's credentials (an operator must grant
// access); a change over the store's size limit is Invalid, naming the
// limit (the http layer answers it 413); anything else is internal.
func storeError(err error) error {
	var tooLarge *eventstore.TooLargeError
	switch {
	case errors.As(err, &tooLarge):
		msg := "the change is too large for the event store (its " + tooLarge.What
		if tooLarge.Limit > 0 {
			msg += fmt.Sprintf(" is %d bytes for one change, after encryption and metadata", tooLarge.Limit)
		}
		return &domain.Error{Code: domain.Invalid, Message: msg + "); nothing was saved: make it smaller", Cause: err}
	case errors.Is(err, eventstore.ErrAccessDenied):
		return &domain.Error{Code: domain.Unavailable, Message: "the ledger store refuses the ledger's access; an operator must grant it", Cause: err}
	case errors.Is(err, eventstore.ErrUnavailable) || errors.Is(err, eventstore.ErrClosed):
		return &domain.Error{Code: domain.Unavailable, Message: "the ledger store is unavailable; retry shortly", Cause: err}
	}
	return fmt.Errorf("ledger store: %w", err)
}
