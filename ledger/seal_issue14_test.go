package ledger

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
)

// TestIssue14SealSplitsAsTheMapsDid: seal's direct split of the payload
// stores the same bytes as the way through maps of the members: the same
// public members in the same order, and a box that opens to the same
// sensitive JSON (R-PRIV-1). Values with quotes, escapes, markup and
// non-ASCII text are included, and empty sensitive values stay out of the
// box.
func TestIssue14SealSplitsAsTheMapsDid(t *testing.T) {
	keys := newMemKeys()
	codec := NewCodec(keys)
	ctx := context.Background()
	events := sampleEvents()
	client := uuid.UUID{4, 4, 4, 4, 0, 0, 0x40, 0, 0x80, 0, 0, 0, 0, 0, 0, 4}
	events = append(events,
		&domain.ReferralMade{ReferralID: uuid.New(), ClientID: client, Client: domain.Client{
			Name: "Zoë \"Z\" O'Brien <b>&</b>", Address: "line 1\nline 2\t\\ end \u2028"}, Reason: "{\"not\":[\"json\"]}, ok"},
		&domain.ReferralMade{ReferralID: uuid.New(), ClientID: client}, // nothing sensitive to seal
	)
	sealedSome := false
	for _, ev := range events {
		names := sensitiveFields(ev)
		if len(names) == 0 {
			continue
		}
		subject := ev.(domain.Sensitive).DataSubject()
		data, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := splitMembers(data, nil); !ok {
			t.Errorf("%s: json.Marshal's payload not split directly: %s", ev.EventType(), data)
		}
		id := uuid.New()
		direct, err := codec.seal(ctx, id, subject, data, names)
		if err != nil {
			t.Fatal(err)
		}
		viaMaps, err := codec.sealMaps(ctx, id, subject, data, names)
		if err != nil {
			t.Fatal(err)
		}
		pubDirect, plainDirect := openStored(t, keys, id, subject, direct)
		pubMaps, plainMaps := openStored(t, keys, id, subject, viaMaps)
		if !bytes.Equal(pubDirect, pubMaps) {
			t.Errorf("%s: stored\n %s\nthrough maps\n %s", ev.EventType(), pubDirect, pubMaps)
		}
		if !bytes.Equal(plainDirect, plainMaps) {
			t.Errorf("%s: box holds\n %s\nthrough maps\n %s", ev.EventType(), plainDirect, plainMaps)
		}
		sealedSome = sealedSome || plainDirect != nil
	}
	if !sealedSome {
		t.Fatal("no sample sealed anything")
	}
}

// openStored returns a stored payload with its box's bytes replaced by a
// mark, and the box's plain text (nil without a box).
func openStored(t *testing.T, keys *memKeys, id, client uuid.UUID, stored []byte) ([]byte, []byte) {
	t.Helper()
	members, ok := splitMembers(stored, nil)
	if !ok {
		t.Fatalf("stored payload is not compact JSON: %s", stored)
	}
	var plain []byte
	for i, m := range members {
		if m.name != sealedField {
			continue
		}
		var s sealed
		if err := json.Unmarshal(m.raw, &s); err != nil {
			t.Fatal(err)
		}
		key, _, err := keys.KeyForRead(context.Background(), client)
		if err != nil {
			t.Fatal(err)
		}
		if plain, err = openBox(key, s.Box, associatedData(id, client)); err != nil {
			t.Fatal(err)
		}
		members[i].raw = []byte(`"box of ` + s.ClientID.String() + `"`)
	}
	return joinMembers(members, len(stored)), plain
}

// TestIssue14SplitMembersRefusesWhatItCannotSplit: what json.Marshal does
// not write (white space, escaped names, trailing data, not an object) is
// left to the general parse.
func TestIssue14SplitMembersRefusesWhatItCannotSplit(t *testing.T) {
	for _, in := range []string{``, `[]`, `{"a":1} `, `{ "a":1}`, `{"a" :1}`, `{"\u0061":1}`, `{"a":1,}`, `{"a":"x}`, `{"a":1}{}`, `{"a":{"b":[1,2]}`} {
		if _, ok := splitMembers([]byte(in), nil); ok {
			t.Errorf("%q split", in)
		}
	}
	got, ok := splitMembers([]byte(`{"a":{"b":["}",{"c":"\"]"}]},"d":"x\\","e":-1.5e3,"f":null,"g":true}`), nil)
	if !ok || len(got) != 5 || string(got[0].raw) != `{"b":["}",{"c":"\"]"}]}` || string(got[1].raw) != `"x\\"` ||
		string(got[2].raw) != `-1.5e3` || string(got[3].raw) != `null` || string(got[4].raw) != `true` {
		t.Errorf("split %+v, %v", got, ok)
	}
	if got, ok := splitMembers([]byte(`{}`), nil); !ok || len(got) != 0 {
		t.Errorf("{} split as %+v, %v", got, ok)
	}
}

// BenchmarkIssue14EncodeSealed measures Codec.Encode of a referral made,
// whose client data is sealed, as every make-referral runs it; cpu-ns/op
// is the process's CPU per encode, steadier than ns/op on a shared
// machine.
func BenchmarkIssue14EncodeSealed(b *testing.B) {
	codec := NewCodec(newMemKeys())
	ctx := context.Background()
	ev := sampleEvents()[0]
	meta := eventstore.Metadata{ActorUserID: uuid.NewString(), RecordedAt: time.Now().UTC()}
	b.ReportAllocs()
	cpu := processCPU()
	for b.Loop() {
		if _, err := codec.Encode(ctx, uuid.New(), ev, meta); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
}
