package projections

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash/fnv"
)

// ErrInvalidCursor is returned by the list methods for a cursor that is not
// one a page of the same list returned.
var ErrInvalidCursor = errors.New("projections: invalid cursor")

// DefaultLimit and MaxLimit bound a page of a list.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// listTag names the list a cursor belongs to, so a cursor of one list is
// refused by another whose keys mean something else.
type listTag byte

const (
	listWork    listTag = 'w' // open referrals, soonest deadline first
	listClosed  listTag = 'c' // closed referrals, latest closed first
	listOutbox  listTag = 'o' // referrals made, newest first
	listOverdue listTag = 'd' // overdue referrals, most overdue first
	listSearch  listTag = 's' // referrals found by a search, newest made first
)

// listOf is one list as a cursor names it: its order (tag) and a digest
// of the filters that select its rows. A cursor continues only the list it
// came from: sent with other filters, it would start the new list after a
// key that list never gave, silently skipping whatever comes before it.
type listOf struct {
	tag     listTag
	filters uint64
}

// list returns the list of tag selected by filters, each a filter's value
// ("" or the zero id when unset), in an order fixed by the caller.
func (tag listTag) list(filters ...[]byte) listOf {
	h := fnv.New64a()
	var n [4]byte
	for _, f := range filters {
		binary.BigEndian.PutUint32(n[:], uint32(len(f)))
		h.Write(n[:])
		h.Write(f)
	}
	return listOf{tag: tag, filters: h.Sum64()}
}

// cursorLen is the decoded size of a cursor: tag, filters, at, rank, id.
const cursorLen = 1 + 8 + 8 + 1 + 16

// encodeCursor returns the opaque form of the position after k in list:
// base64url of the list tag, its filters' digest, the sort key and the
// referral id.
func encodeCursor(list listOf, k sortKey) string {
	var b [cursorLen]byte
	b[0] = byte(list.tag)
	binary.BigEndian.PutUint64(b[1:9], list.filters)
	binary.BigEndian.PutUint64(b[9:17], uint64(k.at))
	b[17] = k.rank
	binary.BigEndian.PutUint64(b[18:26], k.hi)
	binary.BigEndian.PutUint64(b[26:], k.lo)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// decodeCursor parses a cursor of list, filters included; "" is the start
// and gives nil. Errors: ErrInvalidCursor.
func decodeCursor(list listOf, s string) (*sortKey, error) {
	if s == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != cursorLen || listTag(b[0]) != list.tag ||
		binary.BigEndian.Uint64(b[1:9]) != list.filters || b[17] > 1 {
		return nil, ErrInvalidCursor
	}
	k := sortKey{at: int64(binary.BigEndian.Uint64(b[9:17])), rank: b[17],
		hi: binary.BigEndian.Uint64(b[18:26]), lo: binary.BigEndian.Uint64(b[26:])}
	return &k, nil
}

// clampLimit returns limit within 1..MaxLimit, DefaultLimit when unset.
func clampLimit(limit int) int {
	if limit <= 0 {
		return DefaultLimit
	}
	return min(limit, MaxLimit)
}

// Page is one page of a list. Next is the cursor of the following page,
// "" when this is the last.
type Page[T any] struct {
	Items []T
	Next  string
}
