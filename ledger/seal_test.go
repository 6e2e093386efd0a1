package ledger

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
)

func madeFor(client uuid.UUID, marker string) *domain.ReferralMade {
	return &domain.ReferralMade{ReferralID: uuid.New(), FromOrganisationID: uuid.New(), ToOrganisationID: uuid.New(),
		ClientID: client, Client: domain.Client{Name: marker + "-name", DateOfBirth: "1970-01-01", Phone: "0700 " + marker,
			Email: marker + "@example.org", Address: marker + " Street"},
		Reason: marker + "-reason", SafeguardingOverride: &domain.SafeguardingOverride{Reason: marker + "-override"},
		PrivacyNoticeGiven: true}
}

func stored(t *testing.T, c *Codec, ev domain.Event) eventstore.RecordedEvent {
	t.Helper()
	d, err := c.Encode(context.Background(), uuid.New(), ev, eventstore.Metadata{RecordedAt: time.Now().UTC()})
	if err != nil {
		t.Fatal(err)
	}
	return eventstore.RecordedEvent{ID: d.ID, Type: d.Type, SchemaVersion: d.SchemaVersion, Data: d.Data, Metadata: d.Metadata}
}

// TestSensitiveFieldsAreSealed: client-identifying data and free text are
// stored only as ciphertext under the client's key (R-PRIV-1); the ids and
// flags other parts of the system need stay readable.
func TestSensitiveFieldsAreSealed(t *testing.T) {
	keys := newMemKeys()
	codec := NewCodec(keys)
	client := uuid.New()
	const marker = "ZQXMARKER"
	events := []domain.Event{
		madeFor(client, marker),
		&domain.ReferralNoteAdded{NoteID: uuid.New(), ClientID: client, Text: marker + "-note", AgreedCloseBy: "2026-12-24"},
		&domain.ReferralUrgencyDeclined{ClientID: client, Feedback: marker + "-feedback"},
		&domain.ReferralClosed{ClientID: client, Outcome: domain.OutcomeNegative, Comment: marker + "-comment"},
		&domain.ClientErasureRequested{RequestID: uuid.New(), ClientID: client, Reason: marker + "-erasure"},
	}
	for _, ev := range events {
		t.Run(ev.EventType(), func(t *testing.T) {
			rec := stored(t, codec, ev)
			if bytes.Contains(rec.Data, []byte(marker)) {
				t.Fatalf("stored bytes hold plaintext: %s", rec.Data)
			}
			if !bytes.Contains(rec.Data, []byte(`"sealed"`)) || !bytes.Contains(rec.Data, []byte(client.String())) {
				t.Fatalf("stored bytes lack the sealed box or its client id: %s", rec.Data)
			}
			got, err := codec.Decode(context.Background(), rec)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := json.Marshal(ev)
			have, _ := json.Marshal(got.Event)
			if !bytes.Equal(want, have) || got.Erased || got.Withheld {
				t.Fatalf("round trip: got %s, want %s", have, want)
			}
		})
	}
	t.Run("public fields stay readable", func(t *testing.T) {
		rec := stored(t, codec, events[1])
		got, err := NewPublicCodec().Decode(context.Background(), rec)
		if err != nil {
			t.Fatal(err)
		}
		note := got.Event.(*domain.ReferralNoteAdded)
		if !got.Withheld || note.Text != "" || note.AgreedCloseBy != "2026-12-24" || note.ClientID != client {
			t.Fatalf("public decode = %+v withheld=%v", note, got.Withheld)
		}
	})
	t.Run("a public codec cannot seal", func(t *testing.T) {
		if _, err := NewPublicCodec().Encode(context.Background(), uuid.New(), events[0], eventstore.Metadata{}); err == nil {
			t.Fatal("encoded client data without a key")
		}
	})
	t.Run("events without client data need no key", func(t *testing.T) {
		rec := stored(t, NewPublicCodec(), &domain.ReferralAcknowledged{})
		if _, err := NewPublicCodec().Decode(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
	})
}

// TestSealedBoxIsBoundToItsEvent: a ciphertext copied into another event,
// or claimed for another client, fails to open (R-PRIV-1).
func TestSealedBoxIsBoundToItsEvent(t *testing.T) {
	keys := newMemKeys()
	codec := NewCodec(keys)
	client := uuid.New()
	rec := stored(t, codec, madeFor(client, "X"))
	t.Run("moved to another event id", func(t *testing.T) {
		moved := rec
		moved.ID = uuid.New()
		if _, err := codec.Decode(context.Background(), moved); err == nil || !strings.Contains(err.Error(), "does not open") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("claimed for another client", func(t *testing.T) {
		other := uuid.New()
		if _, err := keys.KeyForWrite(context.Background(), other); err != nil {
			t.Fatal(err)
		}
		claimed := rec
		claimed.Data = bytes.ReplaceAll(rec.Data, []byte(client.String()), []byte(other.String()))
		if _, err := codec.Decode(context.Background(), claimed); err == nil {
			t.Fatal("opened under another client's key")
		}
	})
}

// TestErasedEventsReadAsErased: once the client's key is gone every read
// shows the sensitive fields as null with erased true, and nothing else
// changes (R-PRIV-3).
func TestErasedEventsReadAsErased(t *testing.T) {
	keys := newMemKeys()
	codec := NewCodec(keys)
	client := uuid.New()
	made := madeFor(client, "GONE")
	rec := stored(t, codec, made)
	keys.erase(client)
	got, err := codec.Decode(context.Background(), rec)
	if err != nil {
		t.Fatal(err)
	}
	e := got.Event.(*domain.ReferralMade)
	if !got.Erased || e.Client != (domain.Client{}) || e.Reason != "" || e.ReferralID != made.ReferralID || e.ToOrganisationID != made.ToOrganisationID {
		t.Fatalf("erased decode = %+v (erased %v)", e, got.Erased)
	}
	out, err := EventJSON(got)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	_ = json.Unmarshal(out, &fields)
	if fields["client"] != nil || fields["reason"] != nil || fields["erased"] != true || fields["referral_id"] != made.ReferralID.String() {
		t.Fatalf("EventJSON = %s", out)
	}
	if _, err := codec.Encode(context.Background(), uuid.New(), madeFor(client, "NEW"), eventstore.Metadata{}); domain.ErrorCode(err) != domain.Conflict {
		t.Fatalf("writing for an erased client: %v, want Conflict", err)
	}
}
