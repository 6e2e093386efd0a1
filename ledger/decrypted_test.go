package ledger

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// R-AUD-3: a case bundle's decrypted part is its event decrypted; a
// verifier without the key accepts it only when every field stored in the
// clear matches and every other field is one the type keeps encrypted.
func TestRAUD3DecryptedPartCheckedAgainstStoredData(t *testing.T) {
	codec := NewCodec(newMemKeys())
	client := uuid.New()
	rec := stored(t, codec, madeFor(client, "ZQX"))
	d, err := codec.Decode(context.Background(), rec)
	if err != nil {
		t.Fatal(err)
	}
	part, err := DecryptedJSON(HistoryEntry{Stored: rec, Decoded: d})
	if err != nil || !bytes.Contains(part, []byte("ZQX-name")) {
		t.Fatalf("decrypted part %s, %v", part, err)
	}
	if err := CheckDecrypted(rec.Type, rec.SchemaVersion, rec.Data, part); err != nil {
		t.Fatalf("honest decrypted part refused: %v", err)
	}

	edit := func(f func(map[string]any)) []byte {
		var m map[string]any
		_ = json.Unmarshal(part, &m)
		f(m)
		out, _ := json.Marshal(m)
		return out
	}
	for name, c := range map[string]struct {
		part []byte
		want string
	}{
		"clear field changed": {edit(func(m map[string]any) { m["to_organisation_id"] = uuid.NewString() }), "differs"},
		"clear field dropped": {edit(func(m map[string]any) { delete(m, "referral_id") }), "lacks"},
		"field invented":      {edit(func(m map[string]any) { m["diagnosis"] = "x" }), "neither stored"},
		"not an object":       {[]byte(`"ZQX"`), "not a JSON object"},
		"null":                {[]byte(`null`), "not a JSON object"},
	} {
		if err := CheckDecrypted(rec.Type, rec.SchemaVersion, rec.Data, c.part); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", name, err, c.want)
		}
	}

	// An event with nothing sealed has no decrypted part, and one offered
	// for it is refused.
	plain := stored(t, codec, &domain.ReferralAssigned{UserID: uuid.New()})
	pd, err := codec.Decode(context.Background(), plain)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := DecryptedJSON(HistoryEntry{Stored: plain, Decoded: pd}); err != nil || p != nil {
		t.Fatalf("an event with nothing encrypted has decrypted part %s, %v", p, err)
	}
	if err := CheckDecrypted(plain.Type, plain.SchemaVersion, plain.Data, plain.Data); err == nil {
		t.Fatal("a decrypted part for an event with nothing encrypted accepted")
	}
	// Erased: none.
	d.Erased = true
	if p, _ := DecryptedJSON(HistoryEntry{Stored: rec, Decoded: d}); p != nil {
		t.Fatalf("an erased event has decrypted part %s", p)
	}
}
