package projections

import (
	"encoding/binary"
	"math"
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

// The instants Unix nanoseconds hold, September 1677 to April 2262: the
// UnixNano of one outside is undefined, in practice a wrapped number of the
// other sign. The first is one nanosecond in, so that its negation holds
// too (newest first).
var (
	firstNano = time.Unix(0, math.MinInt64+1)
	lastNano  = time.Unix(0, math.MaxInt64)
)

// unixNanos is t.UnixNano(), saturated for an instant outside the range
// it holds: an agreed close-by date years ahead (R-TIME-4) or a search
// bound long past or far ahead sorts beyond every instant in the range,
// rather than wrapping to the other end.
func unixNanos(t time.Time) int64 {
	switch {
	case t.Before(firstNano):
		return math.MinInt64 + 1
	case t.After(lastNano):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// soonestFirst is the key of an open referral in a work list: its next
// deadline, urgent first at the same instant. A deadline after April 2262
// sorts with those not known yet, after every nearer one, and is never
// before now.
func soonestFirst(due time.Time, urgent bool, id uuid.UUID) sortKey {
	at, rank := int64(noDeadline), uint8(1)
	if !due.IsZero() {
		at = unixNanos(due)
	}
	if urgent {
		rank = 0
	}
	return keyOf(at, rank, id)
}

// newestFirst is the key of a referral in a list of what happened most
// recently first.
func newestFirst(at time.Time, id uuid.UUID) sortKey {
	return keyOf(-unixNanos(at), 0, id)
}
