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

// summary shows e at now.
func (p *Referrals) summary(e *referralEntry, now time.Time) ReferralSummary {
	r := e.R
	return ReferralSummary{ID: r.ID, Reference: domain.ReferenceOf(r.ID), Status: r.Status, Urgent: r.UrgentNow(),
		FromOrganisationID: r.FromOrganisationID, ToOrganisationID: r.ToOrganisationID, ClientID: r.ClientID,
		AssignedTo: r.AssignedTo, MadeAt: r.MadeAt, AcknowledgedAt: r.AcknowledgedAt, ClosedAt: r.ClosedAt,
		Outcome: r.Outcome, EndedAt: r.EndedAt(), ForwardedFrom: r.ForwardedFrom, ForwardedTo: r.ForwardedTo, Deadlines: e.Deadlines, Stage: e.Stage, NextDeadline: e.Next,
		Overdue: e.Deadlines.Overdue(r, now), Revision: r.Revision}
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
	tag := listWork
	switch q.Status {
	case "", domain.StatusMade, domain.StatusAcknowledged:
	case domain.StatusClosed, domain.StatusDeclined, domain.StatusForwarded, domain.StatusWithdrawn:
		tag = listClosed
	default:
		return Page[ReferralSummary]{}, fmt.Errorf("projections: no referral status %q", q.Status)
	}
	list := tag.list(q.Organisation[:], q.Assignee[:], []byte(q.Status))
	after, err := decodeCursor(list, q.After)
	if err != nil {
		return Page[ReferralSummary]{}, err
	}
	owner, col := q.Organisation[:], "to_org"
	if q.Assignee != uuid.Nil {
		owner, col = q.Assignee[:], "assignee"
	}
	// The index is named: the planner might otherwise walk another that
	// filters as well but needs a sort.
	index := map[string]string{"to_org": "referrals_inbox", "assignee": "referrals_assigned"}[col]
	query, args := `SELECT state FROM referrals INDEXED BY `+index+`_open WHERE `+col+` = ? AND open = 1`, []any{owner}
	if q.Status != "" {
		query, args = `SELECT state FROM referrals INDEXED BY `+index+` WHERE `+col+` = ? AND status = ?`, []any{owner, string(q.Status)}
	}
	// An assignee works for the receiving organisation; the check keeps
	// need to know even if an index were ever wrong.
	keep := func(e *referralEntry) bool {
		return e.R.ToOrganisationID == q.Organisation && (q.Visible == nil || q.Visible(e.R.ClientID))
	}
	return rowsPage(p, list, q.Limit, workOrder(query, args, after), keep, nil, workKey, p.summaryAt(now))
}

// summaryAt returns the summary of an entry at now.
func (p *Referrals) summaryAt(now time.Time) func(*referralEntry) ReferralSummary {
	return func(e *referralEntry) ReferralSummary { return p.summary(e, now) }
}
