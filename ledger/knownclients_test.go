package ledger

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/keystore"
)

// TestBlindIndex_REF14: the mark is the same for names that normalise
// alike, and differs with the date of birth and with the network's key, so
// that without the key nothing can be matched against it.
func TestBlindIndex_REF14(t *testing.T) {
	var k1, k2 keystore.DataKey
	k1[0], k2[0] = 1, 2
	a := BlindIndex(k1, "Zoë  O'Brien", "1980-02-29")
	if b := BlindIndex(k1, " zoe o'brien", "1980-02-29"); a != b {
		t.Error("names that normalise alike give different marks")
	}
	if b := BlindIndex(k1, "Zoë O'Brien", "1980-03-01"); a == b {
		t.Error("another date of birth gives the same mark")
	}
	if b := BlindIndex(k2, "Zoë O'Brien", "1980-02-29"); a == b {
		t.Error("another key gives the same mark")
	}
	// The separator keeps name and date apart.
	if BlindIndex(k1, "a", "1b") == BlindIndex(k1, "a1", "b") {
		t.Error("name and date run together")
	}
}

// TestDecodeClientMatchesDecode_REF14_Issue14: the known clients index
// reads a referral's client with DecodeClient, opening only the sealed box;
// it gives exactly the Client that Decode gives, says when the client was
// erased, gives nothing for a referral without a box, and refuses other
// event types and a public codec.
func TestDecodeClientMatchesDecode_REF14_Issue14(t *testing.T) {
	ctx := context.Background()
	keys := newMemKeys()
	codec := NewCodec(keys)
	record := func(ev domain.Event) eventstore.RecordedEvent {
		t.Helper()
		id := uuid.New()
		data, err := codec.Encode(ctx, id, ev, eventstore.Metadata{})
		if err != nil {
			t.Fatal(err)
		}
		return eventstore.RecordedEvent{ID: id, Type: data.Type, SchemaVersion: data.SchemaVersion, Data: data.Data}
	}
	client := uuid.New()
	sealedMade := record(&domain.ReferralMade{ReferralID: uuid.New(), FromOrganisationID: uuid.New(), ToOrganisationID: uuid.New(),
		ClientID: client, Client: domain.Client{Name: "Zoë O'Brien", DateOfBirth: "1980-02-29", Phone: "+44 20 7946 0000"},
		Reason: "housing", PrivacyNoticeGiven: true})
	bare := record(&domain.ReferralMade{ReferralID: uuid.New(), FromOrganisationID: uuid.New(), ToOrganisationID: uuid.New(),
		ClientID: uuid.New(), PrivacyNoticeGiven: true})
	for name, rec := range map[string]eventstore.RecordedEvent{"sealed": sealedMade, "without a box": bare} {
		full, err := codec.Decode(ctx, rec)
		if err != nil {
			t.Fatal(err)
		}
		got, erased, err := codec.DecodeClient(ctx, rec)
		if err != nil || erased {
			t.Fatalf("%s: DecodeClient: erased %v, %v", name, erased, err)
		}
		if want := full.Event.(*domain.ReferralMade).Client; got != want {
			t.Errorf("%s: DecodeClient gives %+v, Decode %+v", name, got, want)
		}
	}
	if got, _, _ := codec.DecodeClient(ctx, sealedMade); got.Name != "Zoë O'Brien" || got.DateOfBirth != "1980-02-29" {
		t.Errorf("the sealed client reads as %+v", got)
	}
	keys.erase(client)
	if got, erased, err := codec.DecodeClient(ctx, sealedMade); err != nil || !erased || got != (domain.Client{}) {
		t.Errorf("an erased client's referral gives %+v, erased %v, %v", got, erased, err)
	}
	closed := record(&domain.ReferralClosed{ClientID: uuid.New(), Outcome: domain.OutcomePositive})
	if _, _, err := codec.DecodeClient(ctx, closed); err == nil {
		t.Error("DecodeClient of a referral.closed gives no error")
	}
	if _, _, err := NewPublicCodec().DecodeClient(ctx, bare); err != nil {
		t.Errorf("a public codec refuses a referral without a box: %v", err)
	}
	other := record(&domain.ReferralMade{ReferralID: uuid.New(), FromOrganisationID: uuid.New(), ToOrganisationID: uuid.New(),
		ClientID: uuid.New(), Client: domain.Client{Name: "A", DateOfBirth: "1990-01-01"}, PrivacyNoticeGiven: true})
	if _, _, err := NewPublicCodec().DecodeClient(ctx, other); err == nil {
		t.Error("a public codec opens a box")
	}
}
