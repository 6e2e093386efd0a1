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
	p.mu.RLock()
	defer p.mu.RUnlock()
	it := p.outbox[q.Organisation].from(after)
	return readPage(&it, listOutbox, q.Limit, visible(p, q.Visible), nil, func(k sortKey) ReferralSummary {
		return p.summary(p.byID[k.id()], now)
	}), nil
}

// visible turns a filter of clients into one of keys; nil stays nil. The
// caller holds p.mu.
func visible(p *Referrals, client func(uuid.UUID) bool) func(sortKey) bool {
	if client == nil {
		return nil
	}
	return func(k sortKey) bool { return client(p.byID[k.id()].r.ClientID) }
}
