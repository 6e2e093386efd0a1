package sqlite

// The ledger's Merkle tree (R-AUD-1), kept in the same SQLite file and the
// same transaction as the events it covers: a batch's events and their
// leaves commit together or not at all. The writer calls four hooks,
// tree.begin, tree.addAll, tree.close and (for reading) Store.AuditLog; everything else
// about the tree lives here and in package audit.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/bits"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/referral-ledger/ledger/audit"
	"github.com/referral-ledger/ledger/eventstore"
)

// auditMigration creates the tree's tables: audit_hashes holds tlog's
// stored hashes by index; audit_leaves maps each event's position to its
// leaf. Both are append-only like the events.
const auditMigration = `CREATE TABLE audit_hashes (
		idx  INTEGER PRIMARY KEY,
		hash BLOB    NOT NULL
	);
	CREATE TABLE audit_leaves (
		position INTEGER PRIMARY KEY,
		leaf     INTEGER NOT NULL -- increases with position
	);
	CREATE TRIGGER audit_hashes_no_update BEFORE UPDATE ON audit_hashes
	BEGIN SELECT RAISE(ABORT, 'the audit tree is append-only'); END;
	CREATE TRIGGER audit_hashes_no_delete BEFORE DELETE ON audit_hashes
	BEGIN SELECT RAISE(ABORT, 'the audit tree is append-only'); END;
	CREATE TRIGGER audit_leaves_no_update BEFORE UPDATE ON audit_leaves
	BEGIN SELECT RAISE(ABORT, 'the audit tree is append-only'); END;
	CREATE TRIGGER audit_leaves_no_delete BEFORE DELETE ON audit_leaves
	BEGIN SELECT RAISE(ABORT, 'the audit tree is append-only'); END;`

// querier is what the tree needs of a connection or transaction.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// treeWriter adds leaves inside the writer's transaction. size is the
// number of leaves as of the open transaction, -1 when it must be read
// again (at each batch and after a rollback).
//
// edge caches, for each level of the tree, the last hash stored at that
// level and its index, for the size they were stored at (edgeSize): the
// next leaf combines exactly those (the stored hash to its left at each
// level it completes), so a steady stream of appends reads nothing back.
// It is dropped whenever the size read from the database is not the one it
// was kept for (a rollback, or another handle's append), and by forget.
//
// addAll computes every new leaf's stored hashes first, then inserts them,
// and the leaves, a few rows per statement: a batch of appends costs a
// handful of INSERTs however many events it holds.
type treeWriter struct {
	db        querier
	size      int64
	edge      [64]edgeHash
	edgeSize  int64
	stmts     map[treeStmt]*dstmt // multi-row inserts, prepared on first use when db is a *sql.Conn
	queries   map[treeStmt]string
	pending   []tlog.Hash // hashes computed but not yet inserted, from index pendingAt
	pendingAt int64
	leaves    []int64 // (position, leaf) pairs not yet inserted
	args      []any
	off       bool // benchmarks only: measure appends without the tree
}

// edgeHash is a stored hash and its index; idx -1 when unknown.
type edgeHash struct {
	idx int64
	h   tlog.Hash
}

// treeStmt names a multi-row insert: its table and how many rows.
type treeStmt struct {
	table string
	rows  int
}

// treeLeaf is an event to add to the tree: its position and chain hash.
type treeLeaf struct {
	pos  eventstore.Position
	hash string
}

func newTreeWriter(db querier) *treeWriter {
	t := &treeWriter{db: db, size: -1, stmts: make(map[treeStmt]*dstmt), queries: make(map[treeStmt]string)}
	t.forget()
	return t
}

// forget drops the cached size and the edge; the writer calls it when a
// transaction that added leaves is rolled back.
func (t *treeWriter) forget() {
	t.size, t.edgeSize = -1, -1
	for i := range t.edge {
		t.edge[i].idx = -1
	}
}

// begin forgets the cached size; the writer calls it when a transaction
// begins or part of one is rolled back.
func (t *treeWriter) begin() { t.size = -1 }

// insertRows inserts rows of len(cols) values each from vals into table,
// up to 64 rows per statement.
func (t *treeWriter) insertRows(ctx context.Context, table, cols string, width int, vals func(i int, args []any) []any, rows int) error {
	for done := 0; done < rows; {
		n := 1
		for n*2 <= rows-done && n < 64 {
			n *= 2
		}
		key := treeStmt{table, n}
		query, ok := t.queries[key]
		if !ok {
			// OR FAIL: a multi-row INSERT that may abort needs a statement
			// journal (a copy of every page it touches) so it can undo its
			// own rows; one that fails instead keeps them. Every caller
			// rolls the whole transaction back on an error, so nothing
			// needs undoing statement by statement.
			query = `INSERT OR FAIL INTO ` + table + ` (` + cols + `) VALUES (?` + strings.Repeat(",?", width-1) + `)` +
				strings.Repeat(`, (?`+strings.Repeat(",?", width-1)+`)`, n-1)
			t.queries[key] = query
		}
		t.args = t.args[:0]
		for i := done; i < done+n; i++ {
			t.args = vals(i, t.args)
		}
		var err error
		st := t.stmts[key]
		if conn, ok := t.db.(*sql.Conn); ok && st == nil {
			if st, err = prepareDriver(ctx, conn, query); err != nil {
				return err
			}
			t.stmts[key] = st
		}
		if st != nil {
			for _, a := range t.args {
				st.arg(a)
			}
			_, err = st.exec()
		} else {
			_, err = t.db.ExecContext(ctx, query, t.args...)
		}
		if err != nil {
			return err
		}
		done += n
	}
	return nil
}

// close closes the prepared statements.
func (t *treeWriter) close() {
	if t == nil {
		return
	}
	for _, st := range t.stmts {
		st.close()
	}
	clear(t.stmts)
}

// hashAt returns the stored hash at index x: one computed but not inserted
// yet, the edge's at level, or else the database's.
func (t *treeWriter) hashAt(ctx context.Context, level int, x int64) (tlog.Hash, error) {
	if x >= t.pendingAt && x-t.pendingAt < int64(len(t.pending)) {
		return t.pending[x-t.pendingAt], nil
	}
	if e := t.edge[level]; e.idx == x {
		return e.h, nil
	}
	got, err := hashReader(ctx, t.db).ReadHashes([]int64{x})
	if err != nil {
		return tlog.Hash{}, err
	}
	return got[0], nil
}

// addAll makes the events in leaves the next leaves, in order.
func (t *treeWriter) addAll(ctx context.Context, leaves []treeLeaf) (err error) {
	if t.off || len(leaves) == 0 {
		return nil
	}
	if t.size < 0 {
		n, err := treeSize(ctx, t.db)
		if err != nil {
			return err
		}
		if n != t.edgeSize {
			t.forget()
		}
		t.size = n
	}
	defer func() {
		if err != nil {
			// Some rows may be in: the caller rolls back, and the tree
			// is read again.
			t.forget()
		}
		t.pending, t.leaves = t.pending[:0], t.leaves[:0]
	}()
	size := t.size
	t.pendingAt = tlog.StoredHashIndex(0, size)
	for _, l := range leaves {
		// What tlog.StoredHashesForRecordHash computes (leaf n's record
		// hash, then one node hash per subtree it completes, combined with
		// the stored hash to its left at each level), without its
		// per-leaf slices and reader calls: the hashes it combines are
		// this batch's or the edge's.
		h, err := audit.LeafHash(l.pos, l.hash)
		if err != nil {
			return fmt.Errorf("audit tree: %w", err)
		}
		t.pending = append(t.pending, h)
		levels := bits.TrailingZeros64(uint64(size + 1))
		for level := range levels {
			left, err := t.hashAt(ctx, level, tlog.StoredHashIndex(level, size>>uint(level)-1))
			if err != nil {
				return fmt.Errorf("audit tree: %w", err)
			}
			h = tlog.NodeHash(left, h)
			t.pending = append(t.pending, h)
		}
		// The hashes just stored are now the last at their levels.
		for level := 0; level <= levels; level++ {
			x := tlog.StoredHashIndex(level, size>>uint(level))
			t.edge[level] = edgeHash{idx: x, h: t.pending[x-t.pendingAt]}
		}
		t.leaves = append(t.leaves, clampInt64(uint64(l.pos)), size)
		size++
	}
	err = t.insertRows(ctx, "audit_hashes", "idx, hash", 2, func(i int, args []any) []any {
		return append(args, t.pendingAt+int64(i), t.pending[i][:]) // the slice is t.pending's until the next batch
	}, len(t.pending))
	if err != nil {
		return fmt.Errorf("audit tree: store hash: %w", err)
	}
	err = t.insertRows(ctx, "audit_leaves", "position, leaf", 2, func(i int, args []any) []any {
		return append(args, t.leaves[2*i], t.leaves[2*i+1])
	}, len(t.leaves)/2)
	if err != nil {
		return fmt.Errorf("audit tree: store leaf: %w", err)
	}
	t.size, t.edgeSize = size, size
	return nil
}

func treeSize(ctx context.Context, db querier) (int64, error) {
	var n int64
	err := db.QueryRowContext(ctx, `SELECT leaf + 1 FROM audit_leaves ORDER BY position DESC LIMIT 1`).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("audit tree: read size: %w", err)
	}
	return n, nil
}

// hashReader reads stored hashes through db.
func hashReader(ctx context.Context, db querier) tlog.HashReader {
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		if len(idx) == 0 {
			return out, nil
		}
		args := make([]any, len(idx))
		for i, x := range idx {
			args[i] = x
		}
		rows, err := db.QueryContext(ctx, `SELECT idx, hash FROM audit_hashes WHERE idx IN (?`+strings.Repeat(",?", len(idx)-1)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("audit tree: read hashes: %w", err)
		}
		defer rows.Close()
		got := make(map[int64]tlog.Hash, len(idx))
		for rows.Next() {
			var x int64
			var h []byte
			if err := rows.Scan(&x, &h); err != nil {
				return nil, fmt.Errorf("audit tree: read hashes: %w", err)
			}
			if len(h) != tlog.HashSize {
				return nil, fmt.Errorf("audit tree: stored hash %d is %d bytes", x, len(h))
			}
			got[x] = tlog.Hash(h)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("audit tree: read hashes: %w", err)
		}
		for i, x := range idx {
			h, ok := got[x]
			if !ok {
				return nil, fmt.Errorf("audit tree: stored hash %d is missing", x)
			}
			out[i] = h
		}
		return out, nil
	})
}

// backfillChunk is how many events one backfill transaction adds.
const backfillChunk = 4096

// backfillTree adds a leaf for every event that has none, in position
// order: once, when a ledger written before the tree existed is opened;
// afterwards each append adds its own leaves and this finds nothing to do.
func backfillTree(ctx context.Context, conn *sql.Conn) error {
	for {
		done, err := backfillSome(ctx, conn)
		if err != nil || done {
			return err
		}
	}
}

func backfillSome(ctx context.Context, conn *sql.Conn) (done bool, err error) {
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return false, fmt.Errorf("audit tree: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_, _ = conn.ExecContext(ctx, "ROLLBACK")
		}
	}()
	var last int64
	if err := conn.QueryRowContext(ctx, `SELECT COALESCE(MAX(position), 0) FROM audit_leaves`).Scan(&last); err != nil {
		return false, fmt.Errorf("audit tree: %w", err)
	}
	rows, err := conn.QueryContext(ctx, `SELECT position, metadata FROM events WHERE position > ? ORDER BY position LIMIT ?`, last, backfillChunk)
	if err != nil {
		return false, fmt.Errorf("audit tree: read events: %w", err)
	}
	var todo []treeLeaf
	damaged := false
	for rows.Next() {
		var pos eventstore.Position
		var raw sql.RawBytes
		if err := rows.Scan(&pos, &raw); err != nil {
			_ = rows.Close()
			return false, fmt.Errorf("audit tree: read events: %w", err)
		}
		meta, err := decodeMeta(raw)
		if err == nil {
			_, err = audit.LeafData(pos, meta.Hash)
		}
		if err != nil {
			// A damaged row: the tree stops before it rather than commit
			// to something that is not an event. The file still opens, so
			// that ledger verify can name the damage; the server, whose
			// start-up check replays every chain, refuses to serve it.
			damaged = true
			break
		}
		todo = append(todo, treeLeaf{pos, meta.Hash})
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return false, fmt.Errorf("audit tree: read events: %w", err)
	}
	t := newTreeWriter(conn)
	defer t.close()
	if err := t.addAll(ctx, todo); err != nil {
		return false, err
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return false, fmt.Errorf("audit tree: commit: %w", err)
	}
	return damaged || len(todo) < backfillChunk, nil
}

// storeLog is the tree as the read pool sees it.
type storeLog struct{ s *Store }

// AuditLog returns the store's Merkle tree for proofs and checkpoints.
func (s *Store) AuditLog() audit.Log { return storeLog{s} }

func (l storeLog) TreeSize(ctx context.Context) (int64, error) {
	if err := l.s.enter(); err != nil {
		return 0, err
	}
	defer l.s.leave()
	n, err := treeSize(ctx, l.s.read)
	if err != nil {
		return 0, unavailable("read audit tree", err)
	}
	return n, nil
}

func (l storeLog) Hashes(ctx context.Context) tlog.HashReader {
	r := hashReader(ctx, l.s.read)
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		if err := l.s.enter(); err != nil {
			return nil, err
		}
		defer l.s.leave()
		return r.ReadHashes(idx)
	})
}

func (l storeLog) LeafIndex(ctx context.Context, pos eventstore.Position) (int64, error) {
	if err := l.s.enter(); err != nil {
		return 0, err
	}
	defer l.s.leave()
	var n int64
	err := l.s.read.QueryRowContext(ctx, `SELECT leaf FROM audit_leaves WHERE position = ?`, clampInt64(uint64(pos))).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, audit.ErrNoLeaf
	}
	if err != nil {
		return 0, unavailable("read audit tree", err)
	}
	return n, nil
}
