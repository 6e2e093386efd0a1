package projections

import (
	"database/sql"
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"sync"

	"github.com/referral-ledger/ledger/eventstore"
)

// chainsView names the chain heads' checkpoint.
const chainsView = "chains"

// headsCacheMax bounds the chain heads held in memory.
const headsCacheMax = 8192

// chainHead is the last event checked in a stream.
type chainHead struct {
	revision uint64
	hash     string
}

// chainHeads checks each event's hash link (R-LEDGER-4) against the last
// event checked in its stream, kept in the views database with its
// checkpoint, so a restart checks the events after the checkpoint without
// replaying those before. Memory holds a bounded cache.
type chainHeads struct {
	views *Views

	mu       sync.Mutex
	batch    *Batch
	batchPos eventstore.Position
	cp       eventstore.Position
	loaded   bool
	dirty    map[string]chainHead
	cache    map[string]chainHead

	// fresh, during a rebuild that started with no chain heads, holds
	// every stream recorded since: a stream it has not seen has no head
	// to read (the first event of each stream needs no query).
	fresh *streamFilter
}

// streamFilter is a Bloom filter of stream names, of fixed size: it may
// say a stream was seen when it was not (then the head is read), never
// the reverse.
type streamFilter struct {
	seed maphash.Seed
	bits []uint64
}

// streamFilterBits is the filter's size: 4 Mbit (512 KiB), about 2% false
// positives at 500,000 streams.
const streamFilterBits = 1 << 22

func newStreamFilter() *streamFilter {
	return &streamFilter{seed: maphash.MakeSeed(), bits: make([]uint64, streamFilterBits/64)}
}

func (f *streamFilter) probes(stream string) [3]uint64 {
	h := maphash.String(f.seed, stream)
	h1, h2 := h&0xffffffff, h>>32|1
	return [3]uint64{h1 % streamFilterBits, (h1 + h2) % streamFilterBits, (h1 + 2*h2) % streamFilterBits}
}

func (f *streamFilter) add(stream string) {
	for _, i := range f.probes(stream) {
		f.bits[i/64] |= 1 << (i % 64)
	}
}

// addKey and mayHaveKey are add and mayHave for a key of bytes (an id).
func (f *streamFilter) addKey(key []byte) {
	h := maphash.Bytes(f.seed, key)
	h1, h2 := h&0xffffffff, h>>32|1
	for _, i := range [3]uint64{h1 % streamFilterBits, (h1 + h2) % streamFilterBits, (h1 + 2*h2) % streamFilterBits} {
		f.bits[i/64] |= 1 << (i % 64)
	}
}

func (f *streamFilter) mayHaveKey(key []byte) bool {
	h := maphash.Bytes(f.seed, key)
	h1, h2 := h&0xffffffff, h>>32|1
	for _, i := range [3]uint64{h1 % streamFilterBits, (h1 + h2) % streamFilterBits, (h1 + 2*h2) % streamFilterBits} {
		if f.bits[i/64]&(1<<(i%64)) == 0 {
			return false
		}
	}
	return true
}

// freshDuring returns the filter a read model keeps of the keys it wrote
// while the views are rebuilt: f when it has one, a new one when the
// rebuild starts it from nothing (checkpoint 0: none of its rows is on
// disk), nil outside a rebuild or when it did not start from nothing (it
// reads what it needs).
func freshDuring(b *Batch, f *streamFilter, checkpoint eventstore.Position) *streamFilter {
	switch {
	case !b.Rebuilding():
		return nil
	case f == nil && checkpoint == eventstore.Start:
		return newStreamFilter()
	}
	return f
}

func (f *streamFilter) mayHave(stream string) bool {
	for _, i := range f.probes(stream) {
		if f.bits[i/64]&(1<<(i%64)) == 0 {
			return false
		}
	}
	return true
}

// rebuilding tells the chain heads a rebuild starts with none (fresh) or
// has ended.
func (c *chainHeads) rebuilding(fresh bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fresh = nil
	if fresh {
		c.fresh = newStreamFilter()
	}
}

func (c *chainHeads) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.loaded, c.batch, c.dirty, c.fresh = false, nil, nil, nil
}

// check verifies ev follows the last event checked in its stream, as
// eventstore.ChainVerifier does, records it and returns true; an event at
// or before the checkpoint was checked before and is passed (false). hash
// is the hash of ev's contents (eventstore.ComputeHash).
func (c *chainHeads) check(b *Batch, ev eventstore.RecordedEvent, hash string) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.loaded {
		cp, err := c.views.Checkpoint(b.ctx, chainsView)
		if err != nil {
			return false, err
		}
		c.cp, c.batchPos, c.loaded, c.cache = cp, cp, true, map[string]chainHead{}
	}
	if c.batch != b {
		c.join(b)
	}
	if ev.Position <= c.batchPos {
		return false, nil
	}
	head, seen, err := c.head(b, ev.Stream)
	if err != nil {
		return false, err
	}
	broken := func(format string, args ...any) error {
		return &eventstore.BrokenLinkError{Stream: ev.Stream, Revision: ev.Revision, Position: ev.Position, EventID: ev.ID,
			Reason: fmt.Sprintf(format, args...)}
	}
	wantRev, wantPrev := uint64(0), eventstore.GenesisHash
	if seen {
		wantRev, wantPrev = head.revision+1, head.hash
	}
	if ev.Revision != wantRev {
		return false, broken("revision %d follows revision %d: an event is missing or out of order", ev.Revision, int64(wantRev)-1)
	}
	if ev.Metadata.PrevHash != wantPrev {
		return false, broken("prev_hash does not match the hash of the previous event")
	}
	if hash != ev.Metadata.Hash {
		return false, broken("hash does not match the event's contents")
	}
	c.dirty[ev.Stream] = chainHead{revision: ev.Revision, hash: ev.Metadata.Hash}
	if c.fresh != nil && !seen {
		c.fresh.add(ev.Stream) // kept if the batch rolls back: it may only say too much
	}
	c.batchPos = ev.Position
	return true, nil
}

// head returns the last event checked in stream. The caller holds c.mu.
func (c *chainHeads) head(b *Batch, stream string) (chainHead, bool, error) {
	if h, ok := c.dirty[stream]; ok {
		return h, true, nil
	}
	if h, ok := c.cache[stream]; ok {
		return h, true, nil
	}
	if c.fresh != nil && !c.fresh.mayHave(stream) {
		return chainHead{}, false, nil
	}
	row, err := b.queryRow(`SELECT revision, hash FROM chain_heads WHERE stream = ?`, stream)
	if err != nil {
		return chainHead{}, false, err
	}
	var h chainHead
	var rev int64
	switch err := row.Scan(&rev, &h.hash); {
	case errors.Is(err, sql.ErrNoRows):
		return chainHead{}, false, nil
	case err != nil:
		return chainHead{}, false, err
	}
	h.revision = uint64(rev)
	return h, true, nil
}

func (c *chainHeads) join(b *Batch) {
	c.batch, c.dirty = b, map[string]chainHead{}
	b.onFlush(func(b *Batch) error {
		c.mu.Lock()
		defer c.mu.Unlock()
		streams := make([]string, 0, len(c.dirty))
		for stream := range c.dirty {
			streams = append(streams, stream)
		}
		slices.Sort(streams) // the table's pages in order
		w := b.inserter(`INSERT OR REPLACE INTO chain_heads (stream, revision, hash) VALUES`, 3)
		for _, stream := range streams {
			h := c.dirty[stream]
			if err := w.add(stream, int64(h.revision), h.hash); err != nil {
				return err
			}
		}
		if err := w.flush(); err != nil {
			return err
		}
		return b.SetCheckpoint(chainsView, c.batchPos)
	})
	b.onCommit(func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		for stream, h := range c.dirty {
			if _, ok := c.cache[stream]; !ok && len(c.cache) >= headsCacheMax {
				clear(c.cache)
			}
			c.cache[stream] = h
		}
		c.cp, c.batch, c.dirty = c.batchPos, nil, nil
	})
	b.onRollback(func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.batch, c.dirty, c.batchPos = nil, nil, c.cp
	})
}
