package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/referral-ledger/ledger/audit"
	"github.com/referral-ledger/ledger/eventstore"
)

// TreeError reports that the Merkle tree stored beside the events (R-AUD-1)
// does not cover the events as they are: an event changed and its chain
// recomputed while the tree was left alone, or events removed from the end
// with the tree still counting them. Checkpoints signed from such a tree
// vouch for events the file no longer holds.
type TreeError struct {
	Position eventstore.Position // the first event whose leaf differs; 0 when none is named
	Reason   string
}

// Error says what does not match.
func (e *TreeError) Error() string {
	if e.Position > 0 {
		return fmt.Sprintf("the audit tree does not match the events: event at position %d: %s", e.Position, e.Reason)
	}
	return "the audit tree does not match the events: " + e.Reason
}

// treeCheckBatch is how many leaves CheckTree compares per read of the
// stored hashes.
const treeCheckBatch = 512

// CheckTree recomputes the Merkle tree from the events' chain hashes and
// compares it with the tree stored in the file at path, read-only and in
// one snapshot like Verify, beside a writer or not: every leaf must be the
// leaf of the event at its place, the root over them the stored root, and
// the tree must hold no hashes beyond its size. A tree shorter than the
// log (one a server start has not finished extending) is checked as far
// as it goes. It returns a *TreeError on a mismatch, an error wrapping
// eventstore.ErrUnavailable when the file cannot be read, and nil when the
// tree matches or the file predates the tree.
func CheckTree(ctx context.Context, path string, opts ...Option) error {
	o := options{busyTimeout: 5 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	db, err := sql.Open("sqlite", readOnlyDSN(path, o))
	if err != nil {
		return unavailable("check the audit tree of "+path, err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return unavailable("check the audit tree of "+path, err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		return unavailable("check the audit tree of "+path, err)
	}
	defer func() { _, _ = conn.ExecContext(context.Background(), "ROLLBACK") }()

	var tables int
	if err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('audit_hashes', 'audit_leaves')`).Scan(&tables); err != nil {
		return damagedOr("check the audit tree of "+path, 0, err)
	}
	if tables < 2 {
		return nil // a ledger from before the tree: the next start builds it
	}
	size, err := treeSize(ctx, conn)
	if err != nil {
		return damagedOr("check the audit tree of "+path, 0, err)
	}
	var stored, count int64
	if err := conn.QueryRowContext(ctx, `SELECT COALESCE(MAX(idx) + 1, 0), COUNT(*) FROM audit_hashes`).Scan(&stored, &count); err != nil {
		return damagedOr("check the audit tree of "+path, 0, err)
	}
	if want := tlog.StoredHashCount(size); stored != want || count != want {
		return &TreeError{Reason: fmt.Sprintf("a tree of %d events holds %d stored hashes, up to index %d; it should hold %d",
			size, count, stored-1, want)}
	}
	if size == 0 {
		return nil
	}

	hashes := hashReader(ctx, conn)
	rows, err := conn.QueryContext(ctx, `SELECT position, metadata FROM events ORDER BY position LIMIT ?`, size)
	if err != nil {
		return damagedOr("check the audit tree of "+path, 0, err)
	}
	defer rows.Close()
	type node struct {
		h     tlog.Hash
		level int
		index int64
		pos   eventstore.Position // the event whose leaf completed it
	}
	var (
		stack   []node // the complete subtrees so far, largest first
		pending []node // computed, to compare with the stored hashes
		n       int64
	)
	compare := func() error {
		idx := make([]int64, len(pending))
		for i, p := range pending {
			idx[i] = tlog.StoredHashIndex(p.level, p.index)
		}
		got, err := hashes.ReadHashes(idx)
		if err != nil {
			return damagedOr("check the audit tree of "+path, 0, err)
		}
		for i, p := range pending {
			if got[i] == p.h {
				continue
			}
			if p.level == 0 {
				return &TreeError{Position: p.pos, Reason: fmt.Sprintf("leaf %d of the tree is not this event's: "+
					"the event changed after the tree covered it", p.index)}
			}
			return &TreeError{Reason: fmt.Sprintf("the tree's hash at level %d, index %d (events up to position %d), is not the hash of the leaves under it",
				p.level, p.index, p.pos)}
		}
		pending = pending[:0]
		return nil
	}
	for rows.Next() {
		var pos eventstore.Position
		var raw sql.RawBytes
		if err := rows.Scan(&pos, &raw); err != nil {
			return damagedOr("check the audit tree of "+path, 0, err)
		}
		meta, err := decodeMeta(raw)
		if err != nil {
			return &TreeError{Position: pos, Reason: "its metadata cannot be read: " + err.Error()}
		}
		leaf, err := audit.LeafHash(pos, meta.Hash)
		if err != nil {
			return &TreeError{Position: pos, Reason: err.Error()}
		}
		nd := node{h: leaf, index: n, pos: pos}
		stack, pending = append(stack, nd), append(pending, nd)
		n++
		for k := len(stack); k >= 2 && stack[k-1].level == stack[k-2].level; k = len(stack) {
			l := stack[k-2]
			up := node{h: tlog.NodeHash(l.h, stack[k-1].h), level: l.level + 1, index: l.index / 2, pos: pos}
			stack = append(stack[:k-2], up)
			pending = append(pending, up)
		}
		if len(pending) >= treeCheckBatch {
			if err := compare(); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return damagedOr("check the audit tree of "+path, 0, err)
	}
	if err := compare(); err != nil {
		return err
	}
	if n < size {
		return &TreeError{Reason: fmt.Sprintf("the tree covers %d events but the file holds %d: events were removed", size, n)}
	}
	root := stack[len(stack)-1].h
	for i := len(stack) - 2; i >= 0; i-- {
		root = tlog.NodeHash(stack[i].h, root)
	}
	want, err := tlog.TreeHash(size, hashes)
	if err != nil {
		return damagedOr("check the audit tree of "+path, 0, err)
	}
	if root != want {
		return &TreeError{Reason: fmt.Sprintf("the stored root over %d events is not the root of their leaves", size)}
	}
	return nil
}
