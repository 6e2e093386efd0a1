package ledger

import (
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

type takenReferences map[domain.Reference]bool

func (t takenReferences) ReferenceTaken(ref domain.Reference) bool { return t[ref] }

// TestNewReferralIDSkipsTakenReferences: a new referral's id is drawn
// again while its reference is already taken, so references stay unique
// in the network (R-REF-13).
func TestNewReferralIDSkipsTakenReferences(t *testing.T) {
	ids := []uuid.UUID{uuid.New(), uuid.New(), uuid.New()}
	next := 0
	s := &Service{newID: func() uuid.UUID { id := ids[next]; next++; return id }}
	s.SetReferences(takenReferences{domain.ReferenceOf(ids[0]): true, domain.ReferenceOf(ids[1]): true})
	if got := s.newReferralID(); got != ids[2] {
		t.Fatalf("newReferralID = %v, want the first id with a free reference, %v", got, ids[2])
	}
	next = 0
	s.SetReferences(nil) // no index: the first id drawn
	if got := s.newReferralID(); got != ids[0] {
		t.Fatalf("newReferralID without an index = %v, want %v", got, ids[0])
	}
}
