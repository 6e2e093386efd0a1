package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/referral-ledger/ledger/eventstore"
)

// Report summarises a Verify pass over a ledger file.
type Report struct {
	Events  int                 // events checked, up to the first broken one
	Streams int                 // distinct streams seen
	Last    eventstore.Position // position of the last event checked
	Written eventstore.Position // how many positions SQLite has handed out
}

// TruncatedError reports that events were cut from the end of the log:
// SQLite's AUTOINCREMENT counter shows positions up to Written were handed
// out, but the last stored event is at Last.
type TruncatedError struct {
	Last, Written eventstore.Position
}

// Error names the missing range of positions.
func (e *TruncatedError) Error() string {
	return fmt.Sprintf("ledger truncated: the last event is at position %d but positions up to %d were written; "+
		"events %d..%d are missing", e.Last, e.Written, e.Last+1, e.Written)
}

// Verify opens the ledger file at path read-only and proves it untampered
// (R-LEDGER-4): every stream's hash chain recomputes, positions run 1..N
// without a gap, and N matches the count of positions SQLite ever handed
// out, so deleting the last event is caught too. It reads one consistent
// snapshot, so it may run beside a live Store.
//
// It returns a *eventstore.BrokenLinkError naming the first broken event in
// position order (a changed event, one out of order, or the event after a
// deleted one), a *TruncatedError when only the end is missing, a
// *DamagedError when SQLite cannot read the file past some position (a
// truncated or garbled file), or an error wrapping eventstore.ErrUnavailable
// if the file cannot be opened or reached.
// The report counts the events checked before the error.
//
// WithImmutable, when nothing can write the file meanwhile, keeps SQLite
// from creating -wal and -shm files beside it (R-OPS-2).
func Verify(ctx context.Context, path string, opts ...Option) (Report, error) {
	var rep Report
	o := options{busyTimeout: 5 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	// mode=ro: a verifier must not be able to change what it verifies.
	db, err := sql.Open("sqlite", readOnlyDSN(path, o))
	if err != nil {
		return rep, unavailable("verify "+path, err)
	}
	defer db.Close()
	// One transaction is one WAL snapshot: the counter and the rows agree.
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return rep, unavailable("verify "+path, err)
	}
	defer func() { _ = tx.Rollback() }()

	var version int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return rep, damagedOr("verify "+path, 0, err)
	}
	if version < 1 || version > schemaVersion {
		return rep, unavailable("verify "+path, fmt.Errorf("not a ledger of a known schema (user_version %d)", version))
	}
	// The events first: in a damaged file, how far they read intact is
	// what the operator needs to know.
	if err := verifyRows(ctx, tx, &rep); err != nil {
		return rep, err
	}
	err = tx.QueryRowContext(ctx, `SELECT seq FROM sqlite_sequence WHERE name = 'events'`).Scan(&rep.Written)
	if err != nil && !errors.Is(err, sql.ErrNoRows) { // no row: nothing was ever written
		return rep, damagedOr("verify "+path, rep.Last, err)
	}
	if rep.Last != rep.Written {
		return rep, &TruncatedError{Last: rep.Last, Written: rep.Written}
	}
	return rep, nil
}

// verifyRows streams every event in position order through a ChainVerifier,
// holding only one head per stream in memory.
func verifyRows(ctx context.Context, tx *sql.Tx, rep *Report) error {
	rows, err := tx.QueryContext(ctx, `SELECT `+eventColumns+` FROM events ORDER BY position`)
	if err != nil {
		return damagedOr("verify: read events", rep.Last, err)
	}
	defer rows.Close()
	v := eventstore.NewChainVerifier()
	for rows.Next() {
		raw, err := scanRaw(rows)
		if err != nil {
			return damagedOr("verify: read events", rep.Last, err)
		}
		ev, err := raw.decode()
		broken := func(reason string) error {
			return &eventstore.BrokenLinkError{Stream: ev.Stream, Revision: ev.Revision, Position: ev.Position,
				EventID: ev.ID, Reason: reason}
		}
		if err != nil {
			return broken("stored row cannot be decoded: " + err.Error())
		}
		if want := rep.Last + 1; ev.Position != want {
			return broken(fmt.Sprintf("position %d follows position %d: events %d..%d are missing",
				ev.Position, rep.Last, want, ev.Position-1))
		}
		if err := v.Check(ev); err != nil {
			return err
		}
		rep.Events++
		rep.Streams = v.Streams()
		rep.Last = ev.Position
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err := rows.Err(); err != nil {
		return damagedOr("verify: read events", rep.Last, err)
	}
	return nil
}
