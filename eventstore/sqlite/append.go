package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/referral-ledger/ledger/eventstore"
)

// Append writes events to the end of stream if expected holds, sealing each
// into the stream's hash chain (R-LEDGER-2, R-LEDGER-4). Events with a zero
// RecordedAt are stamped with the commit batch's UTC time. The call joins the
// next group commit and returns only after that commit, so a nil error means
// the events are on disk.
//
// Errors: *eventstore.ConflictError when expected does not hold; an error
// wrapping eventstore.ErrInvalid for a malformed append (see
// eventstore.ValidateAppend) or for event ids already stored somewhere other
// than this stream in this order; eventstore.ErrClosed after Close; an error
// wrapping eventstore.ErrUnavailable when SQLite fails; ctx.Err() if ctx ends
// first, in which case the append may or may not have been written and
// retrying it with the same event ids is safe. A retry of an append that
// was written returns the original result whatever expected says.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if s.readOnly {
		return eventstore.AppendResult{}, errReadOnly
	}
	if err := eventstore.ValidateAppend(stream, events); err != nil {
		return eventstore.AppendResult{}, err
	}
	// Copy so a caller that gives up (ctx) and reuses its buffers cannot
	// change what the writer seals.
	own := make([]eventstore.EventData, len(events))
	for i, ev := range events {
		ev.Data = bytes.Clone(ev.Data)
		if ev.Data == nil {
			ev.Data = []byte{} // the column is NOT NULL; the hash is the same
		}
		own[i] = ev
	}
	req := &request{ctx: ctx, stream: stream, expected: expected, events: own, done: make(chan response, 1)}
	if err := s.enter(); err != nil {
		return eventstore.AppendResult{}, err
	}
	select {
	case s.reqs <- req:
		s.leave()
	case <-ctx.Done():
		s.leave()
		return eventstore.AppendResult{}, ctx.Err()
	}
	select {
	case r := <-req.done:
		return r.res, r.err
	case <-ctx.Done():
		return eventstore.AppendResult{}, ctx.Err()
	}
}

// retryResult recognises a retried append: every event id already stored,
// in this stream, at consecutive revisions in the order given. It then
// returns where those events landed. Ids stored anywhere else, or only some
// of the ids stored, are an ErrInvalid error: the caller reused an id.
func (w *writer) retryResult(ctx context.Context, req *request) (eventstore.AppendResult, bool, error) {
	var res eventstore.AppendResult
	found := 0
	var first uint64
	for i, ev := range req.events {
		var stream string
		var rev uint64
		var pos eventstore.Position
		err := w.byID.QueryRowContext(ctx, ev.ID.String()).Scan(&stream, &rev, &pos)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return res, false, unavailable("look up event id", err)
		}
		if i == 0 {
			first = rev
		}
		if found != i || stream != req.stream || rev != first+uint64(i) {
			return res, false, fmt.Errorf("%w: event id %s is already stored at stream %q revision %d; "+
				"a retry must repeat the original append exactly", eventstore.ErrInvalid, ev.ID, stream, rev)
		}
		found++
		res = eventstore.AppendResult{Revision: rev, Position: pos}
	}
	switch found {
	case 0:
		return res, false, nil
	case len(req.events):
		return res, true, nil
	default:
		return res, false, fmt.Errorf("%w: only the first %d of %d event ids are already stored in %q; "+
			"a retry must repeat the original append exactly", eventstore.ErrInvalid, found, len(req.events), req.stream)
	}
}

// head returns stream's last revision and hash, from the cache or the
// database.
func (w *writer) head(ctx context.Context, stream string) (head, error) {
	if h, ok := w.heads[stream]; ok {
		return h, nil
	}
	var rev uint64
	var metaBytes []byte
	err := w.lastOf.QueryRowContext(ctx, stream).Scan(&rev, &metaBytes)
	if errors.Is(err, sql.ErrNoRows) {
		h := head{hash: eventstore.GenesisHash}
		w.heads[stream] = h
		return h, nil
	}
	if err != nil {
		return head{}, err
	}
	meta, err := decodeMeta(metaBytes)
	if err != nil {
		return head{}, fmt.Errorf("stream %q revision %d: decode metadata: %w", stream, rev, err)
	}
	h := head{revision: rev, hash: meta.Hash, exists: true}
	w.heads[stream] = h
	return h, nil
}

type inserted struct {
	res  eventstore.AppendResult
	head head
}

// insertAll seals and inserts req's events after h, recording each in
// w.batch. The caller undoes the inserts if this fails part-way.
func (w *writer) insertAll(ctx context.Context, req *request, h head) (inserted, error) {
	now := time.Now().UTC()
	var out inserted
	rev, prev := h.revision, h.hash
	if h.exists {
		rev++
	}
	for _, ev := range req.events {
		meta := seal(req.stream, rev, prev, ev, now)
		w.metaScratch = encodeMeta(w.metaScratch[:0], meta)
		if rev > math.MaxInt64 { // SQLite's INTEGER is signed
			return out, fmt.Errorf("insert event %s: revision %d is out of range", ev.ID, rev)
		}
		ins := w.insert
		ins.arg(ev.ID.String())
		ins.arg(req.stream)
		ins.arg(int64(rev))
		ins.arg(ev.Type)
		ins.arg(int64(ev.SchemaVersion))
		ins.arg(ev.Data)
		ins.arg(w.metaScratch)
		r, err := ins.exec()
		if err != nil {
			return out, fmt.Errorf("insert event %s: %w", ev.ID, err)
		}
		pos, err := r.LastInsertId()
		if err != nil {
			return out, fmt.Errorf("insert event %s: %w", ev.ID, err)
		}
		w.batch = append(w.batch, written{stream: req.stream, revision: rev, position: eventstore.Position(pos), hash: meta.Hash})
		out.res = eventstore.AppendResult{Revision: rev, Position: eventstore.Position(pos)}
		out.head = head{revision: rev, hash: meta.Hash, exists: true}
		rev, prev = rev+1, meta.Hash
	}
	return out, nil
}

// statementOnly reports whether err is a constraint failure, which SQLite
// undoes by rolling back the one statement, leaving the transaction open.
func statementOnly(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_CONSTRAINT
}

// isDuplicateID reports whether err is an insert refused because its event
// id is already stored.
func isDuplicateID(err error) bool {
	return statementOnly(err) && strings.Contains(err.Error(), "events.id")
}

// isTakenRevision reports whether err is an insert refused because its
// stream already has an event at that revision.
func isTakenRevision(err error) bool {
	return statementOnly(err) && strings.Contains(err.Error(), "events.stream")
}

// seal returns the metadata ev is stored with at revision rev of stream
// after an event whose hash is prev, stamped with now unless it has a
// recording time.
func seal(stream string, rev uint64, prev string, ev eventstore.EventData, now time.Time) eventstore.Metadata {
	if ev.Metadata.RecordedAt.IsZero() {
		ev.Metadata.RecordedAt = now
	}
	// The store keeps, and so the hash covers, the strings as a JSON
	// round trip would give them back.
	m := &ev.Metadata
	m.ActorUserID, m.ActorOrganisationID = validUTF8(m.ActorUserID), validUTF8(m.ActorOrganisationID)
	m.CorrelationID, m.CausationID = validUTF8(m.CorrelationID), validUTF8(m.CausationID)
	return eventstore.Seal(stream, rev, prev, ev)
}

// pendingRow is an event sealed for the batch and not inserted yet.
type pendingRow struct {
	req           int // its request's index in the batch
	ev            *eventstore.EventData
	stream        string
	revision      uint64
	hash          string
	meta, metaEnd int // its metadata, w.metaBuf[meta:metaEnd]
}

// maxRowsPerInsert caps the rows of one multi-row INSERT (7 parameters
// each, far below SQLite's limit).
const maxRowsPerInsert = 64

// applyBatch applies batch inside the open transaction, sealing every
// event first and inserting them a few rows per statement, and fills
// w.answers and w.batch. It gives up (done false, nothing answered that
// counts) when an insert fails or an event cannot be stored: the caller
// then rolls back and applies the batch request by request (apply), which
// answers each failure as it always has. fatal means the transaction is
// broken.
//
// An expectation that does not hold may be a retry of an append stored
// earlier, even earlier in this batch: the rows sealed so far are inserted
// before retryResult looks the ids up.
func (w *writer) applyBatch(ctx context.Context, batch []*request) (done bool, fatal error) {
	w.rows, w.flushed, w.metaBuf = w.rows[:0], 0, w.metaBuf[:0]
	now := time.Now().UTC()
	for i, req := range batch {
		if err := req.ctx.Err(); err != nil {
			w.answers[i].err = err // the caller has gone; do not write on its behalf
			continue
		}
		h, err := w.head(ctx, req.stream)
		if err != nil {
			return false, fmt.Errorf("read stream head: %w", err)
		}
		if !req.expected.Allows(h.revision, h.exists) {
			if !w.flush() {
				return false, nil
			}
			res, retried, err := w.retryResult(ctx, req)
			if err == nil && !retried {
				err = &eventstore.ConflictError{Stream: req.stream, Expected: req.expected, Actual: h.revision, Exists: h.exists}
			}
			w.answers[i] = response{res: res, err: err}
			continue
		}
		rev, prev := h.revision, h.hash
		if h.exists {
			rev++
		}
		for j := range req.events {
			if rev > math.MaxInt64 { // SQLite's INTEGER is signed; apply reports it
				return false, nil
			}
			ev := &req.events[j]
			meta := seal(req.stream, rev, prev, *ev, now)
			start := len(w.metaBuf)
			w.metaBuf = encodeMeta(w.metaBuf, meta)
			w.rows = append(w.rows, pendingRow{req: i, ev: ev, stream: req.stream, revision: rev, hash: meta.Hash,
				meta: start, metaEnd: len(w.metaBuf)})
			rev, prev = rev+1, meta.Hash
		}
		w.heads[req.stream] = head{revision: rev - 1, hash: prev, exists: true}
	}
	return w.flush(), nil
}

// flush inserts the rows not inserted yet, up to maxRowsPerInsert per
// statement, and records each in w.batch and its request's answer. It
// reports false if an insert failed, leaving the transaction to be rolled
// back.
func (w *writer) flush() bool {
	for w.flushed < len(w.rows) {
		n := 1
		for n*2 <= len(w.rows)-w.flushed && n < maxRowsPerInsert {
			n *= 2
		}
		st := w.inserts[n]
		if st == nil {
			var err error
			st, err = prepareDriver(context.Background(), w.conn, insertRowsQuery(n))
			if err != nil {
				return false
			}
			w.inserts[n] = st
		}
		rows := w.rows[w.flushed : w.flushed+n]
		for _, r := range rows {
			st.arg(r.ev.ID.String())
			st.arg(r.stream)
			st.arg(int64(r.revision))
			st.arg(r.ev.Type)
			st.arg(int64(r.ev.SchemaVersion))
			st.arg(r.ev.Data)
			st.arg(w.metaBuf[r.meta:r.metaEnd])
		}
		res, err := st.exec()
		if err != nil {
			return false
		}
		last, err := res.LastInsertId()
		if err != nil {
			return false
		}
		// One INSERT stores its rows in order, each at the position after
		// the one before (AUTOINCREMENT, and this connection the only one
		// writing inside the transaction): the last is last, the first
		// last-n+1.
		for k, r := range rows {
			pos := eventstore.Position(last - int64(n-1-k))
			w.batch = append(w.batch, written{stream: r.stream, revision: r.revision, position: pos, hash: r.hash})
			w.answers[r.req].res = eventstore.AppendResult{Revision: r.revision, Position: pos}
		}
		w.flushed += n
	}
	return true
}

// insertRowsQuery inserts n events. OR FAIL rather than the default
// ABORT: a multi-row INSERT that may abort needs a statement journal (a
// copy of every page it touches) to undo its own rows, and the writer
// rolls the whole transaction back on any failure instead.
func insertRowsQuery(n int) string {
	const row = `(?, ?, ?, ?, ?, ?, ?)`
	return `INSERT OR FAIL INTO events (id, stream, revision, type, schema_version, data, metadata) VALUES ` +
		row + strings.Repeat(", "+row, n-1)
}
