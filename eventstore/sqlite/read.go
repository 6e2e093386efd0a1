package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
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
//
// A page of at least splitPage events that the log is known to hold is
// read in two halves at once, on two connections, so that replay uses two
// cores: the first half is every event in (after, after+limit/2], the
// second the next ones after that. The second half's read starts after the
// log was seen to reach after+limit, and committed positions never change
// nor are added below the highest one, so every snapshot either half reads
// holds the same first half: the halves join into what one read would
// have returned. Only a log with missing positions (tampered) leaves the
// first half short; the page is then read the plain way.
func (s *Store) readAll(ctx context.Context, after eventstore.Position, limit int) ([]eventstore.RecordedEvent, error) {
	from := clampInt64(uint64(after))
	capacity := expected(limit)
	if limit >= splitPage {
		var last int64
		if err := s.headRow(ctx).Scan(&last); err != nil {
			return nil, unavailable("read events", err)
		}
		// The log holds last-from events after from (positions have no
		// gaps): a page is sized by that, not by the limit, so a wake for
		// one event does not allocate room for hundreds.
		capacity = int(min(max(last-from, 0), int64(limit)))
		half := int64(limit / 2)
		if last-from >= int64(limit) && from <= math.MaxInt64-half {
			var second []eventstore.RecordedEvent
			var secondErr error
			done := make(chan struct{})
			go func() {
				defer close(done)
				second, secondErr = s.query(ctx, limit-int(half),
					`SELECT `+eventColumns+` FROM events WHERE position > ? ORDER BY position LIMIT ?`, from+half, limit-int(half))
			}()
			first, err := s.query(ctx, limit,
				`SELECT `+eventColumns+` FROM events WHERE position > ? AND position <= ? ORDER BY position`, from, from+half)
			<-done
			if err == nil {
				err = secondErr
			}
			if err != nil {
				return nil, err
			}
			if int64(len(first)) == half {
				return append(first, second...), nil
			}
		}
	}
	return s.query(ctx, capacity, `SELECT `+eventColumns+` FROM events WHERE position > ? ORDER BY position LIMIT ?`,
		from, sqlLimit(limit))
}

// headRow reads the position of the last event, on the read pool's
// prepared statement when there is one.
func (s *Store) headRow(ctx context.Context) *sql.Row {
	if stmt := s.prepareHead(ctx); stmt != nil {
		return stmt.QueryRowContext(ctx)
	}
	return s.read.QueryRowContext(ctx, headQuery)
}

// splitPage is the smallest page readAll reads in two halves at once.
const splitPage = 256

// Head returns the position of the last event in the store, or
// eventstore.Start when it is empty. Errors are as for ReadStream.
func (s *Store) Head(ctx context.Context) (eventstore.Position, error) {
	if err := s.enter(); err != nil {
		return 0, err
	}
	defer s.leave()
	var pos eventstore.Position
	if err := s.headRow(ctx).Scan(&pos); err != nil {
		return 0, unavailable("read head", err)
	}
	return pos, nil
}

// headQuery reads the store's head.
const headQuery = `SELECT COALESCE(MAX(position), 0) FROM events`

// prepareHead returns headQuery prepared once for the read pool (parsing
// it cost most of a Head call, which authenticates every request), or nil
// if it cannot be prepared now: Head then runs the query unprepared, and
// the next call tries again.
func (s *Store) prepareHead(ctx context.Context) *sql.Stmt {
	if stmt := s.headStmt.Load(); stmt != nil {
		return stmt
	}
	stmt, err := s.read.PrepareContext(ctx, headQuery)
	if err != nil {
		return nil
	}
	if !s.headStmt.CompareAndSwap(nil, stmt) {
		_ = stmt.Close()
		return s.headStmt.Load()
	}
	return stmt
}

// query runs a read of events; capacity is how many it expects (0 when
// unknown): the result starts with room for them and grows if more come.
//
// It reads the rows through the driver directly (fastQuery), which skips
// database/sql's per-column conversions and copies; a row whose values are
// not of the types the schema stores (only a tampered file has one) makes
// it read the whole answer again the general way, so such rows give the
// same events and errors as they always did.
func (s *Store) query(ctx context.Context, capacity int, query string, args ...any) ([]eventstore.RecordedEvent, error) {
	out := make([]eventstore.RecordedEvent, 0, capacity)
	conn, err := s.read.Conn(ctx)
	if err != nil {
		return nil, unavailable("read events", err)
	}
	defer conn.Close()
	out, err = fastQuery(ctx, conn, &s.cstmts, out, query, args...)
	if errors.Is(err, errOddRow) {
		return slowQuery(ctx, conn, out[:0], query, args...)
	}
	if err != nil {
		return nil, unavailable("read events", err)
	}
	return out, nil
}

// slowQuery is query through database/sql's Scan.
func slowQuery(ctx context.Context, conn *sql.Conn, out []eventstore.RecordedEvent, query string, args ...any) ([]eventstore.RecordedEvent, error) {
	rows, err := conn.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, unavailable("read events", err)
	}
	defer rows.Close()
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

// fastQuery appends the events query returns to out, decoding each row
// straight from SQLite (cQuery, with its statement kept in cache) or,
// where the driver's connection does not allow that, from the driver's
// values. It returns errOddRow at the first row that needs database/sql's
// conversions.
func fastQuery(ctx context.Context, conn *sql.Conn, cache *cStmts, out []eventstore.RecordedEvent, query string, args ...any) ([]eventstore.RecordedEvent, error) {
	if cargs, ok := cArgs(args); ok {
		var direct bool
		var err error
		rawErr := conn.Raw(func(dc any) error {
			var h cHandles
			if h, direct = handlesOf(dc); direct {
				out, err = cQuery(ctx, h, cache, dc, out, query, cargs)
			}
			return nil
		})
		if rawErr != nil {
			return out, rawErr
		}
		if direct {
			return out, err
		}
	}
	err := eachRow(ctx, conn, query, args, func(r *rawEvent) error {
		ev, err := r.decode()
		if err != nil {
			return err
		}
		out = append(out, ev)
		return nil
	})
	return out, err
}

// errOddRow marks a row whose values are not of the Go types the driver
// gives for the schema's columns.
var errOddRow = errors.New("sqlite: a row needs the general scan")

// eachRow runs query on conn through the driver and calls fn with each row
// of eventColumns. The rawEvent and its meta bytes are fn's to keep; the
// driver copies every value out of SQLite. It returns errOddRow, having
// called fn for the rows before it, at a row fastRow cannot take.
func eachRow(ctx context.Context, conn *sql.Conn, query string, args []any, fn func(*rawEvent) error) error {
	named := make([]driver.NamedValue, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case int:
			a = int64(v)
		case eventstore.Position:
			a = clampInt64(uint64(v))
		}
		named[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	return conn.Raw(func(dc any) error {
		q, ok := dc.(driver.QueryerContext)
		if !ok {
			return errOddRow
		}
		rows, err := q.QueryContext(ctx, query, named)
		if err != nil {
			return err
		}
		defer rows.Close()
		vals := make([]driver.Value, len(rows.Columns()))
		if len(vals) != 8 {
			return errOddRow
		}
		var r rawEvent
		for n := 1; ; n++ {
			if n%256 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if err := rows.Next(vals); err != nil {
				if err == io.EOF {
					return ctx.Err()
				}
				return err
			}
			if !fastRow(vals, &r) {
				return errOddRow
			}
			if err := fn(&r); err != nil {
				return err
			}
		}
	})
}

// fastRow fills r from the driver's values of one row of eventColumns, or
// reports false when one is not of the type (or range) the schema stores.
func fastRow(v []driver.Value, r *rawEvent) bool {
	pos, ok0 := v[0].(int64)
	id, ok1 := v[1].(string)
	stream, ok2 := v[2].(string)
	rev, ok3 := v[3].(int64)
	typ, ok4 := v[4].(string)
	sv, ok5 := v[5].(int64)
	data, ok6 := v[6].([]byte)
	meta, ok7 := v[7].([]byte)
	if v[6] == nil {
		data, ok6 = nil, true // an empty blob
	}
	if !(ok0 && ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) || pos < 0 || rev < 0 || int64(int(sv)) != sv {
		return false
	}
	*r = rawEvent{position: eventstore.Position(pos), id: id, stream: stream, revision: uint64(rev),
		eventType: typ, schemaVersion: int(sv), data: data, meta: meta}
	return true
}

// rawEvent is a row as stored, before its id and metadata are decoded, so
// Verify can name a row whose encoding was tampered with.
type rawEvent struct {
	position      eventstore.Position
	id            string
	stream        string
	revision      uint64
	eventType     string
	schemaVersion int
	data          []byte
	meta          []byte
}

// scanRaw scans a row through database/sql. meta is the driver's bytes,
// valid only until the next row is read: decode at once.
func scanRaw(rows *sql.Rows) (rawEvent, error) {
	var r rawEvent
	var meta sql.RawBytes
	err := rows.Scan(&r.position, &r.id, &r.stream, &r.revision, &r.eventType, &r.schemaVersion, &r.data, &meta)
	r.meta = meta
	return r, err
}

// decode turns a row into an event. On error the event still carries the
// row's position, stream and revision.
func (r *rawEvent) decode() (eventstore.RecordedEvent, error) {
	ev := eventstore.RecordedEvent{
		Stream: r.stream, Revision: r.revision, Position: r.position,
		Type: r.eventType, SchemaVersion: r.schemaVersion, Data: r.data,
	}
	id, err := uuid.Parse(r.id)
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

// expected is the capacity to give a page of at most limit events when
// how many there are is not known: a few, grown as more are read, since
// most reads (a short stream, a wake for new events) return far fewer
// than their limit.
func expected(limit int) int {
	if limit <= 0 {
		return 0
	}
	return min(limit, 8)
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
