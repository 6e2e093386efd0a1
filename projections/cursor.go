package projections

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
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

// cursorLen is the decoded size of a cursor: tag, at, rank, id.
const cursorLen = 1 + 8 + 1 + 16

// encodeCursor returns the opaque form of the position after k in list:
// base64url of the list tag, the sort key and the referral id.
func encodeCursor(list listTag, k sortKey) string {
	var b [cursorLen]byte
	b[0] = byte(list)
	binary.BigEndian.PutUint64(b[1:9], uint64(k.at))
	b[9] = k.rank
	binary.BigEndian.PutUint64(b[10:18], k.hi)
	binary.BigEndian.PutUint64(b[18:], k.lo)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// decodeCursor parses a cursor of list; "" is the start and gives nil.
// Errors: ErrInvalidCursor.
func decodeCursor(list listTag, s string) (*sortKey, error) {
	if s == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != cursorLen || listTag(b[0]) != list || b[9] > 1 {
		return nil, ErrInvalidCursor
	}
	k := sortKey{at: int64(binary.BigEndian.Uint64(b[1:9])), rank: b[9],
		hi: binary.BigEndian.Uint64(b[10:18]), lo: binary.BigEndian.Uint64(b[18:])}
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
