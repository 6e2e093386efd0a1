// Package eventstore defines the ledger's append-only event log: the Store
// interface every backend implements, the event envelope, and the hash chain
// that makes tampering evident (R-LEDGER-1..4).
package eventstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Position is an event's place in the global order of the whole store:
// strictly increasing, and never 0, which means "before everything". The
// embedded store numbers events 1, 2, 3…; KurrentDB uses its log's commit
// positions, which are sparse.
type Position uint64

// Start is the position before the first event: reading or subscribing
// after Start yields every event.
const Start Position = 0

// ExpectedRevision is the optimistic-concurrency precondition of an append
// (R-LEDGER-2). Build one with Any, NoStream or Exact.
type ExpectedRevision struct {
	kind     expectKind
	revision uint64
}

type expectKind uint8

const (
	expectAny expectKind = iota
	expectNoStream
	expectExact
)

// Any accepts the append whatever the stream's current revision.
func Any() ExpectedRevision { return ExpectedRevision{kind: expectAny} }

// NoStream accepts the append only if the stream has no events yet.
func NoStream() ExpectedRevision { return ExpectedRevision{kind: expectNoStream} }

// Exact accepts the append only if the stream's last event has revision r.
func Exact(r uint64) ExpectedRevision { return ExpectedRevision{kind: expectExact, revision: r} }

// IsAny reports whether e places no precondition on the stream.
func (e ExpectedRevision) IsAny() bool { return e.kind == expectAny }

// IsNoStream reports whether e requires the stream not to exist.
func (e ExpectedRevision) IsNoStream() bool { return e.kind == expectNoStream }

// ExactRevision returns the revision e requires and true, or false when e is
// Any or NoStream.
func (e ExpectedRevision) ExactRevision() (uint64, bool) {
	return e.revision, e.kind == expectExact
}

// Allows reports whether a stream whose last revision is current (exists is
// false for a stream with no events) satisfies e.
func (e ExpectedRevision) Allows(current uint64, exists bool) bool {
	switch e.kind {
	case expectNoStream:
		return !exists
	case expectExact:
		return exists && current == e.revision
	default:
		return true
	}
}

// String renders e for error messages.
func (e ExpectedRevision) String() string {
	switch e.kind {
	case expectNoStream:
		return "no stream"
	case expectExact:
		return fmt.Sprintf("revision %d", e.revision)
	default:
		return "any"
	}
}

// Metadata is what the ledger records about every event besides its payload
// (R-LEDGER-3). PrevHash and Hash are filled in by the store when the event
// is appended; callers leave them empty.
type Metadata struct {
	ActorUserID         string    `json:"actor_user_id,omitempty"`
	ActorOrganisationID string    `json:"actor_organisation_id,omitempty"`
	RecordedAt          time.Time `json:"recorded_at"`
	CorrelationID       string    `json:"correlation_id,omitempty"`
	CausationID         string    `json:"causation_id,omitempty"`
	PrevHash            string    `json:"prev_hash"`
	Hash                string    `json:"hash,omitempty"`
}

// EventData is an event the caller wants appended. ID is chosen by the caller
// so that retrying the same append is idempotent.
type EventData struct {
	ID            uuid.UUID
	Type          string
	SchemaVersion int
	Data          []byte
	Metadata      Metadata
}

// RecordedEvent is an event as the store holds it.
type RecordedEvent struct {
	ID            uuid.UUID
	Stream        string
	Revision      uint64
	Position      Position
	Type          string
	SchemaVersion int
	Data          []byte
	Metadata      Metadata
}

// AppendResult says where an append landed: the stream's new last revision
// and the global position of the last event written.
type AppendResult struct {
	Revision uint64
	Position Position
}

// Store is an append-only, hash-chained event log.
//
// Append writes events atomically to the end of one stream if expected holds,
// computing each event's PrevHash and Hash (R-LEDGER-4). It returns
// *ConflictError when expected does not hold; appending events whose ids are
// already stored, in the same stream and order, returns the original result
// instead of writing them twice. A nil error means the events are durable.
//
// ReadStream returns up to limit events of stream with revision >= from, in
// revision order; an unknown stream gives an empty slice. ReadAll returns up
// to limit events with position > after, in position order. A limit of 0
// (or less) means no limit. Head returns the
// position of the last event in the store (Start when empty).
//
// Subscribe delivers every event with position > after, in order, first
// catching up on stored events and then live as they are appended, with no
// gaps and no duplicates, until ctx ends or the subscription is closed.
//
// Errors that are not conflicts are wrapped ErrUnavailable where the
// backend cannot be reached.
type Store interface {
	Append(ctx context.Context, stream string, expected ExpectedRevision, events ...EventData) (AppendResult, error)
	ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]RecordedEvent, error)
	ReadAll(ctx context.Context, after Position, limit int) ([]RecordedEvent, error)
	Head(ctx context.Context) (Position, error)
	Subscribe(ctx context.Context, after Position) Subscription
	Close() error
}

// Subscription is a live feed of events. Events is closed when the
// subscription ends; Err then says why (nil after Close or ctx cancellation).
type Subscription interface {
	Events() <-chan RecordedEvent
	Err() error
	Close()
}

// ConflictError reports that an append's expected revision did not hold.
type ConflictError struct {
	Stream   string
	Expected ExpectedRevision
	Actual   uint64 // last revision, meaningful when Exists
	Exists   bool
}

func (e *ConflictError) Error() string {
	actual := "no stream"
	if e.Exists {
		actual = fmt.Sprintf("revision %d", e.Actual)
	}
	return fmt.Sprintf("eventstore: append to %q expected %s, stream is at %s", e.Stream, e.Expected, actual)
}

// ErrUnavailable marks errors caused by the backend being unreachable.
var ErrUnavailable = errors.New("eventstore: unavailable")

// ErrClosed is returned by calls on a store after Close.
var ErrClosed = errors.New("eventstore: closed")

// ErrInvalid marks appends refused for their shape (no events, empty type,
// nil id, an id reused in a different place).
var ErrInvalid = errors.New("eventstore: invalid append")

// ErrTooLarge marks appends the backend refuses for their size, however
// often they are retried. Errors carrying it are *TooLargeError, which also
// matches ErrInvalid.
var ErrTooLarge = errors.New("eventstore: append too large")

// ErrAccessDenied marks calls the backend refused because the ledger's
// credentials lack a permission it needs (reading the whole log, writing
// its streams). Nothing the ledger retries cures it: an operator must grant
// the access.
var ErrAccessDenied = errors.New("eventstore: access denied")

// TooLargeError reports an append over one of the backend's size limits.
// Limit is that limit in bytes (0 when the backend did not say) and What
// names it, e.g. "maximum append size". It matches ErrTooLarge and
// ErrInvalid with errors.Is.
type TooLargeError struct {
	What  string
	Limit int64
	Err   error // the backend's own error, if any
}

func (e *TooLargeError) Error() string {
	msg := "eventstore: append too large: over the event store's " + e.What
	if e.Limit > 0 {
		msg += fmt.Sprintf(" of %d bytes", e.Limit)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Is makes a TooLargeError match ErrTooLarge and ErrInvalid.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge || target == ErrInvalid }

// Unwrap returns the backend's own error.
func (e *TooLargeError) Unwrap() error { return e.Err }
