package ledger

import (
	"context"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// ReferenceIndex answers whether a reference is already taken by a
// referral other than id (R-REF-13).
type ReferenceIndex interface {
	ReferenceTaken(ref domain.Reference, id uuid.UUID) bool
}

// SetReferences gives the service the index of the references already
// taken, so that a new referral's reference is unique in the network.
func (s *Service) SetReferences(r ReferenceIndex) { s.refs = r }

// maxReferenceDraws bounds the ids drawn for one new referral. With 2^40
// references, even a network with millions of referrals needs a second
// draw about once in a hundred thousand referrals.
const maxReferenceDraws = 16

// newReferralID draws an id for a new referral whose reference no referral
// has yet (R-REF-13). The reference is derived from the id
// (domain.ReferenceOf), so the events carry nothing new and every referral
// made before references existed has one too. Two referrals made at the
// same instant on different nodes could still draw the same reference, at
// odds of one in 2^40 per pair; the read model then lists both under it,
// and a search by it shows each to those who may see it. Under an
// Idempotency-Key the draws are derived from the request (R-OPS-1), so a
// retry draws the same ids, and the referral its first run made does not
// count as taking its own reference.
func (s *Service) newReferralID(ctx context.Context) uuid.UUID {
	id := s.newID(ctx)
	for i := 1; s.refs != nil && i < maxReferenceDraws && s.refs.ReferenceTaken(domain.ReferenceOf(id), id); i++ {
		id = s.newID(ctx)
	}
	return id
}
