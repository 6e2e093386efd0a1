package projections

import (
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// OutboxQuery asks for one page of the referrals an organisation made.
type OutboxQuery struct {
	Organisation uuid.UUID     // the referring organisation
	Status       domain.Status // "": every status; or only this one
	After        string        // the Next of the previous page; "" for the first
	Limit        int           // 1..MaxLimit; 0 for DefaultLimit
	// Visible, when set, hides the referrals of clients it refuses: the
	// caller's case-lock rule (R-LOCK-2).
	Visible func(client uuid.UUID) bool
}

// Outbox lists the referrals q.Organisation made, of every status or of
// q.Status only, newest first, for monitoring (R-VIEW-2). Errors:
// ErrInvalidCursor, or an error for a status that is not a referral status.
func (p *Referrals) Outbox(q OutboxQuery, now time.Time) (Page[ReferralSummary], error) {
	if q.Status != "" && !slices.Contains(domain.Statuses(), q.Status) {
		return Page[ReferralSummary]{}, fmt.Errorf("projections: no referral status %q", q.Status)
	}
	list := listOutbox.list(q.Organisation[:], []byte(q.Status))
	after, err := decodeCursor(list, q.After)
	if err != nil {
		return Page[ReferralSummary]{}, err
	}
	query, args := `SELECT state FROM referrals INDEXED BY referrals_outbox WHERE from_org = ?`, []any{q.Organisation[:]}
	if q.Status != "" {
		query, args = query+` AND status = ?`, append(args, string(q.Status))
	}
	q2 := madeOrder(query, args, after)
	return rowsPage(p, list, q.Limit, q2, visible(q.Visible), nil, madeKey, p.summaryAt(now))
}

// visible turns a filter of clients into one of rows; nil stays nil.
func visible(client func(uuid.UUID) bool) func(*referralEntry) bool {
	if client == nil {
		return nil
	}
	return func(e *referralEntry) bool { return client(e.R.ClientID) }
}
