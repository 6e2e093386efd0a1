package sqlite

// The ledger's Merkle tree (R-AUD-1), kept in the same SQLite file and the
// same transaction as the events it covers: a batch's events and their
// leaves commit together or not at all. The writer calls four hooks,
// tree.begin, tree.add, tree.close and (for reading) Store.AuditLog; everything else
// about the tree lives here and in package audit.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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
// again (at each batch and after a rollback to a savepoint).
//
// recent caches the hashes the last leaves stored, by index, for the size
// they were stored at: the next leaf's hashes combine exactly those, so a
// steady stream of appends reads nothing back. It is dropped whenever the
// size read from the database is not the one it was kept for (a rollback,
// or another handle's append).
type treeWriter struct {
	db               querier
	size             int64
	recent           map[int64]tlog.Hash
	recentSize       int64
	insHash, insLeaf *sql.Stmt // prepared on first use when db is a *sql.Conn
	off              bool      // benchmarks only: measure appends without the tree
}

func newTreeWriter(db querier) *treeWriter {
	return &treeWriter{db: db, size: -1, recent: make(map[int64]tlog.Hash), recentSize: -1}
}

// begin forgets the cached size; the writer calls it when a transaction
// begins or part of one is rolled back.
func (t *treeWriter) begin() { t.size = -1 }

func (t *treeWriter) exec(ctx context.Context, st **sql.Stmt, query string, args ...any) error {
	if conn, ok := t.db.(*sql.Conn); ok && *st == nil {
		p, err := conn.PrepareContext(ctx, query)
		if err != nil {
			return err
		}
		*st = p
	}
	var err error
	if *st != nil {
		_, err = (*st).ExecContext(ctx, args...)
	} else {
		_, err = t.db.ExecContext(ctx, query, args...)
	}
	return err
}

// close closes the prepared statements.
func (t *treeWriter) close() {
	if t == nil {
		return
	}
	for _, st := range []*sql.Stmt{t.insHash, t.insLeaf} {
		if st != nil {
			_ = st.Close()
		}
	}
	t.insHash, t.insLeaf = nil, nil
}

// cachedReader reads from recent, falling back to the database.
func (t *treeWriter) cachedReader(ctx context.Context) tlog.HashReader {
	db := hashReader(ctx, t.db)
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			h, ok := t.recent[x]
			if !ok {
				return db.ReadHashes(idx)
			}
			out[i] = h
		}
		return out, nil
	})
}

// add makes the event at pos, sealed with chainHash, the next leaf.
func (t *treeWriter) add(ctx context.Context, pos eventstore.Position, chainHash string) error {
	if t.off {
		return nil
	}
	if t.size < 0 {
		n, err := treeSize(ctx, t.db)
		if err != nil {
			return err
		}
		t.size = n
		if n != t.recentSize {
			clear(t.recent)
		}
	}
	hs, err := audit.StoredHashes(t.size, pos, chainHash, t.cachedReader(ctx))
	if err != nil {
		return fmt.Errorf("audit tree: %w", err)
	}
	first := tlog.StoredHashIndex(0, t.size)
	for i, h := range hs {
		if err := t.exec(ctx, &t.insHash, `INSERT INTO audit_hashes (idx, hash) VALUES (?, ?)`, first+int64(i), h[:]); err != nil {
			return fmt.Errorf("audit tree: store hash: %w", err)
		}
	}
	if err := t.exec(ctx, &t.insLeaf, `INSERT INTO audit_leaves (position, leaf) VALUES (?, ?)`, clampInt64(uint64(pos)), t.size); err != nil {
		return fmt.Errorf("audit tree: store leaf: %w", err)
	}
	t.size++
	// Keep what the next leaf will combine: the hashes just stored. At
	// most one hash per level is needed, so the map stays small.
	if len(t.recent) > 256 {
		clear(t.recent)
	}
	for i, h := range hs {
		t.recent[first+int64(i)] = h
	}
	t.recentSize = t.size
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
	type leaf struct {
		pos  eventstore.Position
		hash string
	}
	var todo []leaf
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
		todo = append(todo, leaf{pos, meta.Hash})
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return false, fmt.Errorf("audit tree: read events: %w", err)
	}
	t := newTreeWriter(conn)
	defer t.close()
	for _, l := range todo {
		if err := t.add(ctx, l.pos, l.hash); err != nil {
			return false, err
		}
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
