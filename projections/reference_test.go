package projections

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/ledger"
)

// TestFindByReference finds a referral by its reference for the two
// organisations involved only (R-REF-13, need to know R-AUTH-4), and marks
// the reference taken.
func TestFindByReference(t *testing.T) {
	p := NewReferrals(testCalendar(t), domain.DefaultTimescales())
	from, to, other := uuid.New(), uuid.New(), uuid.New()
	id, client := uuid.New(), uuid.New()
	at := time.Date(2026, time.December, 14, 9, 0, 0, 0, time.UTC)
	p.Apply(eventstore.RecordedEvent{Position: 1, Stream: ledger.ReferralStream(id)}, domain.Recorded{At: at, Revision: 0,
		Event: &domain.ReferralMade{ReferralID: id, FromOrganisationID: from, ToOrganisationID: to, ClientID: client}})
	ref := domain.ReferenceOf(id)
	if taken, err := p.ReferenceTaken(ref, uuid.Nil); err != nil || !taken {
		t.Fatal("the reference of a referral made is not taken")
	}
	for _, org := range []uuid.UUID{from, to} {
		got := noErr[[]ReferralSummary](t)(p.FindByReference(ReferenceQuery{Reference: ref, Organisation: org}, at))
		if len(got) != 1 || got[0].ID != id || got[0].Reference != ref {
			t.Fatalf("FindByReference for an organisation involved = %+v", got)
		}
	}
	if got := noErr[[]ReferralSummary](t)(p.FindByReference(ReferenceQuery{Reference: ref, Organisation: other}, at)); len(got) != 0 {
		t.Fatalf("another organisation finds the referral: %+v", got)
	}
	hidden := func(uuid.UUID) bool { return false }
	if got := noErr[[]ReferralSummary](t)(p.FindByReference(ReferenceQuery{Reference: ref, Organisation: to, Visible: hidden}, at)); len(got) != 0 {
		t.Fatalf("a locked case is found: %+v", got)
	}
}

// BenchmarkReferenceTaken_Issue14 is the look-up every make runs to draw
// a free reference, among a thousand referrals.
func BenchmarkReferenceTaken_Issue14(b *testing.B) {
	p := NewReferrals(testCalendar(b), domain.DefaultTimescales())
	at := time.Date(2026, time.December, 14, 9, 0, 0, 0, time.UTC)
	for i := range 1000 {
		id := uuid.New()
		p.Apply(eventstore.RecordedEvent{Position: eventstore.Position(i + 1), Stream: ledger.ReferralStream(id)}, domain.Recorded{At: at, Revision: 0,
			Event: &domain.ReferralMade{ReferralID: id, FromOrganisationID: uuid.New(), ToOrganisationID: uuid.New(), ClientID: uuid.New()}})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		id := uuid.New()
		if taken, err := p.ReferenceTaken(domain.ReferenceOf(id), id); err != nil || taken {
			b.Fatal("a fresh reference is taken")
		}
	}
}
