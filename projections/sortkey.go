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

// lastNano is the last instant Unix nanoseconds hold (April 2262):
// UnixNano of a later one is undefined, in practice a wrapped, negative
// number.
var lastNano = time.Unix(0, math.MaxInt64)

// soonestFirst is the key of an open referral in a work list: its next
// deadline, urgent first at the same instant. A deadline after lastNano (an
// agreed close-by date years ahead, R-TIME-4) sorts with those not known
// yet, after every nearer one, and is never before now.
func soonestFirst(due time.Time, urgent bool, id uuid.UUID) sortKey {
	at, rank := int64(noDeadline), uint8(1)
	if !due.IsZero() && !due.After(lastNano) {
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
