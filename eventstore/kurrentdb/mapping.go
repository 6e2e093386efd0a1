package kurrentdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/referral-ledger/ledger/eventstore"
)

// envelope is an event's KurrentDB custom metadata: what the ledger records
// about an event that KurrentDB has no field for. KurrentDB's own event
// type, id and data carry the rest unchanged.
type envelope struct {
	SchemaVersion int                 `json:"schema_version"`
	Metadata      eventstore.Metadata `json:"metadata"`
}

// toWire turns a sealed event into what the client sends. Data goes as
// JSON when it is JSON (ledger payloads are), so KurrentDB's projections
// and UI can read it, and as bytes otherwise; either way KurrentDB stores
// the bytes unchanged, which the hash chain needs.
func toWire(ev eventstore.EventData, sealed eventstore.Metadata) (esdb.EventData, error) {
	meta, err := json.Marshal(envelope{SchemaVersion: ev.SchemaVersion, Metadata: sealed})
	if err != nil {
		return esdb.EventData{}, fmt.Errorf("kurrentdb: encode metadata of event %s: %w", ev.ID, err)
	}
	ct := esdb.ContentTypeBinary
	if json.Valid(ev.Data) {
		ct = esdb.ContentTypeJson
	}
	return esdb.EventData{EventID: ev.ID, EventType: ev.Type, ContentType: ct, Data: ev.Data, Metadata: meta}, nil
}

// fromWire turns an event read from KurrentDB into the ledger's, named
// stream in the ledger and placed at pos in the ledger's global order.
func fromWire(r *esdb.RecordedEvent, stream string, pos eventstore.Position) (eventstore.RecordedEvent, error) {
	var env envelope
	if err := json.Unmarshal(r.UserMetadata, &env); err != nil {
		return eventstore.RecordedEvent{}, fmt.Errorf("kurrentdb: event %s at %q revision %d has no ledger envelope in its metadata: %w",
			r.EventID, r.StreamID, r.EventNumber, err)
	}
	return eventstore.RecordedEvent{
		ID: r.EventID, Stream: stream, Revision: r.EventNumber, Position: pos,
		Type: r.EventType, SchemaVersion: env.SchemaVersion, Data: r.Data, Metadata: env.Metadata,
	}, nil
}

// commitOf is an event's place in the ledger's global order: its commit
// position in $all. KurrentDB gives every event of an append its own
// record in the transaction log, and over gRPC reports each event's
// commit position as that record's position (EventStoreDB 20.6 onwards,
// KurrentDB PR #2522), so commit positions are unique and strictly
// increasing along $all. They are byte offsets, not counters: sparse, and
// the first ledger event is not at 1.
func commitOf(r *esdb.RecordedEvent) eventstore.Position {
	return eventstore.Position(r.Position.Commit)
}

// allFrom is where to start reading or subscribing to $all to see what
// follows after: the beginning for Start, else after's own record, whose
// commit and prepare positions are equal.
func allFrom(after eventstore.Position) esdb.AllPosition {
	if after == eventstore.Start {
		return esdb.Start{}
	}
	return esdb.Position{Commit: uint64(after), Prepare: uint64(after)}
}

// streams maps ledger stream names to KurrentDB stream names and back: a
// ledger stream is a KurrentDB stream named namespace + name where name
// starts with one of the prefixes; system streams ("$…") never are.
type streams struct {
	namespace string
	prefixes  []string
}

// wire returns the KurrentDB name of ledger stream name.
func (m streams) wire(name string) string { return m.namespace + name }

// owns reports whether name is a ledger stream the store may hold.
func (m streams) owns(name string) bool {
	if name == "" || strings.HasPrefix(name, "$") {
		return false
	}
	for _, p := range m.prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// ledger returns the ledger name of KurrentDB stream wire and whether it is
// a ledger stream at all.
func (m streams) ledger(wire string) (string, bool) {
	name, ok := strings.CutPrefix(wire, m.namespace)
	if !ok || !m.owns(name) {
		return "", false
	}
	return name, true
}

// filter is the server-side subscription filter matching the ledger's
// streams (and, when a prefix is empty, every stream in the namespace,
// which owns then narrows down).
func (m streams) filter() *esdb.SubscriptionFilter {
	ps := make([]string, len(m.prefixes))
	for i, p := range m.prefixes {
		ps[i] = m.namespace + p
	}
	return &esdb.SubscriptionFilter{Type: esdb.StreamFilterType, Prefixes: ps}
}

// schemes the adapter accepts; the client itself knows only esdb.
var schemes = map[string]string{
	"esdb": "esdb", "esdb+discover": "esdb+discover",
	"kurrentdb": "esdb", "kurrentdb+discover": "esdb+discover",
	"kdb": "esdb", "kdb+discover": "esdb+discover",
}

// parseURL reads a KurrentDB connection string. KurrentDB's own schemes
// (kurrentdb://, kdb://, with +discover for DNS discovery) are accepted
// alongside the client's esdb://.
func parseURL(url string) (*esdb.Configuration, error) {
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok || schemes[strings.ToLower(scheme)] == "" {
		return nil, fmt.Errorf("kurrentdb: %w: connection string must start with kurrentdb://, kdb:// or esdb:// (optionally +discover)", eventstore.ErrInvalid)
	}
	cfg, err := esdb.ParseConnectionString(schemes[strings.ToLower(scheme)] + "://" + rest)
	if err != nil {
		return nil, fmt.Errorf("kurrentdb: %w: connection string: %w", eventstore.ErrInvalid, err)
	}
	return cfg, nil
}

// errCode returns the client's error code for err, if it carries one.
func errCode(err error) (esdb.ErrorCode, bool) {
	var e *esdb.Error
	if errors.As(err, &e) {
		return e.Code(), true
	}
	return 0, false
}

func isCode(err error, code esdb.ErrorCode) bool {
	c, ok := errCode(err)
	return ok && c == code
}

// isDead reports whether err says the client is closed for good, which it
// does after node discovery fails: every later call fails the same way.
func isDead(err error) bool { return isCode(err, esdb.ErrorCodeConnectionClosed) }

// isTransient reports whether err means the server could not be reached or
// did not answer in time: the call may work if tried again.
func isTransient(err error) bool {
	if c, ok := errCode(err); ok {
		switch c {
		case esdb.ErrorCodeConnectionClosed, esdb.ErrorUnavailable, esdb.ErrorCodeDeadlineExceeded, esdb.ErrorCodeNotLeader, esdb.ErrorAborted:
			return true
		}
	}
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded, codes.Aborted, codes.Canceled:
		return true
	}
	return false
}

// isDefinitive reports whether err is an answer from the server that says
// the append was not written and will not be if tried again.
func isDefinitive(err error) bool {
	c, ok := errCode(err)
	if !ok {
		return false
	}
	switch c {
	case esdb.ErrorCodeAccessDenied, esdb.ErrorCodeUnauthenticated, esdb.ErrorCodeStreamDeleted,
		esdb.ErrorCodeResourceNotFound, esdb.ErrorCodeUnsupportedFeature, esdb.ErrorCodeParsing:
		return true
	}
	return false
}

// ledgerError maps a client error onto the ledger's: eventstore.ErrUnavailable
// (wrapped) for a server that cannot be reached, ctx's error when ctx ended,
// otherwise the error as is, labelled with op. The client's error stays
// inspectable with errors.As.
func ledgerError(ctx context.Context, op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, eventstore.ErrUnavailable), errors.Is(err, eventstore.ErrClosed), errors.Is(err, eventstore.ErrInvalid):
		return err
	case ctx.Err() != nil:
		return ctx.Err()
	case isTransient(err):
		return fmt.Errorf("kurrentdb: %s: %w: %w", op, eventstore.ErrUnavailable, err)
	default:
		return fmt.Errorf("kurrentdb: %s: %w", op, err)
	}
}
