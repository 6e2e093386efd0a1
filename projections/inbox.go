package projections

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// ReferralSummary is a referral as the lists show it: ids, status and
// timescales, never client data or free text (R-LEDGER-6). A list is a work
// queue; the referral itself carries the details, to those who may see them.
type ReferralSummary struct {
	ID                 uuid.UUID
	Reference          domain.Reference // the short human reference (R-REF-13)
	Status             domain.Status
	Urgent             bool // treated as urgent now: made urgent and not declined (R-REF-7)
	FromOrganisationID uuid.UUID
	ToOrganisationID   uuid.UUID
	ClientID           uuid.UUID
	AssignedTo         uuid.UUID // uuid.Nil when unassigned
	MadeAt             time.Time
	AcknowledgedAt     time.Time // zero until acknowledged
	ClosedAt           time.Time // zero until closed
	Outcome            string    // "" until closed
	EndedAt            time.Time // when closed, declined, forwarded or withdrawn; zero while open
	ForwardedFrom      uuid.UUID // the referral this one was forwarded from (R-REF-10), or uuid.Nil
	ForwardedTo        uuid.UUID // the referral this one was forwarded as, or uuid.Nil
	Deadlines          domain.Deadlines
	Stage              domain.Stage // the deadline worked towards; "" once closed
	NextDeadline       time.Time    // the deadline of Stage; zero once closed
	Overdue            bool         // past NextDeadline at the time the list was read
	Revision           uint64
}

// summary shows e at now. The caller holds p.mu.
func (p *Referrals) summary(e *referralEntry, now time.Time) ReferralSummary {
	r := e.r
	return ReferralSummary{ID: r.ID, Reference: domain.ReferenceOf(r.ID), Status: r.Status, Urgent: r.UrgentNow(),
		FromOrganisationID: r.FromOrganisationID, ToOrganisationID: r.ToOrganisationID, ClientID: r.ClientID,
		AssignedTo: r.AssignedTo, MadeAt: r.MadeAt, AcknowledgedAt: r.AcknowledgedAt, ClosedAt: r.ClosedAt,
		Outcome: r.Outcome, EndedAt: r.EndedAt(), ForwardedFrom: r.ForwardedFrom, ForwardedTo: r.ForwardedTo, Deadlines: e.deadlines, Stage: e.stage, NextDeadline: e.next,
		Overdue: e.deadlines.Overdue(r, now), Revision: r.Revision}
}

// InboxQuery asks for one page of an organisation's incoming referrals.
type InboxQuery struct {
	Organisation uuid.UUID     // the receiving organisation
	Assignee     uuid.UUID     // uuid.Nil: everyone's; else only those assigned to this user
	Status       domain.Status // "": open (made or acknowledged); or one status
	After        string        // the Next of the previous page; "" for the first
	Limit        int           // 1..MaxLimit; 0 for DefaultLimit
	// Visible, when set, hides the referrals of clients it refuses: the
	// caller's case-lock rule (R-LOCK-2).
	Visible func(client uuid.UUID) bool
}

// Inbox lists the referrals made to q.Organisation (R-VIEW-1). Open ones
// (made, acknowledged) come soonest next deadline first, urgent first at the
// same instant; closed ones, listed only when asked for by status, come
// latest closed first. Errors: ErrInvalidCursor, or an error for a status
// that is not a referral status.
func (p *Referrals) Inbox(q InboxQuery, now time.Time) (Page[ReferralSummary], error) {
	list := listWork
	switch q.Status {
	case "", domain.StatusMade, domain.StatusAcknowledged:
	case domain.StatusClosed, domain.StatusDeclined, domain.StatusForwarded, domain.StatusWithdrawn:
		list = listClosed
	default:
		return Page[ReferralSummary]{}, fmt.Errorf("projections: no referral status %q", q.Status)
	}
	after, err := decodeCursor(list, q.After)
	if err != nil {
		return Page[ReferralSummary]{}, err
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	index, owner := p.inbox, q.Organisation
	if q.Assignee != uuid.Nil {
		index, owner = p.assigned, q.Assignee
	}
	var it keyIter
	if q.Status == "" {
		it = &mergeIter{a: index[queueKey{owner, domain.StatusMade}].from(after),
			b: index[queueKey{owner, domain.StatusAcknowledged}].from(after)}
	} else {
		s := index[queueKey{owner, q.Status}].from(after)
		it = &s
	}
	// An assignee works for the receiving organisation; the check keeps
	// need to know even if an index were ever wrong.
	keep := func(k sortKey) bool {
		r := p.byID[k.id()].r
		return r.ToOrganisationID == q.Organisation && (q.Visible == nil || q.Visible(r.ClientID))
	}
	return readPage(it, list, q.Limit, keep, nil, func(k sortKey) ReferralSummary {
		return p.summary(p.byID[k.id()], now)
	}), nil
}

// keyIter walks keys in order.
type keyIter interface {
	peek() (sortKey, bool)
	next()
}

// readPage reads up to limit items from it, skipping keys keep refuses
// and ending at the first key stop accepts (either may be nil), and returns
// them with the cursor of the next page when there is more.
func readPage[T any](it keyIter, list listTag, limit int, keep, stop func(sortKey) bool, item func(sortKey) T) Page[T] {
	limit = clampLimit(limit)
	out := Page[T]{Items: make([]T, 0, min(limit, 64))}
	var last sortKey
	for k, ok := it.peek(); ok; k, ok = it.peek() {
		if stop != nil && stop(k) {
			break
		}
		if keep == nil || keep(k) {
			if len(out.Items) == limit {
				out.Next = encodeCursor(list, last)
				break
			}
			out.Items = append(out.Items, item(k))
			last = k
		}
		it.next()
	}
	return out
}
