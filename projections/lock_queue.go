package projections

import (
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
)

// PendingLocks lists the locks with a lock or unlock request awaiting a
// decision, by client id; who may decide each is the ledger's to say.
func (p *Locks) PendingLocks() []ledger.PendingLock {
	p.mu.RLock()
	defer p.mu.RUnlock()
	var out []ledger.PendingLock
	for id, l := range p.locks {
		if l.Status == domain.LockPending || (l.Status == domain.LockLocked && l.UnlockRequestID != uuid.Nil) {
			out = append(out, ledger.PendingLock{ClientID: id, Lock: l})
		}
	}
	slices.SortFunc(out, func(a, b ledger.PendingLock) int { return strings.Compare(a.ClientID.String(), b.ClientID.String()) })
	return out
}

// ClientOfReference returns the client of the referral with a reference,
// whoever made or received it: for routing a message to the case's
// responsible person (R-LOCK-8), never to show the caller. Errors:
// ErrUnreadable, rather than "no such referral".
func (p *Referrals) ClientOfReference(ref domain.Reference) (uuid.UUID, bool, error) {
	found, err := p.byReference(ref)
	if err != nil || len(found) == 0 {
		return uuid.Nil, false, err
	}
	return found[0].R.ClientID, true, nil
}

// ReferencesOf returns the references of referrals by id, for naming a
// client's case without its data; an unknown id is left out. Errors:
// ErrUnreadable, rather than a referral left out.
func (p *Referrals) ReferencesOf(ids []uuid.UUID) ([]ReferralSummary, error) {
	out := []ReferralSummary{}
	for _, id := range ids {
		e, err := p.get(id)
		if err != nil {
			return nil, err
		}
		if e != nil {
			out = append(out, ReferralSummary{ID: id, Reference: e.R.Reference(), ClientID: e.R.ClientID, MadeAt: e.R.MadeAt,
				FromOrganisationID: e.R.FromOrganisationID, ToOrganisationID: e.R.ToOrganisationID, Status: e.R.Status})
		}
	}
	return out, nil
}
