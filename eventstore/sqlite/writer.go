package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/referral-ledger/ledger/eventstore"
)

// request is one Append waiting for the writer.
type request struct {
	ctx      context.Context
	stream   string
	expected eventstore.ExpectedRevision
	events   []eventstore.EventData // a copy the caller cannot change
	done     chan response          // buffered, so the writer never blocks on it
}

type response struct {
	res eventstore.AppendResult
	err error
}

// head is a stream's last event as seen inside the current transaction.
type head struct {
	revision uint64
	hash     string
	exists   bool
}

// writer is the only goroutine that writes the database. Funnelling every
// append through it lets one transaction, and so one fsync, carry all the
// appends that queued up while the previous commit was syncing.
type writer struct {
	s                    *Store
	conn                 *sql.Conn
	byID, lastOf, insert *sql.Stmt
	heads                map[string]head
	answers              []response
	tree                 *treeWriter // the audit tree's hook (audit.go)
}

func newWriter(ctx context.Context, s *Store) (*writer, error) {
	w := &writer{s: s, conn: s.wconn, heads: make(map[string]head), tree: newTreeWriter(s.wconn)}
	var err error
	prepare := func(query string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = w.conn.PrepareContext(ctx, query)
		return st
	}
	w.byID = prepare(`SELECT stream, revision, position FROM events WHERE id = ?`)
	w.lastOf = prepare(`SELECT revision, metadata FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1`)
	w.insert = prepare(`INSERT INTO events (id, stream, revision, type, schema_version, data, metadata)
		VALUES (?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		w.closeStmts()
		return nil, fmt.Errorf("prepare statements: %w", err)
	}
	return w, nil
}

func (w *writer) closeStmts() {
	w.tree.close()
	for _, st := range []*sql.Stmt{w.byID, w.lastOf, w.insert} {
		if st != nil {
			_ = st.Close()
		}
	}
}

// run commits batches until Close closes the request channel and the
// requests still queued in it have been committed.
func (w *writer) run() {
	defer close(w.s.writerDone)
	defer w.closeStmts()
	batch := make([]*request, 0, w.s.maxReq)
	for req := range w.s.reqs {
		batch = append(batch[:0], req)
	fill:
		for len(batch) < w.s.maxReq {
			select {
			case r, ok := <-w.s.reqs:
				if !ok {
					break fill
				}
				batch = append(batch, r)
			default:
				break fill
			}
		}
		w.commit(batch)
		clear(batch) // drop references to answered requests
	}
}

// commit applies batch in one transaction and answers every request only
// after COMMIT has returned, so a nil error always means durable.
func (w *writer) commit(batch []*request) {
	ctx := context.Background() // a batch serves many callers; no one caller's ctx may abort it
	w.answers = append(w.answers[:0], make([]response, len(batch))...)
	// IMMEDIATE takes the write lock up front, so reading stream heads and
	// then writing cannot fail half-way with SQLITE_BUSY on a lock upgrade.
	if _, err := w.conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		w.fail(batch, unavailable("begin batch in "+w.s.path, err))
		return
	}
	clear(w.heads)
	w.tree.begin()
	wrote := false
	for i, req := range batch {
		if err := req.ctx.Err(); err != nil {
			w.answers[i].err = err // the caller has gone; do not write on its behalf
			continue
		}
		res, did, err, fatal := w.apply(ctx, req)
		if fatal != nil {
			_, _ = w.conn.ExecContext(ctx, "ROLLBACK")
			w.fail(batch, unavailable("append batch in "+w.s.path, fatal))
			return
		}
		w.answers[i] = response{res: res, err: err}
		wrote = wrote || did
	}
	if _, err := w.conn.ExecContext(ctx, "COMMIT"); err != nil {
		// A failed COMMIT can leave the transaction open; end it so the
		// next batch can begin.
		_, _ = w.conn.ExecContext(ctx, "ROLLBACK")
		w.fail(batch, unavailable("commit batch in "+w.s.path, err))
		return
	}
	if wrote {
		w.s.commits.broadcast()
	}
	for i, req := range batch {
		req.done <- w.answers[i]
	}
}

// fail answers every request in batch with err.
func (w *writer) fail(batch []*request, err error) {
	for _, req := range batch {
		req.done <- response{err: err}
	}
}

// apply performs one request inside the batch's transaction. err is the
// request's own answer (a conflict, an invalid retry, or a write that was
// rolled back to its savepoint); fatal means the transaction itself is
// broken and the whole batch must fail.
func (w *writer) apply(ctx context.Context, req *request) (res eventstore.AppendResult, wrote bool, err, fatal error) {
	// Idempotency comes before the expected-revision check: a retry of an
	// append that succeeded must get its original answer, not a conflict.
	res, retried, err := w.retryResult(ctx, req)
	if err != nil || retried {
		return res, false, err, nil
	}
	h, err := w.head(ctx, req.stream)
	if err != nil {
		return res, false, unavailable("read stream head", err), nil
	}
	if !req.expected.Allows(h.revision, h.exists) {
		return res, false, &eventstore.ConflictError{Stream: req.stream, Expected: req.expected, Actual: h.revision, Exists: h.exists}, nil
	}
	if _, err := w.conn.ExecContext(ctx, "SAVEPOINT append"); err != nil {
		return res, false, nil, err
	}
	next, err := w.insertAll(ctx, req, h)
	if err != nil {
		w.tree.begin()
		if _, rbErr := w.conn.ExecContext(ctx, "ROLLBACK TO append"); rbErr != nil {
			return res, false, nil, errors.Join(err, rbErr)
		}
		if _, relErr := w.conn.ExecContext(ctx, "RELEASE append"); relErr != nil {
			return res, false, nil, errors.Join(err, relErr)
		}
		return res, false, unavailable("append to "+req.stream+" in "+w.s.path, err), nil
	}
	if _, err := w.conn.ExecContext(ctx, "RELEASE append"); err != nil {
		return res, false, nil, err
	}
	w.heads[req.stream] = next.head
	return next.res, true, nil, nil
}
