package projections

import (
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/calendar"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/ledger"
)

// Referrals is the read model behind the inbox, outbox and overdue views
// (R-VIEW-1..3) and the search of referrals: every referral's state folded from the public fields of its
// events, indexed per receiving organisation and status, per assigned
// adviser and status, per referring organisation, and by next deadline.
//
// It holds no client data (R-LEDGER-6): it is fed through the public codec,
// and whatever free text or client fields a referral state could carry are
// dropped before it is kept.
//
// Deadlines are a function of a referral's state and the calendar only, so
// they are computed when an event is applied; whether a referral is overdue,
// and by how many working days, depends on the time and is computed when a
// list is read. Apply and the list methods are safe for concurrent use.
type Referrals struct {
	cal *calendar.Calendar
	ts  domain.Timescales

	mu         sync.RWMutex
	checkpoint eventstore.Position
	byID       map[uuid.UUID]*referralEntry
	due        orderedSet                // open referrals by next deadline: the network's overdue list
	involved   map[uuid.UUID]*orderedSet // organisation → open referrals to or from it, by next deadline
	inbox      map[queueKey]*orderedSet  // (receiving organisation, status) → work order
	assigned   map[queueKey]*orderedSet  // (assignee, status) → work order
	outbox     map[uuid.UUID]*orderedSet // referring organisation → newest made first
	received   map[uuid.UUID]*orderedSet // receiving organisation → newest made first (search)
	made       orderedSet                // every referral, newest made first (search)

	// references maps a reference to the referrals it names (R-REF-13):
	// one, unless two were made with the same one in a race.
	references map[domain.Reference][]uuid.UUID
}

// queueKey names one work list: an organisation's or an adviser's
// referrals of one status.
type queueKey struct {
	owner  uuid.UUID
	status domain.Status
}

// referralEntry is one referral as the lists need it.
type referralEntry struct {
	r         domain.Referral
	deadlines domain.Deadlines
	stage     domain.Stage // "" when closed
	next      time.Time    // the deadline of stage; zero when closed or unknown
	at        placement    // where the referral is indexed
}

// placement is where a referral sits in the indexes; an event that leaves
// it unchanged (most notes) costs no index update.
type placement struct {
	status        domain.Status
	from, to      uuid.UUID
	assignee      uuid.UUID
	work, made    sortKey // work: next deadline when open, when it ended otherwise
	open, indexed bool
}

// NewReferrals returns an empty read model that computes deadlines with
// the network's timescales on cal.
func NewReferrals(cal *calendar.Calendar, ts domain.Timescales) *Referrals {
	return &Referrals{cal: cal, ts: ts, byID: map[uuid.UUID]*referralEntry{},
		involved: map[uuid.UUID]*orderedSet{}, inbox: map[queueKey]*orderedSet{},
		assigned: map[queueKey]*orderedSet{}, outbox: map[uuid.UUID]*orderedSet{}, received: map[uuid.UUID]*orderedSet{},
		references: map[domain.Reference][]uuid.UUID{}}
}

// Checkpoint returns the global position of the last event applied: the
// read model shows every event up to it.
func (p *Referrals) Checkpoint() eventstore.Position {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.checkpoint
}

// Len returns the number of referrals held, open and closed.
func (p *Referrals) Len() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return len(p.byID)
}

// Apply implements Projection. Events must come in global order; one at or
// before the checkpoint is a redelivery and is ignored, so applying the
// same events twice changes nothing.
func (p *Referrals) Apply(stored eventstore.RecordedEvent, rec domain.Recorded) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if stored.Position <= p.checkpoint {
		return
	}
	p.checkpoint = stored.Position
	id, ok := ledger.ReferralIDFromStream(stored.Stream)
	if !ok {
		return
	}
	e := p.byID[id]
	if e == nil {
		if _, made := rec.Event.(*domain.ReferralMade); !made {
			return // a stream always starts with referral.made
		}
		e = &referralEntry{}
		p.byID[id] = e
		ref := domain.ReferenceOf(id)
		p.references[ref] = append(p.references[ref], id)
	}
	e.r = withoutClientData(domain.EvolveReferral(e.r, rec))
	e.deadlines = p.ts.Deadlines(e.r, p.cal)
	var known bool
	if e.stage, e.next, known = e.deadlines.Next(e.r); !known {
		e.next = time.Time{}
	}
	if at := placementOf(e); at != e.at {
		p.reindex(e.at, at)
		e.at = at
	}
}

// withoutClientData drops what a referral state may carry beyond ids,
// statuses and times: the public codec leaves these fields zero already,
// and the read model keeps no copy even if a caller feeds it decrypted
// events.
func withoutClientData(r domain.Referral) domain.Referral {
	r.Client, r.Reason, r.Comment, r.UrgencyFeedback = domain.Client{}, "", "", ""
	r.DeclineComment, r.ForwardComment, r.ForwardedFromComment, r.WithdrawReason, r.ReopenReason = "", "", "", "", ""
	r.Consent, r.SafeguardingOverride, r.Notes = nil, nil, nil
	return r
}

func placementOf(e *referralEntry) placement {
	r := e.r
	if !r.Exists {
		return placement{}
	}
	at := placement{status: r.Status, from: r.FromOrganisationID, to: r.ToOrganisationID, assignee: r.AssignedTo,
		made: newestFirst(r.MadeAt, r.ID), indexed: true}
	if r.Open() {
		at.open = true
		at.work = soonestFirst(e.next, r.UrgentNow(), r.ID)
	} else {
		at.work = newestFirst(r.EndedAt(), r.ID)
	}
	return at
}

// reindex moves a referral from where it was to where it is now, touching
// only the lists whose membership or order it changes: an assignment moves
// it between advisers' lists only, and it stays put in its outbox.
func (p *Referrals) reindex(was, is placement) {
	if was.from != is.from || was.made != is.made {
		move(p.outbox, was.indexed, was.from, was.made, is.indexed, is.from, is.made)
	}
	if was.to != is.to || was.made != is.made {
		move(p.received, was.indexed, was.to, was.made, is.indexed, is.to, is.made)
	}
	if was.indexed != is.indexed || was.made != is.made {
		if was.indexed {
			p.made.delete(was.made)
		}
		if is.indexed {
			p.made.insert(is.made)
		}
	}
	if was.to != is.to || was.status != is.status || was.work != is.work {
		move(p.inbox, was.indexed, queueKey{was.to, was.status}, was.work, is.indexed, queueKey{is.to, is.status}, is.work)
	}
	if was.assignee != is.assignee || was.status != is.status || was.work != is.work {
		move(p.assigned, was.assignee != uuid.Nil, queueKey{was.assignee, was.status}, was.work,
			is.assignee != uuid.Nil, queueKey{is.assignee, is.status}, is.work)
	}
	if was.open != is.open || was.work != is.work || was.from != is.from || was.to != is.to {
		if was.open {
			p.due.delete(was.work)
			deleteFrom(p.involved, was.to, was.work)
			deleteFrom(p.involved, was.from, was.work)
		}
		if is.open {
			p.due.insert(is.work)
			insertInto(p.involved, is.to, is.work)
			insertInto(p.involved, is.from, is.work)
		}
	}
}

// move takes a key out of one owner's set, if it was in one, and puts it
// in another's, if it is to be in one.
func move[K comparable](m map[K]*orderedSet, wasIn bool, was K, wasKey sortKey, isIn bool, is K, isKey sortKey) {
	if wasIn {
		deleteFrom(m, was, wasKey)
	}
	if isIn {
		insertInto(m, is, isKey)
	}
}

func insertInto[K comparable](m map[K]*orderedSet, owner K, k sortKey) {
	s := m[owner]
	if s == nil {
		s = &orderedSet{}
		m[owner] = s
	}
	s.insert(k)
}

// deleteFrom removes k from owner's set, and the set once empty, so that
// owners with nothing listed cost nothing.
func deleteFrom[K comparable](m map[K]*orderedSet, owner K, k sortKey) {
	s := m[owner]
	if s == nil {
		return
	}
	s.delete(k)
	if s.Len() == 0 {
		delete(m, owner)
	}
}
