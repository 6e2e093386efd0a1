package projections

import (
	"encoding/binary"

	"github.com/google/uuid"
)

// listQuery is a query of referral rows in one list's order.
type listQuery struct {
	sql  string
	args []any
}

// keyID returns the id of a key as the rows hold it.
func keyID(k sortKey) []byte {
	var id uuid.UUID
	binary.BigEndian.PutUint64(id[:8], k.hi)
	binary.BigEndian.PutUint64(id[8:], k.lo)
	return id[:]
}

// workOrder orders query (rows filtered by a WHERE clause) as a work
// list, soonest first, starting after the key after when it is set.
func workOrder(query string, args []any, after *sortKey) listQuery {
	if after != nil {
		query += ` AND (work_at, work_rank, id) > (?, ?, ?)`
		args = append(args, after.at, int(after.rank), keyID(*after))
	}
	return listQuery{sql: query + ` ORDER BY work_at, work_rank, id`, args: args}
}

// madeOrder orders query newest made first, starting after after.
func madeOrder(query string, args []any, after *sortKey) listQuery {
	switch {
	case after == nil:
	case after.rank > 0:
		// Made keys all rank 0: a bound of rank 1 or more is after every
		// key made at its instant.
		query += ` AND made_at > ?`
		args = append(args, after.at)
	default:
		query += ` AND (made_at, id) > (?, ?)`
		args = append(args, after.at, keyID(*after))
	}
	return listQuery{sql: query + ` ORDER BY made_at, id`, args: args}
}

// madeKey is where a referral sits in the lists of what was made.
func madeKey(e *referralEntry) sortKey { return newestFirst(e.R.MadeAt, e.R.ID) }

// rowsPage reads up to limit items of the rows q selects, in its order,
// skipping those keep refuses and ending at the first stop accepts
// (either may be nil), and returns them with the cursor of the next page
// when there is more. key gives each row's place in list. Errors:
// ErrUnreadable, never a short page.
func rowsPage[T any](p *Referrals, list listOf, limit int, q listQuery, keep, stop func(*referralEntry) bool,
	key func(*referralEntry) sortKey, item func(*referralEntry) T) (page Page[T], err error) {
	defer func() {
		if err != nil {
			page, err = Page[T]{}, unreadable("a list of referrals", err)
		}
	}()
	limit = clampLimit(limit)
	out := Page[T]{Items: make([]T, 0, min(limit, 64))}
	rows, err := p.views.db.Query(q.sql, q.args...)
	if err != nil {
		return Page[T]{}, err
	}
	defer rows.Close()
	var last *referralEntry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return Page[T]{}, err
		}
		if stop != nil && stop(e) {
			break
		}
		if keep != nil && !keep(e) {
			continue
		}
		if len(out.Items) == limit {
			out.Next = encodeCursor(list, key(last))
			break
		}
		out.Items = append(out.Items, item(e))
		last = e
	}
	return out, rows.Err()
}
