package projections

import (
	"time"

	"github.com/google/uuid"
)

// OutboxQuery asks for one page of the referrals an organisation made.
type OutboxQuery struct {
	Organisation uuid.UUID // the referring organisation
	After        string    // the Next of the previous page; "" for the first
	Limit        int       // 1..MaxLimit; 0 for DefaultLimit
	// Visible, when set, hides the referrals of clients it refuses: the
	// caller's case-lock rule (R-LOCK-2).
	Visible func(client uuid.UUID) bool
}

// Outbox lists the referrals q.Organisation made, of every status, newest
// first, for monitoring (R-VIEW-2). Errors: ErrInvalidCursor.
func (p *Referrals) Outbox(q OutboxQuery, now time.Time) (Page[ReferralSummary], error) {
	after, err := decodeCursor(listOutbox, q.After)
	if err != nil {
		return Page[ReferralSummary]{}, err
	}
	q2 := madeOrder(`SELECT state FROM referrals INDEXED BY referrals_outbox WHERE from_org = ?`, []any{q.Organisation[:]}, after)
	return rowsPage(p, listOutbox, q.Limit, q2, visible(q.Visible), nil, madeKey, p.summaryAt(now))
}

// visible turns a filter of clients into one of rows; nil stays nil.
func visible(client func(uuid.UUID) bool) func(*referralEntry) bool {
	if client == nil {
		return nil
	}
	return func(e *referralEntry) bool { return client(e.R.ClientID) }
}
