package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/eventstore"
)

const eventColumns = `position, id, stream, revision, type, schema_version, data, metadata`

// ReadStream returns up to limit events of stream with revision >= from, in
// revision order; limit <= 0 means no limit. An unknown stream gives an empty
// slice. Errors: eventstore.ErrClosed after Close; an error wrapping
// eventstore.ErrUnavailable when SQLite fails or a stored row cannot be
// decoded.
func (s *Store) ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]eventstore.RecordedEvent, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	return s.query(ctx, expected(limit), `SELECT `+eventColumns+` FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?`,
		stream, clampInt64(from), sqlLimit(limit))
}

// ReadAll returns up to limit events with position > after, in position
// order; limit <= 0 means no limit. Errors are as for ReadStream.
func (s *Store) ReadAll(ctx context.Context, after eventstore.Position, limit int) ([]eventstore.RecordedEvent, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	return s.readAll(ctx, after, limit)
}

// readAll is ReadAll without the closed check, for subscriptions, which
// Close waits for before it closes the read pool.
func (s *Store) readAll(ctx context.Context, after eventstore.Position, limit int) ([]eventstore.RecordedEvent, error) {
	return s.query(ctx, expected(limit), `SELECT `+eventColumns+` FROM events WHERE position > ? ORDER BY position LIMIT ?`,
		clampInt64(uint64(after)), sqlLimit(limit))
}

// Head returns the position of the last event in the store, or
// eventstore.Start when it is empty. Errors are as for ReadStream.
func (s *Store) Head(ctx context.Context) (eventstore.Position, error) {
	if err := s.enter(); err != nil {
		return 0, err
	}
	defer s.leave()
	var pos eventstore.Position
	if err := s.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(position), 0) FROM events`).Scan(&pos); err != nil {
		return 0, unavailable("read head", err)
	}
	return pos, nil
}

// query runs a read of events; capacity is how many it expects at most,
// so the result is allocated once (0 when unknown).
func (s *Store) query(ctx context.Context, capacity int, query string, args ...any) ([]eventstore.RecordedEvent, error) {
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, unavailable("read events", err)
	}
	defer rows.Close()
	out := make([]eventstore.RecordedEvent, 0, capacity)
	for rows.Next() {
		ev, err := scanEvent(rows)
		if err != nil {
			return nil, unavailable("read events", err)
		}
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable("read events", err)
	}
	return out, nil
}

// rawEvent is a row as stored, before its id and metadata are decoded, so
// Verify can name a row whose encoding was tampered with. id and meta are
// the driver's bytes, valid only until the next row is read: decode at
// once.
type rawEvent struct {
	position      eventstore.Position
	id            sql.RawBytes
	stream        string
	revision      uint64
	eventType     string
	schemaVersion int
	data          []byte
	meta          sql.RawBytes
}

func scanRaw(rows *sql.Rows) (rawEvent, error) {
	var r rawEvent
	err := rows.Scan(&r.position, &r.id, &r.stream, &r.revision, &r.eventType, &r.schemaVersion, &r.data, &r.meta)
	return r, err
}

// decode turns a row into an event. On error the event still carries the
// row's position, stream and revision.
func (r rawEvent) decode() (eventstore.RecordedEvent, error) {
	ev := eventstore.RecordedEvent{
		Stream: r.stream, Revision: r.revision, Position: r.position,
		Type: r.eventType, SchemaVersion: r.schemaVersion, Data: r.data,
	}
	id, err := uuid.ParseBytes(r.id)
	if err != nil {
		return ev, fmt.Errorf("event at position %d: id %q: %w", r.position, r.id, err)
	}
	ev.ID = id
	if ev.Metadata, err = decodeMeta(r.meta); err != nil {
		return ev, fmt.Errorf("event at position %d: metadata: %w", r.position, err)
	}
	return ev, nil
}

func scanEvent(rows *sql.Rows) (eventstore.RecordedEvent, error) {
	r, err := scanRaw(rows)
	if err != nil {
		return eventstore.RecordedEvent{}, err
	}
	return r.decode()
}

// expected is the capacity to give a page of at most limit events.
func expected(limit int) int {
	if limit <= 0 {
		return 0
	}
	return min(limit, 4096)
}

// sqlLimit maps "no limit" to SQLite's LIMIT -1.
func sqlLimit(limit int) int {
	if limit <= 0 {
		return -1
	}
	return limit
}

// clampInt64 keeps a uint64 bound within SQLite's signed INTEGER; nothing
// stored is larger, so the clamp does not change the answer.
func clampInt64(v uint64) int64 {
	if v > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}
