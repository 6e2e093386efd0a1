package audit

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/referral-ledger/ledger/eventstore"
)

// Log is a store's Merkle tree as kept beside its events: the embedded
// store keeps it in the same SQLite transaction as the events, a KurrentDB
// node in a local File fed by its subscription.
type Log interface {
	// TreeSize is the number of leaves, one per event, in global order.
	TreeSize(ctx context.Context) (int64, error)
	// Hashes reads stored hashes by tlog stored-hash index.
	Hashes(ctx context.Context) tlog.HashReader
	// LeafIndex is the leaf of the event at pos, or ErrNoLeaf.
	LeafIndex(ctx context.Context, pos eventstore.Position) (int64, error)
}

// ErrNoLeaf says an event has no leaf in the tree yet.
var ErrNoLeaf = errors.New("audit: the event is not in the tree yet")

// ErrTreeSize says a size asked for is outside the tree.
var ErrTreeSize = errors.New("audit: tree size out of range")

// Root returns the root hash of the tree's first n leaves.
func Root(ctx context.Context, l Log, n int64) (tlog.Hash, error) {
	size, err := l.TreeSize(ctx)
	if err != nil {
		return tlog.Hash{}, err
	}
	if n < 0 || n > size {
		return tlog.Hash{}, fmt.Errorf("%w: %d of %d", ErrTreeSize, n, size)
	}
	return tlog.TreeHash(n, l.Hashes(ctx))
}

// ProveConsistency proves the tree of size to extends the one of size from
// (R-AUD-2). It needs 1 <= from <= to <= the tree's size.
func ProveConsistency(ctx context.Context, l Log, from, to int64) (tlog.TreeProof, error) {
	size, err := l.TreeSize(ctx)
	if err != nil {
		return nil, err
	}
	if from < 1 || from > to || to > size {
		return nil, fmt.Errorf("%w: from %d to %d, tree has %d", ErrTreeSize, from, to, size)
	}
	return tlog.ProveTree(to, from, l.Hashes(ctx))
}

// ProveInclusion proves leaf n is in the tree of size t (R-AUD-3).
func ProveInclusion(ctx context.Context, l Log, t, n int64) (tlog.RecordProof, error) {
	size, err := l.TreeSize(ctx)
	if err != nil {
		return nil, err
	}
	if n < 0 || n >= t || t > size {
		return nil, fmt.Errorf("%w: leaf %d in size %d, tree has %d", ErrTreeSize, n, t, size)
	}
	return tlog.ProveRecord(t, n, l.Hashes(ctx))
}
