package projections

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/calendar"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
)

// The statistics' rows hold numbers and ids only, as the read model does:
// times as nanoseconds since 1970 (NULL for none), dates as yyyymmdd,
// statuses, outcomes and reason codes as the read model's codes.

// statsReferralColumns are the columns of stat_referrals, in the order
// writeReferralFacts and scanReferralFacts use.
const statsReferralColumns = `made_at, id, from_org, to_org, status, urgent, urgency_declined, acknowledged_at, ended_at,
	agreed_close_by, outcome, decline_reason, forwarded_to, reopened_at, reopens`

// loadReferral returns the facts of referral id as the batch leaves them,
// before the event stored; zero facts when there are none. The caller
// holds p.mu.
func (p *Statistics) loadReferral(b *Batch, id uuid.UUID, stored eventstore.RecordedEvent) (referralFacts, error) {
	if f, ok := p.changed.referrals[id]; ok {
		return f, nil
	}
	if f, ok := p.referrals[id]; ok {
		return f, nil
	}
	if stored.Revision == 0 && stored.Type == domain.ReferralMadeType {
		// The first event of its stream: there is nothing before it.
		return referralFacts{}, nil
	}
	row, err := b.queryRow(`SELECT `+statsReferralColumns+` FROM stat_referrals WHERE id = ?`, id[:])
	if err != nil {
		return referralFacts{}, err
	}
	_, f, err := scanReferralFacts(row)
	if errors.Is(err, sql.ErrNoRows) {
		return referralFacts{}, nil
	}
	return f, err
}

// loadLockOf returns client's lock as the batch leaves it. The caller
// holds p.mu.
func (p *Statistics) loadLockOf(b *Batch, client uuid.UUID) (clientLockOf, error) {
	if l, ok := p.changed.lockOf[client]; ok {
		return l, nil
	}
	row, err := b.queryRow(`SELECT locked, request, owner, requested_at, unlock_request FROM stat_client_locks WHERE client = ?`, client[:])
	if err != nil {
		return clientLockOf{}, err
	}
	var (
		l                      clientLock
		request, owner, unlock []byte
		requestedAt            sql.NullInt64
	)
	switch err := row.Scan(&l.locked, &request, &owner, &requestedAt, &unlock); {
	case errors.Is(err, sql.ErrNoRows):
		return clientLockOf{}, nil
	case err != nil:
		return clientLockOf{}, err
	}
	l.request, l.owner, l.requestedAt, l.unlockRequestID = statsID(request), statsID(owner), statsTime(requestedAt), statsID(unlock)
	return clientLockOf{lock: l, has: true}, nil
}

// loadLock returns the facts of lock request id as the batch leaves them,
// and whether there are any. The caller holds p.mu.
func (p *Statistics) loadLock(b *Batch, id uuid.UUID) (lockFacts, bool, error) {
	if l, ok := p.changed.locks[id]; ok {
		return l, true, nil
	}
	row, err := b.queryRow(`SELECT `+statsLockColumns+` FROM stat_lock_requests WHERE request = ?`, id[:])
	if err != nil {
		return lockFacts{}, false, err
	}
	l, err := scanLockFacts(row)
	if errors.Is(err, sql.ErrNoRows) {
		return lockFacts{}, false, nil
	}
	return l, err == nil, err
}

// write stores the changed facts in b.
func (c statsChanges) write(b *Batch) error {
	if b.Rebuilding() {
		if err := writeReferralRows(b, c.referrals); err != nil {
			return err
		}
	} else {
		for id, f := range c.referrals {
			if err := writeReferralFacts(b, id, f); err != nil {
				return err
			}
		}
	}
	for id, e := range c.erasures {
		// The first sighting of a request stays.
		if err := b.exec(`INSERT OR IGNORE INTO stat_erasures (request, organisation, at) VALUES (?, ?, ?)`,
			id[:], e.organisation[:], statsNanos(e.at)); err != nil {
			return err
		}
	}
	for id, l := range c.locks {
		if err := b.exec(`INSERT OR REPLACE INTO stat_lock_requests (request, `+statsLockColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
			id[:], l.organisation[:], statsNanos(l.at), int(l.status), statsNanos(l.approvedAt), statsNanos(l.liftedAt)); err != nil {
			return err
		}
	}
	for client, l := range c.lockOf {
		var err error
		if !l.has {
			err = b.exec(`DELETE FROM stat_client_locks WHERE client = ?`, client[:])
		} else {
			err = b.exec(`INSERT OR REPLACE INTO stat_client_locks (client, locked, request, owner, requested_at, unlock_request)
				VALUES (?, ?, ?, ?, ?, ?)`, client[:], l.lock.locked, l.lock.request[:], l.lock.owner[:], statsNanos(l.lock.requestedAt),
				l.lock.unlockRequestID[:])
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// writeReferralFacts stores the facts of referral id. Facts with no time
// made are those of no referral (referralFacts.referral): they have no row.
func writeReferralFacts(b *Batch, id uuid.UUID, f referralFacts) error {
	if f.madeAt.IsZero() {
		return b.exec(`DELETE FROM stat_referrals WHERE id = ?`, id[:])
	}
	args := referralFactsRow(id, f)
	// A referral's row changes in place; one made at another time (a
	// stream that began again) is replaced, moving to its new place.
	s, err := b.stmt(`INSERT INTO stat_referrals (` + statsReferralColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET from_org = excluded.from_org, to_org = excluded.to_org, status = excluded.status,
			urgent = excluded.urgent, urgency_declined = excluded.urgency_declined, acknowledged_at = excluded.acknowledged_at,
			ended_at = excluded.ended_at, agreed_close_by = excluded.agreed_close_by, outcome = excluded.outcome,
			decline_reason = excluded.decline_reason, forwarded_to = excluded.forwarded_to, reopened_at = excluded.reopened_at,
			reopens = excluded.reopens
		WHERE made_at = excluded.made_at`)
	if err != nil {
		return err
	}
	res, err := s.ExecContext(b.sctx, args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return err
	}
	return b.exec(`INSERT OR REPLACE INTO stat_referrals (`+statsReferralColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
}

// referralFactsRow returns the values of referral id's row, in the order
// of statsReferralColumns.
func referralFactsRow(id uuid.UUID, f referralFacts) []any {
	var forwardedTo any
	if f.forwardedTo != uuid.Nil {
		forwardedTo = f.forwardedTo[:]
	}
	return []any{statsNanos(f.madeAt), id[:], f.from[:], f.to[:], int(f.status), f.urgent, f.urgencyDeclined, statsNanos(f.acknowledgedAt),
		statsNanos(f.endedAt), statsDateNumber(f.agreedCloseBy), int(f.outcome), int(f.declineReason), forwardedTo, statsNanos(f.reopenedAt), f.reopens}
}

// writeReferralRows stores the facts of referrals in a rebuild's batch
// (Batch.Rebuilding), where most rows are new: each row written whole,
// with INSERT OR REPLACE, which leaves the row writeReferralFacts leaves
// (an existing row of the referral, made at the same time or not, is
// replaced), in the table's key order, rowsPerInsert rows a statement.
func writeReferralRows(b *Batch, referrals map[uuid.UUID]referralFacts) error {
	type key struct {
		made int64
		id   uuid.UUID
	}
	keys := make([]key, 0, len(referrals))
	for id, f := range referrals {
		if f.madeAt.IsZero() {
			if err := writeReferralFacts(b, id, f); err != nil {
				return err
			}
			continue
		}
		keys = append(keys, key{f.madeAt.UnixNano(), id})
	}
	slices.SortFunc(keys, func(a, b key) int {
		if c := cmp.Compare(a.made, b.made); c != 0 {
			return c
		}
		return bytes.Compare(a.id[:], b.id[:])
	})
	w := b.inserter(`INSERT OR REPLACE INTO stat_referrals (`+statsReferralColumns+`) VALUES`, 15)
	for _, k := range keys {
		if err := w.add(referralFactsRow(k.id, referrals[k.id])...); err != nil {
			return err
		}
	}
	return w.flush()
}

func scanReferralFacts(row interface{ Scan(...any) error }) (uuid.UUID, referralFacts, error) {
	var (
		f                                          referralFacts
		id, from, to, forwardedTo                  []byte
		madeAt, ackAt, endedAt, reopenedAt, agreed sql.NullInt64
		status, outcomeN, reason                   int
	)
	if err := row.Scan(&madeAt, &id, &from, &to, &status, &f.urgent, &f.urgencyDeclined, &ackAt, &endedAt, &agreed, &outcomeN,
		&reason, &forwardedTo, &reopenedAt, &f.reopens); err != nil {
		return uuid.Nil, referralFacts{}, err
	}
	f.madeAt, f.acknowledgedAt, f.endedAt, f.reopenedAt = statsTime(madeAt), statsTime(ackAt), statsTime(endedAt), statsTime(reopenedAt)
	f.from, f.to, f.forwardedTo = statsID(from), statsID(to), statsID(forwardedTo)
	f.status, f.outcome, f.declineReason = code(status), outcome(outcomeN), code(reason)
	f.agreedCloseBy = statsDate(agreed)
	return statsID(id), f, nil
}

// statsLockColumns are the columns of stat_lock_requests but the
// request's id, in the order scanLockFacts reads them.
const statsLockColumns = `organisation, at, status, approved_at, lifted_at`

func scanLockFacts(row interface{ Scan(...any) error }) (lockFacts, error) {
	var (
		l                        lockFacts
		org                      []byte
		at, approvedAt, liftedAt sql.NullInt64
		status                   int
	)
	if err := row.Scan(&org, &at, &status, &approvedAt, &liftedAt); err != nil {
		return lockFacts{}, err
	}
	l.organisation, l.at, l.status = statsID(org), statsTime(at), lockStatus(status)
	l.approvedAt, l.liftedAt = statsTime(approvedAt), statsTime(liftedAt)
	return l, nil
}

// readReferralFacts calls fn with the facts of each referral made from lo
// (included) to hi (excluded).
func readReferralFacts(ctx context.Context, v *Views, lo, hi time.Time, fn func(uuid.UUID, referralFacts)) error {
	rows, err := v.db.QueryContext(ctx, `SELECT `+statsReferralColumns+` FROM stat_referrals WHERE made_at >= ? AND made_at < ?`,
		lo.UnixNano(), hi.UnixNano())
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		id, f, err := scanReferralFacts(rows)
		if err != nil {
			return err
		}
		fn(id, f)
	}
	return rows.Err()
}

// readErasureFacts calls fn with each erasure request made from lo to hi.
func readErasureFacts(ctx context.Context, v *Views, lo, hi time.Time, fn func(erasureFacts)) error {
	rows, err := v.db.QueryContext(ctx, `SELECT organisation, at FROM stat_erasures WHERE at >= ? AND at < ?`, lo.UnixNano(), hi.UnixNano())
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			org []byte
			at  sql.NullInt64
		)
		if err := rows.Scan(&org, &at); err != nil {
			return err
		}
		fn(erasureFacts{organisation: statsID(org), at: statsTime(at)})
	}
	return rows.Err()
}

// readLockFacts calls fn with each lock request made from lo to hi.
func readLockFacts(ctx context.Context, v *Views, lo, hi time.Time, fn func(lockFacts)) error {
	rows, err := v.db.QueryContext(ctx, `SELECT `+statsLockColumns+` FROM stat_lock_requests WHERE at >= ? AND at < ?`,
		lo.UnixNano(), hi.UnixNano())
	if err != nil {
		return err
	}
	return scanLocks(rows, fn)
}

// readLocksInForce calls fn with each lock in force at some instant from
// first to last: approved before last, and not lifted before first. The
// locks are few (a case is locked rarely): they are read without an index.
func readLocksInForce(ctx context.Context, v *Views, first, last time.Time, fn func(lockFacts)) error {
	rows, err := v.db.QueryContext(ctx, `SELECT `+statsLockColumns+` FROM stat_lock_requests
		WHERE approved_at IS NOT NULL AND approved_at < ? AND (lifted_at IS NULL OR lifted_at >= ?)`, last.UnixNano(), first.UnixNano())
	if err != nil {
		return err
	}
	return scanLocks(rows, fn)
}

// scanLocks calls fn with the facts of each of rows, and closes them.
func scanLocks(rows *sql.Rows, fn func(lockFacts)) error {
	defer rows.Close()
	for rows.Next() {
		l, err := scanLockFacts(rows)
		if err != nil {
			return err
		}
		fn(l)
	}
	return rows.Err()
}

// statsNanos is t as nanoseconds since 1970, nil for the zero time.
func statsNanos(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

// statsTime reads what statsNanos wrote, in UTC.
func statsTime(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}

// statsDateNumber is d as yyyymmdd, nil for the zero date.
func statsDateNumber(d calendar.Date) any {
	if d.IsZero() {
		return nil
	}
	return d.Year*10000 + int(d.Month)*100 + d.Day
}

// statsDate reads what statsDateNumber wrote.
func statsDate(n sql.NullInt64) calendar.Date {
	if !n.Valid {
		return calendar.Date{}
	}
	v := int(n.Int64)
	return calendar.Date{Year: v / 10000, Month: time.Month(v / 100 % 100), Day: v % 100}
}

// statsID reads an id column; uuid.Nil for NULL.
func statsID(b []byte) uuid.UUID {
	var id uuid.UUID
	copy(id[:], b)
	return id
}
