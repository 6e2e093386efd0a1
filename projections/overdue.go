package projections

import (
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/calendar"
	"github.com/referral-ledger/ledger/domain"
)

// OverdueReferral is a referral past its current deadline (R-VIEW-3).
type OverdueReferral struct {
	ID                 uuid.UUID
	Status             domain.Status
	Urgent             bool
	FromOrganisationID uuid.UUID
	ToOrganisationID   uuid.UUID
	Stage              domain.Stage // the deadline missed: acknowledge or close
	Due                time.Time    // the end of the stage's last working day
	// WorkingDaysOverdue counts the working days after the due day up to
	// and including today: 1 on the first working day after the deadline,
	// and 0 on a weekend or bank holiday straight after it, when the
	// referral is already overdue but no working day has been lost yet.
	WorkingDaysOverdue int
}

// OverdueQuery asks for one page of overdue referrals.
type OverdueQuery struct {
	Organisation uuid.UUID // uuid.Nil: the whole network; else referrals to or from it
	After        string    // the Next of the previous page; "" for the first
	Limit        int       // 1..MaxLimit; 0 for DefaultLimit
	// Visible, when set, hides the referrals of clients it refuses: the
	// caller's case-lock rule (R-LOCK-2).
	Visible func(client uuid.UUID) bool
}

// Overdue lists the open referrals past their current deadline at now,
// most overdue first (earliest deadline, urgent first at the same
// instant): network-wide, or those to or from q.Organisation (R-VIEW-3).
// A referral is overdue from the instant after the end of its deadline
// day. Errors: ErrInvalidCursor.
func (p *Referrals) Overdue(q OverdueQuery, now time.Time) (Page[OverdueReferral], error) {
	list := listOverdue.list(q.Organisation[:])
	after, err := decodeCursor(list, q.After)
	if err != nil {
		return Page[OverdueReferral]{}, err
	}
	where, args := `SELECT state FROM referrals INDEXED BY referrals_due WHERE open = 1 AND work_at < ?`, []any{now.UnixNano()}
	if q.Organisation != uuid.Nil {
		where = `SELECT state FROM referrals WHERE open = 1 AND work_at < ? AND (to_org = ? OR from_org = ?)`
		args = append(args, q.Organisation[:], q.Organisation[:])
	}
	days := overdueDays{cal: p.cal, today: p.cal.DateOf(now)}
	return rowsPage(p, list, q.Limit, workOrder(where, args, after), visible(q.Visible), nil, workKey,
		func(e *referralEntry) OverdueReferral {
			return OverdueReferral{ID: e.R.ID, Status: e.R.Status, Urgent: e.R.UrgentNow(),
				FromOrganisationID: e.R.FromOrganisationID, ToOrganisationID: e.R.ToOrganisationID,
				Stage: e.Stage, Due: e.Next, WorkingDaysOverdue: days.since(p.cal.DateOf(e.Next))}
		})
}

// overdueDays counts working days from due dates to today for a page
// listed in due order: counting each from scratch walks every day since
// it was due, so each count is derived from the one before, walking only
// the days between them.
type overdueDays struct {
	cal   *calendar.Calendar
	today calendar.Date
	prev  calendar.Date // the due date counted last; zero before the first
	count int           // working days after prev up to and including today
}

// since returns cal.WorkingDaysBetween(due, today), for dues not before
// the one asked about last.
func (o *overdueDays) since(due calendar.Date) int {
	if o.prev.IsZero() || due.Before(o.prev) {
		o.prev, o.count = due, o.cal.WorkingDaysBetween(due, o.today)
		return o.count
	}
	o.count -= o.cal.WorkingDaysBetween(o.prev, due)
	o.prev = due
	return o.count
}
