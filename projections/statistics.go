package projections

import (
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/calendar"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/statistics"
)

// Statistics is the read model behind the anonymised statistics (R-STAT-1).
// It keeps, per referral, only ids, times, flags, an agreed date and the
// outcome; per erasure or lock request, the requesting organisation, the
// time and (locks) the status: no field of it can hold a string, so no
// client data or free text can enter it even from a decoder that supplied
// them (R-STAT-2). Erasure changes nothing here: it reads no personal
// field, and erasure deletes no event (R-PRIV-3).
//
// Each referral counts in the calendar month (Europe/London) it was made,
// whenever it was acknowledged or closed; an erasure or lock request counts
// in the month it was made, for the organisation whose staff made it, with
// the lock's status as the events leave it. Timescales are judged from each
// referral's deadlines (domain.Timescales.Deadlines) as its events leave
// them.
type Statistics struct {
	cal        *calendar.Calendar
	timescales domain.Timescales

	mu        sync.RWMutex
	referrals map[uuid.UUID]referralFacts
	erasures  map[uuid.UUID]erasureFacts // by request id
	locks     map[uuid.UUID]lockFacts    // by lock request id
	lockOf    map[uuid.UUID]uuid.UUID    // client → the lock request pending or in force
	unlockOf  map[uuid.UUID]uuid.UUID    // client → the pending unlock request
}

// referralFacts are the non-personal facts of one referral.
type referralFacts struct {
	from, to        uuid.UUID
	urgent          bool
	urgencyDeclined bool
	madeAt          time.Time
	acknowledgedAt  time.Time
	closedAt        time.Time
	agreedCloseBy   calendar.Date // the latest agreed closing date; zero for none
	outcome         outcome
}

// outcome is a closed referral's outcome as a number, not the event's
// string: this read model holds no strings.
type outcome uint8

const (
	outcomeNone outcome = iota
	outcomePositive
	outcomeNegative
)

// erasureFacts are who passed an erasure request on, and when.
type erasureFacts struct {
	organisation uuid.UUID
	at           time.Time
}

// lockFacts are who asked for a case to be locked, when, and what became
// of it, following domain's evolveLock.
type lockFacts struct {
	organisation uuid.UUID
	at           time.Time
	status       lockStatus
}

// lockStatus is where a lock request stands.
type lockStatus uint8

const (
	lockPending    lockStatus = iota
	lockInForce               // approved and not lifted
	lockLifted                // approved, then unlocked
	lockRefused               // refused
	lockSuperseded            // replaced by a newer request before a decision
)

// NewStatistics returns an empty read model judging timescales with cal
// and ts.
func NewStatistics(cal *calendar.Calendar, ts domain.Timescales) *Statistics {
	return &Statistics{cal: cal, timescales: ts, referrals: map[uuid.UUID]referralFacts{}, erasures: map[uuid.UUID]erasureFacts{},
		locks: map[uuid.UUID]lockFacts{}, lockOf: map[uuid.UUID]uuid.UUID{}, unlockOf: map[uuid.UUID]uuid.UUID{}}
}

// Apply implements Projection. It reads only ids, types, times, flags,
// the agreed closing date and the outcome of events.
func (p *Statistics) Apply(stored eventstore.RecordedEvent, rec domain.Recorded) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e, ok := rec.Event.(*domain.ClientErasureRequested); ok {
		p.erasures[e.RequestID] = erasureFacts{organisation: rec.ActorOrganisationID, at: rec.At}
		return
	}
	if client, ok := clientOfStream(stored.Stream); ok {
		p.applyLock(client, rec)
		return
	}
	id, ok := ledger.ReferralIDFromStream(stored.Stream)
	if !ok {
		return
	}
	r := p.referrals[id]
	switch e := rec.Event.(type) {
	case *domain.ReferralMade:
		r = referralFacts{from: e.FromOrganisationID, to: e.ToOrganisationID, urgent: e.Urgent, madeAt: rec.At}
	case *domain.ReferralAcknowledged:
		r.acknowledgedAt = rec.At
	case *domain.ReferralUrgencyDeclined:
		r.urgencyDeclined = true
	case *domain.ReferralNoteAdded:
		if d, err := calendar.ParseDate(e.AgreedCloseBy); err == nil {
			r.agreedCloseBy = d
		}
	case *domain.ReferralClosed:
		r.closedAt = rec.At
		switch e.Outcome {
		case domain.OutcomePositive:
			r.outcome = outcomePositive
		case domain.OutcomeNegative:
			r.outcome = outcomeNegative
		}
	default:
		return
	}
	p.referrals[id] = r
}

// applyLock follows a client's lock as domain's evolveLock does.
func (p *Statistics) applyLock(client uuid.UUID, rec domain.Recorded) {
	current, hasCurrent := p.lockOf[client]
	setCurrent := func(s lockStatus) {
		l := p.locks[current]
		l.status = s
		p.locks[current] = l
	}
	switch e := rec.Event.(type) {
	case *domain.LockRequested:
		if hasCurrent && p.locks[current].status == lockInForce {
			return
		}
		if hasCurrent {
			setCurrent(lockSuperseded)
		}
		p.locks[e.RequestID] = lockFacts{organisation: rec.ActorOrganisationID, at: rec.At, status: lockPending}
		p.lockOf[client] = e.RequestID
	case *domain.LockApproved:
		if hasCurrent && current == e.RequestID && p.locks[current].status == lockPending {
			setCurrent(lockInForce)
		}
	case *domain.LockRefused:
		if hasCurrent && current == e.RequestID && p.locks[current].status == lockPending {
			setCurrent(lockRefused)
			delete(p.lockOf, client)
		}
	case *domain.UnlockRequested:
		p.unlockOf[client] = e.RequestID
	case *domain.UnlockApproved:
		if p.unlockOf[client] != e.RequestID {
			return
		}
		if hasCurrent {
			if p.locks[current].status == lockInForce {
				setCurrent(lockLifted)
			} else {
				setCurrent(lockSuperseded)
			}
		}
		delete(p.lockOf, client)
		delete(p.unlockOf, client)
	case *domain.UnlockRefused:
		if p.unlockOf[client] == e.RequestID {
			delete(p.unlockOf, client)
		}
	}
}

// Table returns the exact statistics of the referrals made and the erasure
// and lock requests made from the day from to the day to, both included
// (Europe/London), one cell per organisation and month. Overdue counts the
// referrals still open and past their current deadline at now. Every
// organisation involved appears, by id; the caller adds names and the
// organisations with nothing to count.
func (p *Statistics) Table(from, to calendar.Date, now time.Time) *statistics.Table {
	t := statistics.NewTable(monthOf(from), monthOf(to))
	inPeriod := func(at time.Time) (calendar.Date, bool) {
		d := p.cal.DateOf(at)
		return d, !d.Before(from) && !d.After(to)
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	for _, r := range p.referrals {
		made, ok := inPeriod(r.madeAt)
		if r.madeAt.IsZero() || !ok {
			continue
		}
		month, referrer, receiver := monthOf(made), r.from.String(), r.to.String()
		t.Count(referrer, month, statistics.Made, 1)
		t.Count(receiver, month, statistics.Received, 1)
		count := func(m statistics.Measure) { t.Count(receiver, month, m, 1) }
		if r.urgent {
			count(statistics.Urgent)
		}
		if r.urgencyDeclined {
			count(statistics.UrgencyDeclined)
		}
		state := r.referral()
		due := p.timescales.Deadlines(state, p.cal)
		if !r.acknowledgedAt.IsZero() {
			if r.acknowledgedAt.After(due.AcknowledgeBy) {
				count(statistics.AcknowledgedLate)
			} else {
				count(statistics.AcknowledgedWithinTimescale)
			}
			t.Sample(receiver, month, statistics.DaysToAcknowledge, p.cal.WorkingDaysBetween(made, p.cal.DateOf(r.acknowledgedAt)))
		}
		if r.closedAt.IsZero() {
			if due.Overdue(state, now) {
				count(statistics.Overdue)
			}
			continue
		}
		switch r.outcome {
		case outcomePositive:
			count(statistics.OutcomePositive)
		case outcomeNegative:
			count(statistics.OutcomeNegative)
		}
		if !due.CloseBy.IsZero() && r.closedAt.After(due.CloseBy) {
			count(statistics.ClosedLate)
		} else {
			count(statistics.ClosedWithinTimescale)
		}
		t.Sample(receiver, month, statistics.DaysToClose, p.cal.WorkingDaysBetween(made, p.cal.DateOf(r.closedAt)))
	}
	for _, e := range p.erasures {
		if d, ok := inPeriod(e.at); ok {
			t.Count(e.organisation.String(), monthOf(d), statistics.ErasureRequests, 1)
		}
	}
	for _, l := range p.locks {
		d, ok := inPeriod(l.at)
		if !ok {
			continue
		}
		org, month := l.organisation.String(), monthOf(d)
		t.Count(org, month, statistics.LockRequests, 1)
		switch l.status {
		case lockPending:
			t.Count(org, month, statistics.LockRequestsPending, 1)
		case lockInForce:
			t.Count(org, month, statistics.LockedCases, 1)
			t.Count(org, month, statistics.LockedCasesInForce, 1)
		case lockLifted:
			t.Count(org, month, statistics.LockedCases, 1)
		}
	}
	return t
}

// referral rebuilds the part of a domain.Referral that deadlines depend
// on, so the statistics judge timescales exactly as the referral's own
// view does.
func (r referralFacts) referral() domain.Referral {
	out := domain.Referral{Exists: true, Status: domain.StatusMade, Urgent: r.urgent, UrgencyDeclined: r.urgencyDeclined,
		MadeAt: r.madeAt, AcknowledgedAt: r.acknowledgedAt, ClosedAt: r.closedAt}
	if !r.acknowledgedAt.IsZero() {
		out.Status = domain.StatusAcknowledged
	}
	if !r.closedAt.IsZero() {
		out.Status = domain.StatusClosed
	}
	if !r.agreedCloseBy.IsZero() {
		out.AgreedCloseBy = r.agreedCloseBy.String()
	}
	return out
}

func monthOf(d calendar.Date) statistics.Month { return statistics.MonthOf(d.Year, d.Month) }
