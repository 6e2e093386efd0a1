package projections

import (
	"encoding/binary"
	"math"
	"slices"
	"time"

	"github.com/google/uuid"
)

// sortKey places a referral in one list: by at, then rank, then id, so
// that every key is unique and the order total. The id is held as two
// big-endian halves so that comparing keys is comparing integers.
type sortKey struct {
	at     int64  // Unix nanoseconds of the instant the list sorts by; negated for newest first
	hi, lo uint64 // the referral id
	rank   uint8  // at the same instant, rank 0 (urgent) comes before rank 1
}

// noDeadline sorts after every real deadline.
const noDeadline = math.MaxInt64

func keyOf(at int64, rank uint8, id uuid.UUID) sortKey {
	return sortKey{at: at, rank: rank, hi: binary.BigEndian.Uint64(id[:8]), lo: binary.BigEndian.Uint64(id[8:])}
}

// id returns the referral id of k.
func (k sortKey) id() uuid.UUID {
	var id uuid.UUID
	binary.BigEndian.PutUint64(id[:8], k.hi)
	binary.BigEndian.PutUint64(id[8:], k.lo)
	return id
}

// less reports whether a sorts before b.
func (a sortKey) less(b sortKey) bool {
	switch {
	case a.at != b.at:
		return a.at < b.at
	case a.rank != b.rank:
		return a.rank < b.rank
	case a.hi != b.hi:
		return a.hi < b.hi
	}
	return a.lo < b.lo
}

func (a sortKey) compare(b sortKey) int {
	switch {
	case a.less(b):
		return -1
	case b.less(a):
		return 1
	}
	return 0
}

// search returns the index of the first key of keys not before k, and
// whether it is k.
func search(keys []sortKey, k sortKey) (int, bool) {
	lo, hi := 0, len(keys)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if keys[m].less(k) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(keys) && keys[lo] == k
}

// soonestFirst is the key of an open referral in a work list: its next
// deadline, urgent first at the same instant.
func soonestFirst(due time.Time, urgent bool, id uuid.UUID) sortKey {
	at, rank := int64(noDeadline), uint8(1)
	if !due.IsZero() {
		at = due.UnixNano()
	}
	if urgent {
		rank = 0
	}
	return keyOf(at, rank, id)
}

// newestFirst is the key of a referral in a list of what happened most
// recently first.
func newestFirst(at time.Time, id uuid.UUID) sortKey {
	return keyOf(-at.UnixNano(), 0, id)
}

// blockMax bounds a block of an orderedSet: inserting or deleting moves at
// most this many keys (4 KiB), and a list of 100,000 is about a thousand
// blocks.
const blockMax = 128

// orderedSet is a sorted set of keys kept as a list of sorted blocks (a
// B-tree of height two), with each block's last key in one array so that
// finding a block is a binary search over contiguous memory. Insert and
// delete cost two binary searches and a copy within one block; reading a
// page from any key costs the searches and then the page. The zero value
// is an empty set.
type orderedSet struct {
	blocks [][]sortKey // each sorted and non-empty; every key of one block is before the next block's
	last   []sortKey   // last[i] is the last key of blocks[i]
	n      int
}

// Len returns the number of keys.
func (s *orderedSet) Len() int { return s.n }

// locate returns the first block whose last key is not before k, or
// len(s.blocks) when k is after every key.
func (s *orderedSet) locate(k sortKey) int {
	i, _ := search(s.last, k)
	return i
}

// insert adds k; adding a key already present does nothing.
func (s *orderedSet) insert(k sortKey) {
	if len(s.blocks) == 0 {
		s.blocks = append(s.blocks, append(make([]sortKey, 0, 8), k))
		s.last = append(s.last, k)
		s.n = 1
		return
	}
	bi := min(s.locate(k), len(s.blocks)-1)
	b := s.blocks[bi]
	i, found := search(b, k)
	if found {
		return
	}
	b = slices.Insert(b, i, k)
	s.n++
	if len(b) <= blockMax {
		s.blocks[bi], s.last[bi] = b, b[len(b)-1]
		return
	}
	half := len(b) / 2
	right := append(make([]sortKey, 0, blockMax), b[half:]...)
	s.blocks[bi], s.last[bi] = b[:half], b[half-1]
	s.blocks = slices.Insert(s.blocks, bi+1, right)
	s.last = slices.Insert(s.last, bi+1, right[len(right)-1])
}

// delete removes k and reports whether it was present.
func (s *orderedSet) delete(k sortKey) bool {
	bi := s.locate(k)
	if bi == len(s.blocks) {
		return false
	}
	b := s.blocks[bi]
	i, found := search(b, k)
	if !found {
		return false
	}
	b = slices.Delete(b, i, i+1)
	s.n--
	switch {
	case len(b) == 0:
		s.blocks = slices.Delete(s.blocks, bi, bi+1)
		s.last = slices.Delete(s.last, bi, bi+1)
	case len(b) < blockMax/4 && bi+1 < len(s.blocks) && len(b)+len(s.blocks[bi+1]) <= blockMax:
		// Merge a block that has shrunk into the next so deletes do not
		// leave a long list of tiny blocks.
		s.blocks[bi], s.last[bi] = append(b, s.blocks[bi+1]...), s.last[bi+1]
		s.blocks = slices.Delete(s.blocks, bi+1, bi+2)
		s.last = slices.Delete(s.last, bi+1, bi+2)
	default:
		s.blocks[bi], s.last[bi] = b, b[len(b)-1]
	}
	return true
}

// from returns an iterator at the first key after *after, or at the first
// key when after is nil.
func (s *orderedSet) from(after *sortKey) setIter {
	if s == nil {
		return setIter{}
	}
	it := setIter{s: s}
	if after == nil {
		return it
	}
	it.b = s.locate(*after)
	if it.b < len(s.blocks) {
		b := s.blocks[it.b]
		i, found := search(b, *after)
		if found {
			i++
		}
		it.i = i
		it.normalise()
	}
	return it
}

// setIter walks an orderedSet in order. It is invalidated by any change to
// the set.
type setIter struct {
	s    *orderedSet
	b, i int
}

func (it *setIter) normalise() {
	if it.b < len(it.s.blocks) && it.i >= len(it.s.blocks[it.b]) {
		it.b, it.i = it.b+1, 0
	}
}

// peek returns the current key, false at the end.
func (it *setIter) peek() (sortKey, bool) {
	if it.s == nil || it.b >= len(it.s.blocks) {
		return sortKey{}, false
	}
	return it.s.blocks[it.b][it.i], true
}

// next moves past the current key.
func (it *setIter) next() {
	it.i++
	it.normalise()
}

// mergeIter walks two sets' keys as one sorted sequence, a key in both
// once: the inbox's two queues never share a key, and the search's made and
// received sets of an organisation need not be disjoint.
type mergeIter struct{ a, b setIter }

// peek returns the smaller of the two current keys, and which set it is
// from, false when both are at their ends.
func (m *mergeIter) peek() (sortKey, bool) {
	ka, okA := m.a.peek()
	kb, okB := m.b.peek()
	switch {
	case okA && (!okB || ka.compare(kb) <= 0):
		return ka, true
	case okB:
		return kb, true
	}
	return sortKey{}, false
}

// next moves past the key peek returns.
func (m *mergeIter) next() {
	ka, okA := m.a.peek()
	kb, okB := m.b.peek()
	switch {
	case okA && okB && ka == kb:
		m.a.next()
		m.b.next()
	case okA && (!okB || ka.compare(kb) < 0):
		m.a.next()
	default:
		m.b.next()
	}
}
