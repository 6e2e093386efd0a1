package projections

import (
	"slices"
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
// It interprets no event itself: each referral's facts are rebuilt into a
// domain.Referral, folded by domain.EvolveReferral and taken back; each
// client's lock, likewise, through domain.EvolveClient, and what became of
// each lock request is read from how the lock the fold returns differs
// from the one before.
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
	lockOf    map[uuid.UUID]clientLock   // client → their lock as the fold leaves it; absent when none
}

// referralFacts are the non-personal facts of one referral.
type referralFacts struct {
	from, to        uuid.UUID
	status          code // in domain.Statuses()
	urgent          bool
	urgencyDeclined bool
	madeAt          time.Time
	acknowledgedAt  time.Time
	endedAt         time.Time     // closed, declined, forwarded or withdrawn; zero while open
	agreedCloseBy   calendar.Date // the latest agreed closing date; zero for none
	outcome         outcome
	declineReason   code // in domain.DeclineReasonCodes(), when declined
	forwardedTo     uuid.UUID
	reopenedAt      time.Time // the latest reopening
	reopens         int
}

// code is a string of one of the domain's lists as a number: its place
// in the list, from 1; 0 for none (or one the list lacks). This read
// model holds no strings.
type code uint8

func codeOf(list []string, s string) code { return code(slices.Index(list, s) + 1) }

func (c code) in(list []string) string {
	if c == 0 || int(c) > len(list) {
		return ""
	}
	return list[c-1]
}

// statusNames are the referral statuses, as strings, for code.
var statusNames = func() []string {
	var out []string
	for _, s := range domain.Statuses() {
		out = append(out, string(s))
	}
	return out
}()

// declinedMeasure counts each reason code of a declined referral (R-REF-9).
var declinedMeasure = map[string]statistics.Measure{
	domain.DeclineNotEligible:   statistics.DeclinedNotEligible,
	domain.DeclineNoCapacity:    statistics.DeclinedNoCapacity,
	domain.DeclineCannotContact: statistics.DeclinedCannotContact,
	domain.DeclineDuplicate:     statistics.DeclinedDuplicate,
	domain.DeclineWrongService:  statistics.DeclinedWrongService,
	domain.DeclineOther:         statistics.DeclinedOther,
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
// of it.
type lockFacts struct {
	organisation uuid.UUID
	at           time.Time
	status       lockStatus
}

// lockStatus is where a lock request stands.
type lockStatus uint8

const (
	lockPending lockStatus = iota
	lockInForce            // approved and not lifted
	lockLifted             // approved, then unlocked
	lockEnded              // refused, or replaced by a newer request, before it was in force
)

// clientLock is the part of a client's domain.Lock that decides what
// becomes of lock requests, without strings.
type clientLock struct {
	locked          bool // in force; otherwise pending
	request         uuid.UUID
	owner           uuid.UUID
	requestedAt     time.Time
	unlockRequestID uuid.UUID
}

// NewStatistics returns an empty read model judging timescales with cal
// and ts.
func NewStatistics(cal *calendar.Calendar, ts domain.Timescales) *Statistics {
	return &Statistics{cal: cal, timescales: ts, referrals: map[uuid.UUID]referralFacts{}, erasures: map[uuid.UUID]erasureFacts{},
		locks: map[uuid.UUID]lockFacts{}, lockOf: map[uuid.UUID]clientLock{}}
}

// Apply implements Projection. It reads only ids, types, times, flags,
// the agreed closing date and the outcome of events.
func (p *Statistics) Apply(stored eventstore.RecordedEvent, rec domain.Recorded) {
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
func (p *Statistics) applyClient(client uuid.UUID, rec domain.Recorded) {
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
			l.status = lockLifted
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
	}
	p.locks[is.request] = l
	p.lockOf[client] = is
}

// lock rebuilds the domain.Lock the fold needs; none when has is false.
func (l clientLock) lock(has bool) domain.Lock {
	if !has {
		return domain.Lock{}
	}
	status := domain.LockPending
	if l.locked {
		status = domain.LockLocked
	}
	return domain.Lock{Status: status, RequestID: l.request, OwningOrganisationID: l.owner, RequestedAt: l.requestedAt,
		UnlockRequestID: l.unlockRequestID}
}

// lockOf takes from a domain.Lock what clientLock keeps, and whether there
// is a lock, pending or in force, at all.
func lockOf(l domain.Lock) (clientLock, bool) {
	if l.Status != domain.LockPending && l.Status != domain.LockLocked {
		return clientLock{}, false
	}
	return clientLock{locked: l.Status == domain.LockLocked, request: l.RequestID, owner: l.OwningOrganisationID,
		requestedAt: l.RequestedAt, unlockRequestID: l.UnlockRequestID}, true
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
	return t
}

// referral rebuilds the domain.Referral the facts were taken from, as far
// as the fold, the deadlines and the counts depend on it, so the
// statistics judge timescales exactly as the referral's own view does; a
// referral that does not exist when nothing was made.
func (r referralFacts) referral() domain.Referral {
	if r.madeAt.IsZero() {
		return domain.Referral{}
	}
	out := domain.Referral{Exists: true, Status: domain.Status(r.status.in(statusNames)), FromOrganisationID: r.from, ToOrganisationID: r.to,
		Urgent: r.urgent, UrgencyDeclined: r.urgencyDeclined, MadeAt: r.madeAt, AcknowledgedAt: r.acknowledgedAt,
		DeclineReasonCode: r.declineReason.in(domain.DeclineReasonCodes()), ForwardedTo: r.forwardedTo,
		ReopenedAt: r.reopenedAt, Reopens: r.reopens}
	switch out.Status {
	case domain.StatusClosed:
		out.ClosedAt = r.endedAt
	case domain.StatusDeclined:
		out.DeclinedAt = r.endedAt
	case domain.StatusForwarded:
		out.ForwardedAt = r.endedAt
	case domain.StatusWithdrawn:
		out.WithdrawnAt = r.endedAt
	}
	switch r.outcome {
	case outcomePositive:
		out.Outcome = domain.OutcomePositive
	case outcomeNegative:
		out.Outcome = domain.OutcomeNegative
	}
	if !r.agreedCloseBy.IsZero() {
		out.AgreedCloseBy = r.agreedCloseBy.String()
	}
	return out
}

// factsOf takes the facts the statistics keep from a referral's state.
func factsOf(r domain.Referral) referralFacts {
	f := referralFacts{from: r.FromOrganisationID, to: r.ToOrganisationID, status: codeOf(statusNames, string(r.Status)),
		urgent: r.Urgent, urgencyDeclined: r.UrgencyDeclined, madeAt: r.MadeAt, acknowledgedAt: r.AcknowledgedAt,
		endedAt: r.EndedAt(), declineReason: codeOf(domain.DeclineReasonCodes(), r.DeclineReasonCode),
		forwardedTo: r.ForwardedTo, reopenedAt: r.ReopenedAt, reopens: r.Reopens}
	switch r.Outcome {
	case domain.OutcomePositive:
		f.outcome = outcomePositive
	case domain.OutcomeNegative:
		f.outcome = outcomeNegative
	}
	if d, err := calendar.ParseDate(r.AgreedCloseBy); err == nil {
		f.agreedCloseBy = d
	}
	return f
}

func monthOf(d calendar.Date) statistics.Month { return statistics.MonthOf(d.Year, d.Month) }
