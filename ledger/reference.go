package ledger

import (
	"context"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
)

// ReferenceIndex answers whether a reference is already taken by a
// referral other than id (R-REF-13); an error, never "free", when the read
// models cannot be read.
type ReferenceIndex interface {
	ReferenceTaken(ref domain.Reference, id uuid.UUID) (bool, error)
}

// referenceTaken is s.refs.ReferenceTaken, false with no index. Errors:
// Unavailable.
func (s *Service) referenceTaken(id uuid.UUID) (bool, error) {
	if s.refs == nil {
		return false, nil
	}
	taken, err := s.refs.ReferenceTaken(domain.ReferenceOf(id), id)
	if err != nil {
		return false, viewsUnreadable(err)
	}
	return taken, nil
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
// count as taking its own reference. Errors: Unavailable, when whether a
// reference is taken cannot be read: no referral is made then, rather
// than one whose reference another may have.
func (s *Service) newReferralID(ctx context.Context) (uuid.UUID, error) {
	id := s.newID(ctx)
	for i := 1; i < maxReferenceDraws; i++ {
		taken, err := s.referenceTaken(id)
		if err != nil {
			return uuid.Nil, err
		}
		if !taken {
			break
		}
		id = s.newID(ctx)
	}
	return id, nil
}

// EarlierReferral finds the referral an earlier run of this request made,
// under WithIdempotencyKey: the ids a run draws derive from the request,
// so the referral its first run drew is the first draw whose stream
// exists, tried in newReferralID's order without using up any id. A web
// form sent again after a crash lost the first sending's record goes
// straight to that referral, before asking anything about the client the
// first sending made (R-OPS-1). It reports where the referral's last event
// is, for the views to catch up to, and false when no run made one (or
// ctx carries no key).
func (s *Service) EarlierReferral(ctx context.Context) (uuid.UUID, eventstore.Position, bool, error) {
	d := derivedIDsFrom(ctx)
	if d == nil {
		return uuid.Nil, eventstore.Start, false, nil
	}
	probe := &derivedIDs{seed: d.seed}
	for i := 0; i < maxReferenceDraws; i++ {
		id := probe.nextID()
		stored, err := s.readStream(ctx, ReferralStream(id))
		if err != nil {
			return uuid.Nil, eventstore.Start, false, err
		}
		if len(stored) > 0 {
			return id, stored[len(stored)-1].Position, true, nil
		}
		taken, err := s.referenceTaken(id)
		if err != nil {
			return uuid.Nil, eventstore.Start, false, err
		}
		if !taken {
			return uuid.Nil, eventstore.Start, false, nil // the draw a run would have kept
		}
	}
	return uuid.Nil, eventstore.Start, false, nil
}
