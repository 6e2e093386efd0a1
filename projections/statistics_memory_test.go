package projections

// The statistics read model as it was before it was kept in the views
// database (issue 14): everything in memory, folded the same way. The
// tests hold the persistent read model to it.

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

// memStatistics is the in-memory statistics read model of before issue 14,
// unchanged but for its name and the times each lock was approved and
// lifted, which the cases locked at each month's end count by (R-LOCK-7).
// Those it counts here by going through the months and the locks, the
// month's end being the start of the next (Europe/London), or of the
// day after the period's last, or now for a month not over (or not
// begun).
type memStatistics struct {
	cal        *calendar.Calendar
	timescales domain.Timescales

	mu        sync.RWMutex
	referrals map[uuid.UUID]referralFacts
	erasures  map[uuid.UUID]erasureFacts // by request id
	locks     map[uuid.UUID]lockFacts    // by lock request id
	lockOf    map[uuid.UUID]clientLock   // client → their lock as the fold leaves it; absent when none
}

func newMemStatistics(cal *calendar.Calendar, ts domain.Timescales) *memStatistics {
	return &memStatistics{cal: cal, timescales: ts, referrals: map[uuid.UUID]referralFacts{}, erasures: map[uuid.UUID]erasureFacts{},
		locks: map[uuid.UUID]lockFacts{}, lockOf: map[uuid.UUID]clientLock{}}
}

func (p *memStatistics) Apply(stored eventstore.RecordedEvent, rec domain.Recorded) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if id, ok := ledger.ReferralIDFromStream(stored.Stream); ok {
		if r := domain.EvolveReferral(p.referrals[id].referral(), rec); r.Exists {
			p.referrals[id] = factsOf(r)
		}
		return
	}
	if client, ok := clientOfStream(stored.Stream); ok {
		p.applyClient(client, rec)
	}
}

// applyClient folds an event of a client's stream: a new erasure request
// is one the fold records as requested; a lock request's fate is read
// from the lock before and after.
func (p *memStatistics) applyClient(client uuid.UUID, rec domain.Recorded) {
	was, had := p.lockOf[client]
	c := domain.EvolveClient(domain.ClientRecord{Lock: was.lock(had)}, rec)
	for id, req := range c.Requests {
		if _, seen := p.erasures[id]; !seen && req.Status == domain.ErasureRequested {
			p.erasures[id] = erasureFacts{organisation: req.OrganisationID, at: rec.At}
		}
	}
	is, has := lockOf(c.Lock)
	if had && (!has || is.request != was.request) {
		l := p.locks[was.request]
		if l.status = lockEnded; was.locked {
			l.status, l.liftedAt = lockLifted, rec.At
		}
		p.locks[was.request] = l
	}
	if !has {
		delete(p.lockOf, client)
		return
	}
	l, seen := p.locks[is.request]
	if !seen {
		l = lockFacts{organisation: is.owner, at: is.requestedAt}
	}
	if l.status = lockPending; is.locked {
		l.status = lockInForce
		if l.approvedAt.IsZero() {
			l.approvedAt = rec.At
		}
	}
	p.locks[is.request] = l
	p.lockOf[client] = is
}

func (p *memStatistics) Table(from, to calendar.Date, now time.Time) *statistics.Table {
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
		if r.reopens > 0 {
			count(statistics.Reopened)
		}
		switch state.Status {
		case domain.StatusMade, domain.StatusAcknowledged:
			if due.Overdue(state, now) {
				count(statistics.Overdue)
			}
		case domain.StatusClosed:
			switch r.outcome {
			case outcomePositive:
				count(statistics.OutcomePositive)
			case outcomeNegative:
				count(statistics.OutcomeNegative)
			}
			if !due.CloseBy.IsZero() && r.endedAt.After(due.CloseBy) {
				count(statistics.ClosedLate)
			} else {
				count(statistics.ClosedWithinTimescale)
			}
			t.Sample(receiver, month, statistics.DaysToClose, p.cal.WorkingDaysBetween(made, p.cal.DateOf(r.endedAt)))
		case domain.StatusDeclined:
			if m, ok := declinedMeasure[state.DeclineReasonCode]; ok {
				count(m)
			} else {
				count(statistics.DeclinedOther)
			}
		case domain.StatusForwarded:
			count(statistics.Forwarded)
		case domain.StatusWithdrawn:
			count(statistics.Withdrawn)
		}
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
	for _, month := range t.Months() {
		first := calendar.NewDate(month.Year, month.Month, 1)
		end := first.AddDays(31)
		end = calendar.NewDate(end.Year, end.Month, 1)
		if to.Before(end) {
			end = to.AddDays(1)
		}
		endAt := p.cal.StartOfDay(end)
		if now.Before(endAt) {
			endAt = now // not over, or not begun: as of now
		}
		for _, l := range p.locks {
			if l.approvedAt.IsZero() || !l.approvedAt.Before(endAt) || (!l.liftedAt.IsZero() && l.liftedAt.Before(endAt)) {
				continue
			}
			t.Count(l.organisation.String(), month, statistics.LockedAtMonthEnd, 1)
		}
	}
	return t
}
