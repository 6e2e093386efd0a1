package http

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/referral-ledger/ledger/domain"
)

// A list the read models hand over whole (the directory, the locked cases,
// the erasure and lock requests waiting, a client's access log and
// messages) is paged here, over its stable order (issue 16, point 5), with
// the same ?limit= and ?next= as the referral lists. Each item has a key
// that grows along the list's order: the sort fields and id of a list kept
// sorted, the position in a list that only grows at its end (a log). The
// cursor is the opaque form of the last key given, so a page starts right
// after that item even when items before it went away meanwhile (or, when
// it went away itself, at the first key past it).

// pageKeyTime writes a time so that keys compare as the times do.
func pageKeyTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

// pageKeyIndex is the key of the i-th entry of a log that only grows.
func pageKeyIndex(i int) string { return fmt.Sprintf("%012d", i) }

// pageOf reads ?limit= and ?next= into v (the caller answers v.err()
// first), with a mistake for any query parameter that is neither those nor
// one of filters, the others the list takes, and returns a function that
// cuts items, whose keys grow along the list, to the page asked for, with
// the cursor of the next page or nil. A next that no page of this list
// gave is malformed (400) in v, so the caller refuses it before reading
// anything: a refused list records no read of a case (R-LOCK-9).
func pageOf(c *gin.Context, v *validator, list string, filters ...string) func(n int, key func(i int) string) (from, to int, next *string, err error) {
	listParams(c, v, append(filters, "limit", "next")...)
	limit, after := pageParams(c, v)
	// A cursor names the list that gave it, and whose list it is (the
	// client of a client's messages): another's is not a cursor of this one.
	if id := c.Param("id"); id != "" {
		list += "/" + strings.ToLower(id)
	}
	k, badCursor := "", false
	if after != "" {
		raw, err := base64.RawURLEncoding.DecodeString(after)
		var ok bool
		k, ok = strings.CutPrefix(string(raw), list+":")
		if badCursor = err != nil || !ok; badCursor {
			v.refuse(notACursor())
		}
	}
	return func(n int, key func(i int) string) (int, int, *string, error) {
		start := 0
		if after != "" {
			if badCursor {
				return 0, 0, nil, notACursor()
			}
			// Right after the last item given; if it went away, at the
			// first item past its key.
			start = -1
			for i := 0; i < n && start < 0; i++ {
				if key(i) == k {
					start = i + 1
				}
			}
			for i := 0; i < n && start < 0; i++ {
				if key(i) > k {
					start = i
				}
			}
			if start < 0 {
				start = n
			}
		}
		end := min(start+limit, n)
		if end < n && end > start {
			s := base64.RawURLEncoding.EncodeToString([]byte(list + ":" + key(end-1)))
			return start, end, &s, nil
		}
		return start, end, nil, nil
	}
}

// notACursor is the 400 of a next that no page of the list gave.
func notACursor() error {
	return malformed("next: not a cursor of this list", domain.FieldError{Field: "next",
		Message: "must be the next value of a page of this list, unchanged"})
}
