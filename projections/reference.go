package projections

import (
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// ReferenceTaken reports whether a referral other than id has this
// reference (R-REF-13): the ledger draws a new referral's id until its
// reference is free. The referral id itself does not count, so a retry
// that derives the same id (R-OPS-1) keeps it. Errors: ErrUnreadable,
// rather than "free", which would give a new referral a reference
// another has.
func (p *Referrals) ReferenceTaken(ref domain.Reference, id uuid.UUID) (bool, error) {
	found, err := p.byReference(ref)
	if err != nil {
		return false, err
	}
	for _, other := range found {
		if other.R.ID != id {
			return true, nil
		}
	}
	return false, nil
}

// ReferenceQuery asks for the referrals with one reference that an
// organisation made or received.
type ReferenceQuery struct {
	Reference    domain.Reference
	Organisation uuid.UUID // the caller's: need to know, as for the inbox and outbox (R-AUTH-4)
	// Visible, when set, hides the referrals of clients it refuses: the
	// caller's case-lock rule (R-LOCK-2).
	Visible func(client uuid.UUID) bool
}

// FindByReference lists the referrals with q.Reference that q.Organisation
// made or received: none, or one (two only if two references ever
// collided in a race), in the order they were made. Errors: ErrUnreadable.
func (p *Referrals) FindByReference(q ReferenceQuery, now time.Time) ([]ReferralSummary, error) {
	found, err := p.byReference(q.Reference)
	if err != nil {
		return nil, err
	}
	out := []ReferralSummary{}
	for _, e := range found {
		if !e.R.Involves(q.Organisation) || (q.Visible != nil && !q.Visible(e.R.ClientID)) {
			continue
		}
		out = append(out, p.summary(e, now))
	}
	return out, nil
}
