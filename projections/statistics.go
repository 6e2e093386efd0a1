package projections

import (
	"context"
	"fmt"
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
// time and (locks) the status and the times the lock was approved and
// lifted: no field of it can hold a string, so no client data or free
// text can enter it even from a decoder that supplied them (R-STAT-2). Erasure changes nothing here: it reads no personal
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
// the lock's status as the events leave it. The cases locked at a month's
// end (R-LOCK-7) are the locks approved before the next month began and
// not lifted by then, for the organisation that owns them (R-LOCK-10).
// Timescales are judged from each referral's deadlines
// (domain.Timescales.Deadlines) as its events leave them.
//
// The facts live in the views database (tables stat_*), as numbers and ids
// only, with the view's checkpoint, so a restart resumes from it; a query
// reads the rows of the period asked for, by the instant each was made.
// Memory holds the facts of the batch being applied and a bounded cache of
// committed referrals' facts. Apply, ApplyIn and Table are safe for
// concurrent use.
type Statistics struct {
	cal        *calendar.Calendar
	timescales domain.Timescales
	// views is the database the facts are kept in. It is reached through
	// a function so that the read model's own fields are numbers, ids,
	// times and the calendar only (the views handle holds a path and a
	// driver, never anything of an event).
	views func() *Views

	mu         sync.RWMutex
	checkpoint eventstore.Position // committed
	batch      uint64              // the serial of the batch the changes below belong to; 0 for none
	batchPos   eventstore.Position // the last event applied in batch
	changed    statsChanges        // the facts changed in batch, not yet written
	// referrals caches committed facts, bounded by cacheMax; a query
	// counts these in preference to the rows.
	referrals map[uuid.UUID]referralFacts
}

// statisticsView names the statistics' checkpoint.
const statisticsView = "statistics"

// statsChanges are the facts a batch changed, written when it commits.
type statsChanges struct {
	referrals map[uuid.UUID]referralFacts
	erasures  map[uuid.UUID]erasureFacts // by request id, first sighting in the batch; one on disk stays
	locks     map[uuid.UUID]lockFacts    // by lock request id
	lockOf    map[uuid.UUID]clientLockOf // by client
}

// clientLockOf is a client's lock as the fold leaves it, or none.
type clientLockOf struct {
	lock clientLock
	has  bool
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

// lockFacts are who asked for a case to be locked, when, what became of
// it, and when the lock came into force and was lifted (zero for never).
type lockFacts struct {
	organisation uuid.UUID
	at           time.Time
	status       lockStatus
	approvedAt   time.Time
	liftedAt     time.Time
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
// and ts, kept in a private in-memory database.
func NewStatistics(cal *calendar.Calendar, ts domain.Timescales) *Statistics {
	p, err := OpenStatistics(context.Background(), openMemoryViews(), cal, ts)
	if err != nil {
		panic(err)
	}
	return p
}

// OpenStatistics returns the read model kept in views, judging timescales
// with cal and ts, resuming from its checkpoint there.
func OpenStatistics(ctx context.Context, views *Views, cal *calendar.Calendar, ts domain.Timescales) (*Statistics, error) {
	cp, err := views.Checkpoint(ctx, statisticsView)
	if err != nil {
		return nil, err
	}
	return &Statistics{cal: cal, timescales: ts, views: func() *Views { return views }, checkpoint: cp,
		referrals: map[uuid.UUID]referralFacts{}}, nil
}

// ViewName implements Persistent.
func (p *Statistics) ViewName() string { return statisticsView }

// Settings implements Configured: the counts judge timescales, and count
// working days, with the timescales and the calendar.
func (p *Statistics) Settings() string { return timescalesSettings(p.timescales, p.cal) }

// DeferredIndexes implements DeferredIndexes: the indexes only the
// queries use (applying events reads rows by primary key or id).
func (p *Statistics) DeferredIndexes() []string {
	return []string{"stat_erasures_at", "stat_lock_requests_at"}
}

// ViewsDB implements Persistent.
func (p *Statistics) ViewsDB() *Views { return p.views() }

// Checkpoint returns the global position of the last event applied: the
// statistics count every event up to it.
func (p *Statistics) Checkpoint() eventstore.Position {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.checkpoint
}

func (p *Statistics) forget() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.checkpoint, p.batch, p.batchPos, p.changed = 0, 0, 0, statsChanges{}
	clear(p.referrals)
}

// Apply implements Projection, applying one event in a transaction of its
// own. It reads only ids, types, times, flags, the agreed closing date and
// the outcome of events. Events must come in global order; one at or
// before the checkpoint is ignored. It panics if the views database fails:
// the runner applies through ApplyIn, which returns the error.
func (p *Statistics) Apply(stored eventstore.RecordedEvent, rec domain.Recorded) {
	if err := applyAlone(p, stored, rec); err != nil {
		panic(err)
	}
}

// ApplyIn implements Persistent.
func (p *Statistics) ApplyIn(b *Batch, stored eventstore.RecordedEvent, rec domain.Recorded) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.batch != b.serial {
		p.join(b)
	}
	if stored.Position <= p.batchPos {
		return nil
	}
	p.batchPos = stored.Position
	if id, ok := ledger.ReferralIDFromStream(stored.Stream); ok {
		was, err := p.loadReferral(b, id, stored)
		if err != nil {
			return err
		}
		if r := domain.EvolveReferral(was.referral(), rec); r.Exists {
			// Facts the event leaves as they were need no writing.
			if f := factsOf(r); f != was {
				p.changed.referrals[id] = f
			}
		}
		return nil
	}
	if client, ok := clientOfStream(stored.Stream); ok {
		return p.applyClient(b, client, rec)
	}
	return nil
}

// join makes b the batch the read model's changes go to: they are written
// with its checkpoint before b commits, and cached once it has.
func (p *Statistics) join(b *Batch) {
	p.batch, p.batchPos = b.serial, p.checkpoint
	p.changed = statsChanges{referrals: map[uuid.UUID]referralFacts{}, erasures: map[uuid.UUID]erasureFacts{},
		locks: map[uuid.UUID]lockFacts{}, lockOf: map[uuid.UUID]clientLockOf{}}
	b.onFlush(func(b *Batch) error {
		p.mu.Lock()
		defer p.mu.Unlock()
		if err := p.changed.write(b); err != nil {
			return err
		}
		return b.SetCheckpoint(statisticsView, p.batchPos)
	})
	b.onCommit(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		for id, f := range p.changed.referrals {
			if _, ok := p.referrals[id]; !ok && len(p.referrals) >= cacheMax {
				clear(p.referrals)
			}
			p.referrals[id] = f
		}
		p.checkpoint, p.batch, p.changed = p.batchPos, 0, statsChanges{}
	})
	b.onRollback(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.batch, p.batchPos, p.changed = 0, p.checkpoint, statsChanges{}
	})
}

// applyClient folds an event of a client's stream: a new erasure request
// is one the fold records as requested; a lock request's fate is read
// from the lock before and after. The caller holds p.mu.
func (p *Statistics) applyClient(b *Batch, client uuid.UUID, rec domain.Recorded) error {
	was, err := p.loadLockOf(b, client)
	if err != nil {
		return err
	}
	c := domain.EvolveClient(domain.ClientRecord{Lock: was.lock.lock(was.has)}, rec)
	for id, req := range c.Requests {
		if req.Status != domain.ErasureRequested {
			continue
		}
		// Only a request the view has not seen: the first sighting is
		// kept (in the batch here, on disk by the write's OR IGNORE).
		if _, seen := p.changed.erasures[id]; !seen {
			p.changed.erasures[id] = erasureFacts{organisation: req.OrganisationID, at: rec.At}
		}
	}
	is, has := lockOf(c.Lock)
	if was.has && (!has || is.request != was.lock.request) {
		l, _, err := p.loadLock(b, was.lock.request)
		if err != nil {
			return err
		}
		if l.status = lockEnded; was.lock.locked {
			l.status, l.liftedAt = lockLifted, rec.At
		}
		p.changed.locks[was.lock.request] = l
	}
	if !has {
		p.changed.lockOf[client] = clientLockOf{}
		return nil
	}
	l, seen, err := p.loadLock(b, is.request)
	if err != nil {
		return err
	}
	if !seen {
		l = lockFacts{organisation: is.owner, at: is.requestedAt}
	}
	if l.status = lockPending; is.locked {
		l.status = lockInForce
		if l.approvedAt.IsZero() {
			l.approvedAt = c.Lock.LockedAt // set by the fold as the approval is applied
		}
	}
	p.changed.locks[is.request] = l
	p.changed.lockOf[client] = clientLockOf{lock: is, has: true}
	return nil
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
// (Europe/London), one cell per organisation and month, and of the cases
// locked at the end of each month (of the day to, for a period ending
// before its last month does; a month not over, or not begun, counts the
// locks in force now). Overdue counts the referrals still open and past
// their current deadline at now. Every organisation involved appears, by
// id; the caller adds names and the organisations with nothing to count.
// It panics if the views database cannot be read: servers call Query,
// which returns the error.
func (p *Statistics) Table(from, to calendar.Date, now time.Time) *statistics.Table {
	t, err := p.Query(context.Background(), from, to, now)
	if err != nil {
		panic(err)
	}
	return t
}

// Query is Table, reading the facts of the period from the views
// database: the referrals, erasure requests and lock requests made in it,
// found by the instant they were made, and the locks in force at the end
// of any of its months. Errors: the database's.
func (p *Statistics) Query(ctx context.Context, from, to calendar.Date, now time.Time) (*statistics.Table, error) {
	t := statistics.NewTable(monthOf(from), monthOf(to))
	inPeriod := func(at time.Time) (calendar.Date, bool) {
		d := p.cal.DateOf(at)
		return d, !d.Before(from) && !d.After(to)
	}
	// The rows are found by instant, from the period's first London
	// midnight to the one after it, with a margin for any clock change at
	// midnight; inPeriod decides, as it did in memory.
	const margin = 2 * time.Hour
	lo, hi := p.cal.StartOfDay(from).Add(-margin), p.cal.StartOfDay(to.AddDays(1)).Add(margin)
	// The cached facts are committed ones, as new as the rows or newer:
	// they count instead of their rows.
	p.mu.RLock()
	cached := map[uuid.UUID]referralFacts{}
	for id, r := range p.referrals {
		if !r.madeAt.Before(lo) && r.madeAt.Before(hi) {
			cached[id] = r
		}
	}
	p.mu.RUnlock()
	count := func(r referralFacts) { p.countReferral(t, r, inPeriod, now) }
	err := readReferralFacts(ctx, p.views(), lo, hi, func(id uuid.UUID, r referralFacts) {
		if _, ok := cached[id]; !ok {
			count(r)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("statistics: %w", err)
	}
	for _, r := range cached {
		count(r)
	}
	err = readErasureFacts(ctx, p.views(), lo, hi, func(e erasureFacts) {
		if d, ok := inPeriod(e.at); ok {
			t.Count(e.organisation.String(), monthOf(d), statistics.ErasureRequests, 1)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("statistics: %w", err)
	}
	err = readLockFacts(ctx, p.views(), lo, hi, func(l lockFacts) {
		d, ok := inPeriod(l.at)
		if !ok {
			return
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
	})
	if err != nil {
		return nil, fmt.Errorf("statistics: %w", err)
	}
	months := t.Months()
	ends := p.monthEnds(months, to, now) // in order
	if len(ends) == 0 {
		return t, nil
	}
	err = readLocksInForce(ctx, p.views(), ends[0], ends[len(ends)-1], func(l lockFacts) { countLockedAtMonthEnd(t, months, ends, l) })
	if err != nil {
		return nil, fmt.Errorf("statistics: %w", err)
	}
	return t, nil
}

// monthEnds returns, for each of months, the instant its end is taken
// at: the start (Europe/London) of the next month, or of the day after
// to when the period ends before the month does, or now when that is
// earlier: a month not over (or not begun) counts the locks in force now,
// as nothing after now is known. A lock is in force at a month's last
// instant when it was approved before the instant its end is taken at
// and not lifted before it.
func (p *Statistics) monthEnds(months []statistics.Month, to calendar.Date, now time.Time) []time.Time {
	out := make([]time.Time, len(months))
	stop := p.cal.StartOfDay(to.AddDays(1))
	if now.Before(stop) {
		stop = now
	}
	for i, m := range months {
		next := m.Next()
		out[i] = p.cal.StartOfDay(calendar.NewDate(next.Year, next.Month, 1))
		if stop.Before(out[i]) {
			out[i] = stop
		}
	}
	return out
}

// countLockedAtMonthEnd counts lock l in t in each month at whose end
// (ends, from monthEnds, one per month of months) it was in force
// (R-LOCK-7): approved before the end and not lifted by then, for the
// organisation that owns it. A request never approved (pending, refused,
// replaced) never counts.
func countLockedAtMonthEnd(t *statistics.Table, months []statistics.Month, ends []time.Time, l lockFacts) {
	if l.approvedAt.IsZero() {
		return
	}
	for i, end := range ends {
		if l.approvedAt.Before(end) && (l.liftedAt.IsZero() || !l.liftedAt.Before(end)) {
			t.Count(l.organisation.String(), months[i], statistics.LockedAtMonthEnd, 1)
		}
	}
}

// countReferral counts one referral's facts in t, when it was made in the
// period.
func (p *Statistics) countReferral(t *statistics.Table, r referralFacts, inPeriod func(time.Time) (calendar.Date, bool), now time.Time) {
	made, ok := inPeriod(r.madeAt)
	if r.madeAt.IsZero() || !ok {
		return
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
	// No date agreed (most referrals) is no date: ParseDate would build
	// an error to say so.
	if r.AgreedCloseBy == "" {
		return f
	}
	if d, err := calendar.ParseDate(r.AgreedCloseBy); err == nil {
		f.agreedCloseBy = d
	}
	return f
}

func monthOf(d calendar.Date) statistics.Month { return statistics.MonthOf(d.Year, d.Month) }
