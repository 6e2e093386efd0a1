package ledger

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

type takenReferences map[domain.Reference]bool

func (t takenReferences) ReferenceTaken(ref domain.Reference, _ uuid.UUID) (bool, error) {
	return t[ref], nil
}

// drawn is newReferralID's id, failing tb on its error.
func drawn(tb testing.TB, s *Service, ctx context.Context) uuid.UUID {
	tb.Helper()
	id, err := s.newReferralID(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	return id
}

// TestNewReferralIDSkipsTakenReferences: a new referral's id is drawn
// again while its reference is already taken, so references stay unique
// in the network (R-REF-13).
func TestNewReferralIDSkipsTakenReferences(t *testing.T) {
	ids := []uuid.UUID{uuid.New(), uuid.New(), uuid.New()}
	next := 0
	s := &Service{mint: func() uuid.UUID { id := ids[next]; next++; return id }}
	s.SetReferences(takenReferences{domain.ReferenceOf(ids[0]): true, domain.ReferenceOf(ids[1]): true})
	if got := drawn(t, s, context.Background()); got != ids[2] {
		t.Fatalf("newReferralID = %v, want the first id with a free reference, %v", got, ids[2])
	}
	next = 0
	s.SetReferences(nil) // no index: the first id drawn
	if got := drawn(t, s, context.Background()); got != ids[0] {
		t.Fatalf("newReferralID without an index = %v, want %v", got, ids[0])
	}
}

// heldReferences knows which referral holds each reference.
type heldReferences map[domain.Reference]uuid.UUID

func (h heldReferences) ReferenceTaken(ref domain.Reference, id uuid.UUID) (bool, error) {
	holder, ok := h[ref]
	return ok && holder != id, nil
}

// TestRetriedReferralKeepsItsReference: a create retried under the same
// Idempotency-Key derives the same referral id (R-OPS-1), whose reference
// its first run already took; that does not count as taken, or the retry
// would make a second referral (R-REF-13).
func TestRetriedReferralKeepsItsReference(t *testing.T) {
	s := &Service{mint: uuid.New}
	seed := []byte("user\x00key\x00POST /v1/referrals\x00body")
	held := heldReferences{}
	s.SetReferences(held)
	first := drawn(t, s, WithIdempotencyKey(context.Background(), seed))
	held[domain.ReferenceOf(first)] = first
	if again := drawn(t, s, WithIdempotencyKey(context.Background(), seed)); again != first {
		t.Fatalf("the retry drew %v, want the first run's %v", again, first)
	}
	held[domain.ReferenceOf(first)] = uuid.New() // taken by another referral
	if other := drawn(t, s, WithIdempotencyKey(context.Background(), seed)); other == first {
		t.Fatalf("a reference another referral holds was drawn again")
	}
}
