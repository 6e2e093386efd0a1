package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	sqlite "modernc.org/sqlite"

	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/metrics"
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

// head is a stream's last event: its revision and hash, or exists false
// for a stream with no events.
type head struct {
	revision uint64
	hash     string
	exists   bool
}

// maxCachedHeads bounds the writer's cache of stream heads; past it the
// cache starts again empty, and heads are read back from the file as
// streams are appended to.
const maxCachedHeads = 1 << 16

// written is an event a batch has inserted: where it landed and its hash.
type written struct {
	stream   string
	revision uint64
	position eventstore.Position
	hash     string
}

// writer is the only goroutine that writes the database. Funnelling every
// append through it lets one transaction, and so one fsync, carry all the
// appends that queued up while the previous commit was syncing.
//
// It keeps each stream's head (last revision and hash) between batches, so
// an append reads nothing before it inserts. The cache is trusted only
// while this connection is the file's only writer: every batch starts by
// reading PRAGMA data_version, which changes when another connection
// commits, and drops the cache if it did. A batch that fails drops it too.
type writer struct {
	s    *Store
	conn *sql.Conn
	// Prepared once: SQL is parsed at Open, never per append.
	begin, commitTx, rollback, dataVersion *sql.Stmt
	savepoint, rollbackTo, release         *sql.Stmt
	byID, lastOf                           *sql.Stmt
	insert                                 *dstmt         // once per event, when a batch is applied request by request
	inserts                                map[int]*dstmt // multi-row inserts by row count, prepared on first use

	heads       map[string]head // stream heads as of the last commit, plus this batch's appends
	version     int64           // data_version when heads was last known good
	headsFresh  bool            // heads reflects the file as of version
	batch       []written       // the events the current batch has inserted, in position order
	answers     []response
	metaScratch []byte
	rows        []pendingRow // events sealed for the batch's multi-row inserts (append.go)
	flushed     int          // how many of rows are inserted
	metaBuf     []byte       // the encoded metadata of rows, end to end
	redone      int          // batches applied again request by request, for tests
	leaves      []treeLeaf
	tree        *treeWriter // the audit tree's hook (audit.go)

	frames  int           // WAL frames written since the checkpointer was last asked to run
	ckptReq chan struct{} // asks the checkpointer to run; nil when there is none (tests driving batches)
}

// Checkpoints. SQLite's own (wal_autocheckpoint) runs inside the COMMIT
// that takes the WAL past its threshold, so that batch's callers wait for
// it and the writer does nothing else meanwhile: copying about a
// thousand pages back to the database file and an fsync, a fifth of the
// writer's CPU. Instead the writer asks a goroutine with a connection of
// its own (Store.ckpt) to run a PASSIVE checkpoint every ckptFrames frames
// it writes, and goes on committing. A checkpoint changes nothing a
// reader sees and needs no write lock; durability is the WAL's fsync at
// each commit, as before.
//
// The WAL starts again from its beginning only when the writer begins a
// transaction with every frame checkpointed, which under a steady stream of
// appends rarely happens while the other connection checkpoints. So the
// writer keeps SQLite's own checkpoint at walCeiling frames: by then
// nearly everything is already copied, its checkpoint copies the rest,
// and the WAL restarts. The WAL stays within walCeiling frames and a batch.
const (
	ckptFrames = 1000 // SQLite's default wal_autocheckpoint
	walCeiling = 4 * ckptFrames
)

func newWriter(ctx context.Context, s *Store) (*writer, error) {
	w := &writer{s: s, conn: s.wconn, heads: make(map[string]head), tree: newTreeWriter(s.wconn),
		inserts: make(map[int]*dstmt)}
	var err error
	prepare := func(query string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = w.conn.PrepareContext(ctx, query)
		return st
	}
	// IMMEDIATE takes the write lock up front, so checking stream heads and
	// then writing cannot fail half-way with SQLITE_BUSY on a lock upgrade.
	w.begin = prepare(`BEGIN IMMEDIATE`)
	w.commitTx = prepare(`COMMIT`)
	w.rollback = prepare(`ROLLBACK`)
	w.dataVersion = prepare(`PRAGMA data_version`)
	if err == nil {
		// PRAGMA takes no bound parameters; walCeiling is our own integer.
		_, err = w.conn.ExecContext(ctx, fmt.Sprintf("PRAGMA wal_autocheckpoint = %d", walCeiling))
	}
	w.savepoint = prepare(`SAVEPOINT append`)
	w.rollbackTo = prepare(`ROLLBACK TO append`)
	w.release = prepare(`RELEASE append`)
	w.byID = prepare(`SELECT stream, revision, position FROM events WHERE id = ?`)
	w.lastOf = prepare(`SELECT revision, metadata FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1`)
	if err == nil {
		w.insert, err = prepareDriver(ctx, w.conn, `INSERT INTO events (id, stream, revision, type, schema_version, data, metadata)
		VALUES (?, ?, ?, ?, ?, ?, ?)`)
	}
	if err != nil {
		w.closeStmts()
		return nil, fmt.Errorf("prepare statements: %w", err)
	}
	return w, nil
}

func (w *writer) closeStmts() {
	w.tree.close()
	w.insert.close()
	for _, st := range w.inserts {
		st.close()
	}
	clear(w.inserts)
	for _, st := range []*sql.Stmt{w.begin, w.commitTx, w.rollback, w.dataVersion, w.savepoint, w.rollbackTo, w.release,
		w.byID, w.lastOf} {
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
	ckptDone := make(chan struct{})
	w.ckptReq = make(chan struct{}, 1)
	go w.checkpointer(ckptDone)
	defer func() {
		close(w.ckptReq)
		<-ckptDone
	}()
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
	began := time.Now()
	w.answers = append(w.answers[:0], make([]response, len(batch))...)
	w.batch = w.batch[:0]
	if _, err := w.begin.ExecContext(ctx); err != nil {
		w.fail(batch, unavailable("begin batch in "+w.s.path, err))
		return
	}
	if err := w.checkHeads(ctx); err != nil {
		w.abort(ctx, batch, unavailable("begin batch in "+w.s.path, err))
		return
	}
	// The batch's events go in a few rows per INSERT. If one of those
	// fails (an event id already stored, an unexpected constraint), the
	// transaction is rolled back and the batch is applied again request
	// by request, which tells exactly whose append failed and why.
	done, fatal := w.applyBatch(ctx, batch)
	if fatal != nil {
		w.abort(ctx, batch, unavailable("append batch in "+w.s.path, fatal))
		return
	}
	if !done {
		w.redone++
		_, _ = w.rollback.ExecContext(ctx)
		w.headsFresh = false
		w.batch = w.batch[:0]
		clear(w.answers)
		if _, err := w.begin.ExecContext(ctx); err != nil {
			w.fail(batch, unavailable("begin batch in "+w.s.path, err))
			return
		}
		if err := w.checkHeads(ctx); err != nil {
			w.abort(ctx, batch, unavailable("begin batch in "+w.s.path, err))
			return
		}
		for i, req := range batch {
			if err := req.ctx.Err(); err != nil {
				w.answers[i].err = err // the caller has gone; do not write on its behalf
				continue
			}
			res, err, fatal := w.apply(ctx, req)
			if fatal != nil {
				w.abort(ctx, batch, unavailable("append batch in "+w.s.path, fatal))
				return
			}
			w.answers[i] = response{res: res, err: err}
		}
	}
	// Here, inside the transaction and before COMMIT, w.batch holds every
	// event this batch stores, in position order, with its stream,
	// revision, position and hash: the one place to extend what a commit
	// writes beside its events. The audit tree's leaves go in here, all at
	// once (R-AUD-1).
	w.leaves = w.leaves[:0]
	for _, e := range w.batch {
		w.leaves = append(w.leaves, treeLeaf{pos: e.position, hash: e.hash})
	}
	if err := w.tree.addAll(ctx, w.leaves); err != nil {
		w.abort(ctx, batch, unavailable("append batch in "+w.s.path, err))
		return
	}
	committing := time.Now()
	if _, err := w.commitTx.ExecContext(ctx); err != nil {
		// A failed COMMIT can leave the transaction open; abort ends it
		// so the next batch can begin.
		w.abort(ctx, batch, unavailable("commit batch in "+w.s.path, err))
		return
	}
	metrics.Commit(time.Since(committing))
	metrics.AppendBatch(len(batch), time.Since(began))
	if len(w.batch) > 0 {
		w.s.stats.commits.Add(1)
		w.s.stats.events.Add(uint64(len(w.batch)))
		w.s.commits.broadcast()
	}
	if len(w.heads) > maxCachedHeads {
		clear(w.heads)
	}
	for i, req := range batch {
		req.done <- w.answers[i]
	}
	w.countFrames()
}

// countFrames adds the frames the last commit wrote to the WAL, and asks
// the checkpointer to run once they reach ckptFrames, unless it is still
// running: then the next commit asks again.
func (w *writer) countFrames() {
	var n int
	_ = w.conn.Raw(func(dc any) error {
		if st, ok := dc.(sqlite.DBStatus); ok {
			n, _, _ = st.Status(sqlite.DBStatusCacheWrite, true)
		}
		return nil
	})
	if w.frames += n; w.frames < ckptFrames {
		return
	}
	select {
	case w.ckptReq <- struct{}{}:
		w.frames = 0
	default:
	}
}

// checkpointer runs a PASSIVE checkpoint each time the writer asks, until
// the writer closes ckptReq. A checkpoint that fails (the file busy, say)
// is left to the next one or to the writer's own at walCeiling.
func (w *writer) checkpointer(done chan<- struct{}) {
	defer close(done)
	for range w.ckptReq {
		if _, err := w.s.ckpt.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)"); err == nil {
			w.s.stats.checkpoints.Add(1)
		}
	}
}

// checkHeads drops the cached stream heads unless they are known to match
// the file: nothing but this connection has committed to it since they
// were last read or written (PRAGMA data_version is unchanged).
func (w *writer) checkHeads(ctx context.Context) error {
	var v int64
	if err := w.dataVersion.QueryRowContext(ctx).Scan(&v); err != nil {
		return fmt.Errorf("read data_version: %w", err)
	}
	if !w.headsFresh || v != w.version {
		// The audit tree's size is cached on the same terms as the heads.
		clear(w.heads)
		w.tree.begin()
		w.version, w.headsFresh = v, true
	}
	return nil
}

// abort rolls the batch's transaction back and answers every request with
// err. The cached heads may hold the batch's appends, so they go too.
func (w *writer) abort(ctx context.Context, batch []*request, err error) {
	_, _ = w.rollback.ExecContext(ctx)
	w.headsFresh = false
	w.tree.forget() // it may hold the batch's leaves
	w.batch = w.batch[:0]
	w.fail(batch, err)
}

// fail answers every request in batch with err.
func (w *writer) fail(batch []*request, err error) {
	for _, req := range batch {
		req.done <- response{err: err}
	}
}

// apply performs one request inside the batch's transaction. err is the
// request's own answer (a conflict, a retry's original result, an invalid
// retry, or a write that was undone); fatal means the transaction itself
// is broken and the whole batch must fail.
//
// The event ids are looked up only when they may be stored already: when
// the expectation fails (a retry of an append that succeeded must get its
// original answer, not a conflict) or when inserting one hits the unique
// index on ids.
func (w *writer) apply(ctx context.Context, req *request) (res eventstore.AppendResult, err, fatal error) {
	h, err := w.head(ctx, req.stream)
	if err != nil {
		return res, nil, fmt.Errorf("read stream head: %w", err)
	}
	if !req.expected.Allows(h.revision, h.exists) {
		res, retried, err := w.retryResult(ctx, req)
		if err != nil || retried {
			return res, err, nil
		}
		return res, &eventstore.ConflictError{Stream: req.stream, Expected: req.expected, Actual: h.revision, Exists: h.exists}, nil
	}
	// One INSERT is atomic on its own: a single event needs no savepoint.
	single := len(req.events) == 1
	if !single {
		if _, err := w.savepoint.ExecContext(ctx); err != nil {
			return res, nil, err
		}
	}
	mark := len(w.batch)
	next, err := w.insertAll(ctx, req, h)
	if err != nil {
		w.batch = w.batch[:mark] // the tree never saw it: its leaves go in at commit
		switch {
		case isTakenRevision(err):
			// The cached head was wrong: fail the batch, which drops it.
			return res, nil, err
		case single && !statementOnly(err):
			// Only a constraint failure is known to undo just the one
			// statement; anything else may have ended the transaction.
			return res, nil, err
		case !single:
			if _, rbErr := w.rollbackTo.ExecContext(ctx); rbErr != nil {
				return res, nil, errors.Join(err, rbErr)
			}
			if _, relErr := w.release.ExecContext(ctx); relErr != nil {
				return res, nil, errors.Join(err, relErr)
			}
		}
		if isDuplicateID(err) {
			res, retried, rerr := w.retryResult(ctx, req)
			if rerr != nil || retried {
				return res, rerr, nil
			}
		}
		return res, unavailable("append to "+req.stream+" in "+w.s.path, err), nil
	}
	if !single {
		if _, err := w.release.ExecContext(ctx); err != nil {
			return res, nil, err
		}
	}
	w.heads[req.stream] = next.head
	return next.res, nil, nil
}
