package domain

import (
	"time"

	"github.com/referral-ledger/ledger/calendar"
)

// Timescales are the network's agreed response times in working days
// (R-TIME-5): configuration, with the policies' values as defaults.
type Timescales struct {
	AcknowledgeDays int // R-TIME-1, counting the day made if it is a working day
	CloseDays       int // R-TIME-2, after the day of acknowledgement
	UrgentDays      int // R-TIME-3, both stages, counting the day made
}

// DefaultTimescales are the policies' timescales: 3, 5 and 2 working days.
func DefaultTimescales() Timescales {
	return Timescales{AcknowledgeDays: 3, CloseDays: 5, UrgentDays: 2}
}

// Deadlines are the ends of the last working days by which a referral must
// be acknowledged and closed. CloseBy is zero while it cannot be known: a
// non-urgent referral not yet acknowledged, with no agreed date.
type Deadlines struct {
	AcknowledgeBy time.Time
	CloseBy       time.Time
}

// Deadlines returns r's deadlines under the calendar (R-TIME-1..4): urgent
// referrals have both within UrgentDays counting the day made; otherwise
// acknowledgement within AcknowledgeDays counting the day made, and closure
// within CloseDays after the day of acknowledgement. A declined urgency
// reverts to the normal timescales; an agreed close-by date in a note
// replaces the closing deadline. A reopened referral's closing deadline
// restarts from the day of reopening (R-REF-12).
func (t Timescales) Deadlines(r Referral, cal *calendar.Calendar) Deadlines {
	if !r.Exists {
		return Deadlines{}
	}
	made := cal.DateOf(r.MadeAt)
	var d Deadlines
	if r.UrgentNow() {
		due := cal.EndOfDay(cal.AddWorkingDays(made, t.UrgentDays, true))
		d = Deadlines{AcknowledgeBy: due, CloseBy: due}
	} else {
		d.AcknowledgeBy = cal.EndOfDay(cal.AddWorkingDays(made, t.AcknowledgeDays, true))
		if !r.AcknowledgedAt.IsZero() {
			d.CloseBy = cal.EndOfDay(cal.AddWorkingDays(cal.DateOf(r.AcknowledgedAt), t.CloseDays, false))
		}
	}
	if !r.ReopenedAt.IsZero() {
		// R-REF-12: a reopened referral's closing deadline restarts from
		// the day of reopening.
		reopened := cal.DateOf(r.ReopenedAt)
		if r.UrgentNow() {
			d.CloseBy = cal.EndOfDay(cal.AddWorkingDays(reopened, t.UrgentDays, true))
		} else {
			d.CloseBy = cal.EndOfDay(cal.AddWorkingDays(reopened, t.CloseDays, false))
		}
	}
	if r.AgreedCloseBy != "" {
		if agreed, err := calendar.ParseDate(r.AgreedCloseBy); err == nil {
			d.CloseBy = cal.EndOfDay(agreed)
		}
	}
	return d
}

// Stage is the deadline a referral is working towards.
type Stage string

// The stages (API.md overdue view).
const (
	StageAcknowledge Stage = "acknowledge"
	StageClose       Stage = "close"
)

// Next returns the stage r is at and its deadline; ok is false for a closed
// referral or one whose closing deadline is not known yet.
func (d Deadlines) Next(r Referral) (Stage, time.Time, bool) {
	switch r.Status {
	case StatusMade:
		return StageAcknowledge, d.AcknowledgeBy, true
	case StatusAcknowledged:
		return StageClose, d.CloseBy, !d.CloseBy.IsZero()
	}
	return "", time.Time{}, false
}

// Overdue reports whether r is past its current deadline at now.
func (d Deadlines) Overdue(r Referral, now time.Time) bool {
	_, due, ok := d.Next(r)
	return ok && now.After(due)
}
