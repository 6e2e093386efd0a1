package audit

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"sync"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/referral-ledger/ledger/eventstore"
)

// File is a Merkle tree kept in two append-only local files, for a node
// whose events live elsewhere (KurrentDB): path+".hashes" holds the tlog
// stored hashes, 32 bytes each by index, and path+".leaves" each leaf's
// event position, 8 bytes each. A leaf counts once its position is
// written, after its hashes, so a crash between the two leaves hashes
// that Open truncates away.
type File struct {
	mu       sync.RWMutex
	hashes   *os.File
	leaves   *os.File
	size     int64
	nHashes  int64
	lastPos  eventstore.Position
	position []eventstore.Position // leaf -> position, for LeafIndex
}

var _ Log = (*File)(nil)

// OpenFile opens or creates the tree files at path.
func OpenFile(path string) (*File, error) {
	f := &File{}
	var err error
	if f.hashes, err = os.OpenFile(path+".hashes", os.O_RDWR|os.O_CREATE, 0o600); err != nil {
		return nil, fmt.Errorf("audit: open tree: %w", err)
	}
	if f.leaves, err = os.OpenFile(path+".leaves", os.O_RDWR|os.O_CREATE, 0o600); err != nil {
		_ = f.hashes.Close()
		return nil, fmt.Errorf("audit: open tree: %w", err)
	}
	if err := f.load(); err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}

func (f *File) load() error {
	data, err := io.ReadAll(f.leaves)
	if err != nil {
		return fmt.Errorf("audit: read tree leaves: %w", err)
	}
	f.size = int64(len(data) / 8)
	f.position = make([]eventstore.Position, f.size)
	for i := range f.position {
		f.position[i] = eventstore.Position(binary.BigEndian.Uint64(data[i*8:]))
		if i > 0 && f.position[i] <= f.position[i-1] {
			return fmt.Errorf("audit: tree leaves file: positions out of order at leaf %d", i)
		}
	}
	if f.size > 0 {
		f.lastPos = f.position[f.size-1]
	}
	f.nHashes = tlog.StoredHashCount(f.size)
	st, err := f.hashes.Stat()
	if err != nil {
		return fmt.Errorf("audit: tree hashes: %w", err)
	}
	if st.Size() < f.nHashes*tlog.HashSize {
		return fmt.Errorf("audit: tree hashes file is shorter than its %d leaves need", f.size)
	}
	// Drop a partial append's hashes and leaf bytes.
	if err := f.hashes.Truncate(f.nHashes * tlog.HashSize); err != nil {
		return fmt.Errorf("audit: tree hashes: %w", err)
	}
	return f.leaves.Truncate(f.size * 8)
}

// Append adds ev as the next leaf; events at or before the last leaf's
// position are skipped, so a subscription replaying events is harmless.
func (f *File) Append(ev eventstore.RecordedEvent) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.size > 0 && ev.Position <= f.lastPos {
		return nil
	}
	hs, err := StoredHashes(f.size, ev.Position, ev.Metadata.Hash, f.reader())
	if err != nil {
		return err
	}
	buf := make([]byte, 0, len(hs)*tlog.HashSize)
	for _, h := range hs {
		buf = append(buf, h[:]...)
	}
	if _, err := f.hashes.WriteAt(buf, f.nHashes*tlog.HashSize); err != nil {
		return fmt.Errorf("audit: write tree hashes: %w", err)
	}
	var p [8]byte
	binary.BigEndian.PutUint64(p[:], uint64(ev.Position))
	if _, err := f.leaves.WriteAt(p[:], f.size*8); err != nil {
		return fmt.Errorf("audit: write tree leaf: %w", err)
	}
	f.size++
	f.nHashes += int64(len(hs))
	f.lastPos = ev.Position
	f.position = append(f.position, ev.Position)
	return nil
}

// LastPosition is the position of the last event in the tree (Start when
// empty), where a subscription feeding it resumes.
func (f *File) LastPosition() eventstore.Position {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.lastPos
}

// Sync flushes the files to disk.
func (f *File) Sync() error {
	return errors.Join(f.hashes.Sync(), f.leaves.Sync())
}

// Close closes the files.
func (f *File) Close() error {
	return errors.Join(f.hashes.Close(), f.leaves.Close())
}

// TreeSize implements Log.
func (f *File) TreeSize(context.Context) (int64, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.size, nil
}

// Hashes implements Log.
func (f *File) Hashes(context.Context) tlog.HashReader {
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		f.mu.RLock()
		defer f.mu.RUnlock()
		return f.reader().ReadHashes(idx)
	})
}

// reader reads stored hashes; the caller holds mu.
func (f *File) reader() tlog.HashReader {
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			if x < 0 || x >= f.nHashes {
				return nil, fmt.Errorf("audit: stored hash %d not in the tree", x)
			}
			if _, err := f.hashes.ReadAt(out[i][:], x*tlog.HashSize); err != nil {
				return nil, fmt.Errorf("audit: read tree hash %d: %w", x, err)
			}
		}
		return out, nil
	})
}

// LeafIndex implements Log.
func (f *File) LeafIndex(_ context.Context, pos eventstore.Position) (int64, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	i := sort.Search(len(f.position), func(i int) bool { return f.position[i] >= pos })
	if i == len(f.position) || f.position[i] != pos {
		return 0, ErrNoLeaf
	}
	return int64(i), nil
}

// Follow feeds f from store's subscription until ctx ends, syncing after
// each batch of events that arrived together, so every node that reads
// the same log computes the same tree (R-AUD-1).
func (f *File) Follow(ctx context.Context, store eventstore.Store) error {
	return f.FollowReporting(ctx, store, func() {})
}

// FollowReporting is Follow, calling caughtUp each time the tree has
// taken every event delivered so far and synced them. It ends with an
// error if the subscription or the files fail (a full disk): run it again
// and it resumes after the last event the tree holds, since an event is
// counted only once both its writes are done.
func (f *File) FollowReporting(ctx context.Context, store eventstore.Store, caughtUp func()) error {
	sub := store.Subscribe(ctx, f.LastPosition())
	defer sub.Close()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-sub.Events():
			if !ok {
				return sub.Err()
			}
			if err := f.Append(ev); err != nil {
				return err
			}
			if len(sub.Events()) == 0 {
				if err := f.Sync(); err != nil {
					return err
				}
				caughtUp()
			}
		}
	}
}
