package kurrentdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
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
		return isInvalid(err) || isDenied(err)
	}
	switch c {
	case esdb.ErrorCodeAccessDenied, esdb.ErrorCodeUnauthenticated, esdb.ErrorCodeStreamDeleted,
		esdb.ErrorCodeResourceNotFound, esdb.ErrorCodeUnsupportedFeature, esdb.ErrorCodeParsing:
		return true
	}
	return isInvalid(err) || isDenied(err)
}

// isInvalid reports whether KurrentDB refused the call for its content
// (gRPC InvalidArgument: an append over the maximum append size, an event
// over the maximum event size, an invalid position, missing metadata). The
// client maps InvalidArgument to ErrorCodeUnknown but keeps the gRPC
// status inside its error. Trying again cannot help.
func isInvalid(err error) bool { return status.Code(err) == codes.InvalidArgument }

// isDenied reports whether KurrentDB refused the call for the user's
// rights (PermissionDenied, or credentials it does not accept).
func isDenied(err error) bool {
	return isCode(err, esdb.ErrorCodeAccessDenied) || isCode(err, esdb.ErrorCodeUnauthenticated) ||
		status.Code(err) == codes.PermissionDenied || status.Code(err) == codes.Unauthenticated
}

// sizeLimit finds the limit KurrentDB names in its answer to an append
// that is too large: "Maximum Append Size of 1048576 Exceeded." (or the
// event size equivalent).
var sizeLimit = regexp.MustCompile(`(?i)maximum (append|event) size of (\d+)`)

// invalidError turns an InvalidArgument answer into the ledger's definite
// refusal: an *eventstore.TooLargeError naming the limit when it is a size
// limit, else an error wrapping eventstore.ErrInvalid.
func invalidError(op string, err error) error {
	msg := err.Error()
	if m := sizeLimit.FindStringSubmatch(msg); m != nil {
		limit, _ := strconv.ParseInt(m[2], 10, 64)
		return &eventstore.TooLargeError{What: "KurrentDB maximum " + strings.ToLower(m[1]) + " size", Limit: limit,
			Err: fmt.Errorf("kurrentdb: %s: %w", op, err)}
	}
	if strings.Contains(strings.ToLower(msg), "size") && strings.Contains(strings.ToLower(msg), "exceed") {
		return &eventstore.TooLargeError{What: "KurrentDB size limit", Err: fmt.Errorf("kurrentdb: %s: %w", op, err)}
	}
	return fmt.Errorf("kurrentdb: %s: %w: KurrentDB refused the request as invalid: %w", op, eventstore.ErrInvalid, err)
}

// deniedHint is part of every access error: it names what the ledger's
// KurrentDB user needs.
const deniedHint = "the KurrentDB user the ledger connects as lacks a permission it needs " +
	"(read on $all and write on the ledger's streams; see eventstore/kurrentdb/README.md, Least privilege)"

// ledgerError maps a client error onto the ledger's: eventstore.ErrUnavailable
// (wrapped) for a server that cannot be reached, eventstore.ErrInvalid
// (or *eventstore.TooLargeError) for a request KurrentDB refused as
// invalid, eventstore.ErrAccessDenied for one the user's rights do not
// allow, ctx's error when ctx ended, otherwise the error as is, labelled
// with op. The client's error stays inspectable with errors.As.
func ledgerError(ctx context.Context, op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, eventstore.ErrUnavailable), errors.Is(err, eventstore.ErrClosed), errors.Is(err, eventstore.ErrInvalid),
		errors.Is(err, eventstore.ErrAccessDenied):
		return err
	case ctx.Err() != nil:
		return ctx.Err()
	case isInvalid(err):
		return invalidError(op, err)
	case isDenied(err):
		return fmt.Errorf("kurrentdb: %s: %w: %s: %w", op, eventstore.ErrAccessDenied, deniedHint, err)
	case isTransient(err):
		return fmt.Errorf("kurrentdb: %s: %w: %w", op, eventstore.ErrUnavailable, err)
	default:
		return fmt.Errorf("kurrentdb: %s: %w", op, err)
	}
}
