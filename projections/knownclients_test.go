package projections

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/keystore"
	"github.com/referral-ledger/ledger/ledger"
)

// fakeDecoder plays the keyed codec: it gives each referral's client data,
// or fails as an unreachable key store does, or reports an erased client.
type fakeDecoder struct {
	down   bool
	made   map[uuid.UUID]*domain.ReferralMade // by event id
	erased map[uuid.UUID]bool                 // clients whose key is destroyed
}

func (d *fakeDecoder) Decode(_ context.Context, rec eventstore.RecordedEvent) (domain.Recorded, error) {
	if d.down {
		return domain.Recorded{}, keystore.ErrUnavailable
	}
	m := d.made[rec.ID]
	if d.erased[m.ClientID] {
		return domain.Recorded{Event: &domain.ReferralMade{ReferralID: m.ReferralID, ClientID: m.ClientID}, Erased: true}, nil
	}
	return domain.Recorded{Event: m}, nil
}

type knownFixture struct {
	t   *testing.T
	dec *fakeDecoder
	k   *KnownClients
	pos eventstore.Position // of the last event applied
}

// next returns the position of the next event.
func (f *knownFixture) next() eventstore.Position {
	f.pos++
	return f.pos
}

func newKnownFixture(t *testing.T) *knownFixture {
	d := &fakeDecoder{made: map[uuid.UUID]*domain.ReferralMade{}, erased: map[uuid.UUID]bool{}}
	return &knownFixture{t: t, dec: d, k: NewKnownClients(d, ledger.NewIndexKey(keystore.GenerateMasterKey()))}
}

// refer applies a referral.made as the runner does: the public view,
// client data withheld, and the stored event the index decodes itself.
func (f *knownFixture) refer(from, to, client uuid.UUID, name, dob string) {
	made := &domain.ReferralMade{ReferralID: uuid.New(), FromOrganisationID: from, ToOrganisationID: to, ClientID: client,
		Client: domain.Client{Name: name, DateOfBirth: dob}}
	stored := eventstore.RecordedEvent{ID: uuid.New(), Stream: ledger.ReferralStream(made.ReferralID), Type: domain.ReferralMadeType,
		Position: f.next()}
	f.dec.made[stored.ID] = made
	public := *made
	public.Client = domain.Client{}
	f.k.Apply(stored, domain.Recorded{Event: &public, Withheld: name != "" || dob != ""})
}

func (f *knownFixture) erase(client uuid.UUID) {
	f.k.Apply(eventstore.RecordedEvent{ID: uuid.New(), Stream: ledger.ClientStream(client), Type: domain.ClientErasureStartedType,
		Position: f.next()},
		domain.Recorded{Event: &domain.ClientErasureStarted{RequestID: uuid.New()}})
}

func (f *knownFixture) find(org uuid.UUID, name, dob string) []uuid.UUID {
	f.t.Helper()
	got, err := f.k.ReferredBy(context.Background(), org, name, dob)
	if err != nil {
		f.t.Fatalf("ReferredBy: %v", err)
	}
	return got
}

// TestKnownClientsIndex_REF14: the index finds a client by normalised name
// and date of birth for the organisation that referred them only, keeps a
// client whose key store did not answer pending (searches answer
// Unavailable meanwhile, never a miss), and forgets an erased client, also
// one still pending and on a rebuild.
func TestKnownClientsIndex_REF14(t *testing.T) {
	a, b, c := uuid.New(), uuid.New(), uuid.New()
	x := uuid.New()
	f := newKnownFixture(t)
	f.refer(a, b, x, "Zoë Ångström", "1975-11-05")
	if got := f.find(a, " zoe  ANGSTROM", "1975-11-05"); len(got) != 1 || got[0] != x {
		t.Fatalf("the referrer finds %v, want [%s]", got, x)
	}
	for _, org := range []uuid.UUID{b, c} {
		if got := f.find(org, "Zoë Ångström", "1975-11-05"); len(got) != 0 {
			t.Fatalf("an organisation that did not refer the client finds %v", got)
		}
	}
	if got := f.find(a, "Zoë Ångström", "1975-11-06"); len(got) != 0 {
		t.Fatalf("another date of birth finds %v", got)
	}
	// B refers the same client on, naming them by id only: B now referred
	// them, and finds them by the name A gave.
	f.refer(b, c, x, "", "")
	if got := f.find(b, "zoe angstrom", "1975-11-05"); len(got) != 1 {
		t.Fatalf("B, having referred the client on, finds %v", got)
	}

	t.Run("pending while the key store is down", func(t *testing.T) {
		y := uuid.New()
		f.dec.down = true
		f.refer(a, b, y, "Jo Bloggs", "1990-01-01")
		if _, err := f.k.ReferredBy(context.Background(), a, "Jo Bloggs", "1990-01-01"); domain.ErrorCode(err) != domain.Unavailable {
			t.Fatalf("a search with a referral pending: %v, want Unavailable", err)
		}
		f.dec.down = false
		if got := f.find(a, "jo bloggs", "1990-01-01"); len(got) != 1 || got[0] != y {
			t.Fatalf("once the key store answers: %v", got)
		}
	})

	t.Run("erasure", func(t *testing.T) {
		size := noErr[int](t)
		before := size(f.k.Len())
		f.erase(x)
		if got := f.find(a, "Zoë Ångström", "1975-11-05"); len(got) != 0 {
			t.Fatalf("an erased client is found: %v", got)
		}
		if got := size(f.k.Len()); got != before-1 {
			t.Fatalf("the index holds %d clients, want %d", got, before-1)
		}
		z := uuid.New()
		f.dec.down = true
		f.refer(a, b, z, "Pending Person", "1980-01-01")
		f.erase(z)
		f.dec.down = false
		if got := f.find(a, "Pending Person", "1980-01-01"); len(got) != 0 {
			t.Fatalf("an erased client still pending is found: %v", got)
		}
	})

	t.Run("a rebuild after erasure", func(t *testing.T) {
		g := newKnownFixture(t)
		g.dec.erased[x] = true // the key is destroyed
		g.refer(a, b, x, "Zoë Ångström", "1975-11-05")
		if got := g.find(a, "Zoë Ångström", "1975-11-05"); len(got) != 0 || noErr[int](t)(g.k.Len()) != 0 {
			t.Fatalf("rebuilt, the index finds an erased client: %v", got)
		}
	})
}
