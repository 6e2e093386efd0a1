package sqlite

import (
	"errors"
	"fmt"
	"strings"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/referral-ledger/ledger/eventstore"
)

// DamagedError reports that the ledger file itself is damaged: SQLite
// cannot read it past some point (a truncated or garbled file), as opposed
// to a file that reads but whose events do not verify
// (eventstore.BrokenLinkError) or a file that cannot be reached at all
// (eventstore.ErrUnavailable).
type DamagedError struct {
	// After is the position of the last event read intact; the first bad
	// position is After+1. 0 when nothing could be read.
	After eventstore.Position
	Cause error
}

// Error names the first position that cannot be read and why.
func (e *DamagedError) Error() string {
	if e.After == 0 {
		return fmt.Sprintf("the ledger file is damaged: no event can be read (the first bad position is 1): %v", e.Cause)
	}
	return fmt.Sprintf("the ledger file is damaged: the events after position %d cannot be read (the first bad position is %d): %v",
		e.After, e.After+1, e.Cause)
}

// Unwrap returns the cause.
func (e *DamagedError) Unwrap() error { return e.Cause }

// isDamage reports whether err from SQLite says the file is damaged (corrupt,
// not a database, or cut short) rather than unreachable, or is a row that
// cannot be scanned, which a schema with NOT NULL columns never stores.
func isDamage(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
			return true
		case sqlite3.SQLITE_IOERR:
			return se.Code() == sqlite3.SQLITE_IOERR_SHORT_READ
		}
		return false
	}
	return strings.Contains(err.Error(), "sql: Scan error")
}

// IsDamaged reports whether err from SQLite, opening or reading any of the
// data directory's databases, says the file is damaged (corrupt, not a
// database, or cut short) rather than unreachable.
func IsDamaged(err error) bool { return err != nil && isDamage(err) }

// damagedOr returns a *DamagedError after pos when err is damage, else
// err marked unavailable for op.
func damagedOr(op string, pos eventstore.Position, err error) error {
	if isDamage(err) {
		return &DamagedError{After: pos, Cause: err}
	}
	return unavailable(op, err)
}
