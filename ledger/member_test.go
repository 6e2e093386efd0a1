package ledger

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// memberByJSON is what encoding/json finds for a struct field tagged
// "sealed" in data: its raw value (nil for none), and whether data decodes.
func memberByJSON(data []byte) ([]byte, bool) {
	var v struct {
		Sealed json.RawMessage `json:"sealed"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, false
	}
	return v.Sealed, true
}

// checkTopMember fails t when topMember answers for data (ok) otherwise
// than encoding/json does, or falls back for a plain document it can read.
func checkTopMember(t *testing.T, data []byte) {
	t.Helper()
	raw, ok := topMember(data, "sealed")
	want, valid := memberByJSON(data)
	if ok {
		if !valid {
			t.Fatalf("topMember accepted %q, which encoding/json rejects", data)
		}
		if !bytes.Equal(raw, want) || (raw == nil) != (want == nil) {
			t.Fatalf("topMember of %q = %q, encoding/json finds %q", data, raw, want)
		}
		return
	}
	// It may fall back only for what it leaves to encoding/json.
	var members map[string]json.RawMessage
	if valid && json.Unmarshal(data, &members) == nil && members != nil {
		plain, matches := true, 0
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.Token() // {
		for dec.More() {
			tok, _ := dec.Token()
			key, _ := tok.(string)
			var skip json.RawMessage
			dec.Decode(&skip)
			if strings.EqualFold(key, "sealed") {
				matches++
			}
			for _, c := range []byte(key) {
				if c >= 0x80 || c < 0x20 || c == '"' || c == '\\' {
					plain = false
				}
			}
		}
		if plain && matches < 2 && !bytes.Contains(data, []byte(`\`)) && len(data) < 1000 {
			t.Fatalf("topMember fell back on %q, a plain object", data)
		}
	}
}

// TestTopMemberAgreesWithEncodingJSON_Issue14: the sealed box found
// without decoding the whole payload is the one encoding/json decodes,
// and documents encoding/json rejects are left to it, on hand-written
// cases and on random documents and corruptions of them.
func TestTopMemberAgreesWithEncodingJSON_Issue14(t *testing.T) {
	cases := []string{
		`{}`, ` { } `, `{"sealed":{"client_id":"x","box":"AAE="}}`, `{"a":1,"sealed":null}`, `{"SEALED":[1,2]}`,
		`{"Sealed":1,"sealed":2}`, `{"sealed":1,"sealed":2}`, `{"se\u0061led":1}`, `{"ſealed":1}`, `{"sealed":01}`,
		`{"sealed":1,}`, `{"sealed":1`, `{"sealed" 1}`, `[{"sealed":1}]`, `"sealed"`, `{"sealed":1} x`, `{"sealed":-}`,
		`{"sealed":1.}`, `{"sealed":1e}`, `{"sealed":-0.5E+7}`, `{"sealed":tru}`, `{"sealed":"\x"}`, `{"sealed":"\u12"}`,
		`{"a":"\"sealed\":2","sealed":3}`, `{"a":{"sealed":1}}`, `{"a":[1,{"b":[]},"c"],"sealed":{"x":[true,false,null]}}`,
		"{\"sealed\":\"a\tb\"}", `{"sealed":"é"}`, `{"sealed" : [ ] , "b" : { } }`, `{"sealed":[1,]}`, `{,}`, ``, `{"a":1}{`,
	}
	for _, c := range cases {
		checkTopMember(t, []byte(c))
		checkWithoutBox(t, []byte(c))
	}
	rng := rand.New(rand.NewPCG(14, 1))
	for range 20000 {
		doc := randomJSON(rng, 0)
		if rng.IntN(2) == 0 {
			doc = `{"sealed":` + randomJSON(rng, 1) + `,` + doc[1:]
		}
		data := []byte(doc)
		checkTopMember(t, data)
		checkWithoutBox(t, data)
		// Corrupt it: a byte changed, dropped, or the end cut off.
		bad := bytes.Clone(data)
		switch i := rng.IntN(len(bad)); rng.IntN(3) {
		case 0:
			bad[i] = `{}[]",:\ 0-.eE1tfnu"`[rng.IntN(20)]
		case 1:
			bad = append(bad[:i], bad[i+1:]...)
		default:
			bad = bad[:i]
		}
		checkTopMember(t, bad)
		checkWithoutBox(t, bad)
	}
}

// randomJSON returns a random JSON object (depth 0) or value.
func randomJSON(rng *rand.Rand, depth int) string {
	names := []string{"sealed", "Sealed", "a", "box", "client_id", "x y", `q\"uote`, "é"}
	kind := rng.IntN(8)
	if depth == 0 {
		kind = 0
	} else if depth > 3 {
		kind = 2 + rng.IntN(6)
	}
	switch kind {
	case 0:
		var b strings.Builder
		b.WriteString("{")
		for i := range rng.IntN(4) {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(` "` + names[rng.IntN(len(names))] + `" : ` + randomJSON(rng, depth+1))
		}
		return b.String() + " }"
	case 1:
		var parts []string
		for range rng.IntN(4) {
			parts = append(parts, randomJSON(rng, depth+1))
		}
		return "[" + strings.Join(parts, ",") + "]"
	case 2:
		return []string{`"plain"`, `"es\"c\\a\/p\u00e9\n"`, `""`, `"AAECAw=="`}[rng.IntN(4)]
	case 3:
		return []string{"0", "-12", "3.25", "1e9", "-0.5E-3"}[rng.IntN(5)]
	default:
		return []string{"true", "false", "null"}[rng.IntN(3)]
	}
}

// TestSealedMemberAgreesWithEncodingJSON_Issue14: a sealed member decoded
// without encoding/json gives the box encoding/json gives, or is left to
// it.
func TestSealedMemberAgreesWithEncodingJSON_Issue14(t *testing.T) {
	ids := []string{`"0b5f6c1e-8e2a-4c1b-9a57-3f3a0c2d9e11"`, `"0B5F6C1E-8E2A-4C1B-9A57-3F3A0C2D9E11"`, `"urn:uuid:0b5f6c1e-8e2a-4c1b-9a57-3f3a0c2d9e11"`,
		`"{0b5f6c1e-8e2a-4c1b-9a57-3f3a0c2d9e11}"`, `"0b5f6c1e8e2a4c1b9a573f3a0c2d9e11"`, `"0b5f6c1e-8e2a-4c1b-9a57-3f3a0c2d9e1"`, `null`, `""`,
		`"0b5f6c1e-8e2a-4c1b-9a57-3f3a0c2d9e1\u0031"`, `17`}
	boxes := []string{`"AAECAwQ="`, `"AAECAwQ"`, `"AAEC"`, `""`, `null`, `"AA\u0045C"`, `"AA=C"`, `"A A="`, `[1]`, `"/+/+"`, `"-_-_"`}
	check := func(raw string) {
		t.Helper()
		got, ok := sealedMember([]byte(raw))
		var want *sealed
		err := json.Unmarshal([]byte(raw), &want)
		if !ok {
			return // left to encoding/json
		}
		if err != nil {
			t.Fatalf("sealedMember accepted %s, which encoding/json rejects: %v", raw, err)
		}
		if (got == nil) != (want == nil) || got != nil && (got.ClientID != want.ClientID || !bytes.Equal(got.Box, want.Box)) {
			t.Fatalf("sealedMember of %s = %+v, encoding/json gives %+v", raw, got, want)
		}
	}
	check(`null`)
	check(`{}`)
	check(`[]`)
	for _, id := range ids {
		for _, box := range boxes {
			check(`{"client_id":` + id + `,"box":` + box + `}`)
			check(`{"box":` + box + `, "Client_ID" : ` + id + `, "other": {"box": 1}}`)
			check(`{"box":` + box + `}`)
			check(`{"client_id":` + id + `}`)
		}
	}
	// The plain case is decoded here, not left to encoding/json.
	if s, ok := sealedMember([]byte(`{"client_id":` + ids[0] + `,"box":"AAECAwQ="}`)); !ok || len(s.Box) != 5 {
		t.Fatalf("a plain sealed member was left to encoding/json: %+v, %v", s, ok)
	}
}

// publicView is what the public codec reads of a payload, as its carrier
// does: members beside a placeholder for the sealed box.
type publicView struct {
	A        json.RawMessage `json:"a"`
	Box      json.RawMessage `json:"box"`
	ClientID json.RawMessage `json:"client_id"`
	XY       json.RawMessage `json:"x y"`
	Sealed   *struct{}       `json:"sealed"`
}

// checkWithoutBox fails t when the payload withoutBox gives decodes
// otherwise than data, but for the box, or withheld says otherwise than
// encoding/json of data.
func checkWithoutBox(t *testing.T, data []byte) {
	t.Helper()
	doc, withheld, ok := withoutBox(data)
	if !ok {
		return
	}
	var want, got publicView
	wantErr, gotErr := json.Unmarshal(data, &want), json.Unmarshal(doc, &got)
	if (wantErr == nil) != (gotErr == nil) {
		t.Fatalf("withoutBox(%q) = %q: decoding gives %v, not %v", data, doc, gotErr, wantErr)
	}
	if wantErr != nil {
		return
	}
	if withheld != (want.Sealed != nil) || got.Sealed != nil {
		t.Fatalf("withoutBox(%q) = %q, withheld %v", data, doc, withheld)
	}
	want.Sealed = nil
	if a, b := fmt.Sprintf("%s %s %s %s", want.A, want.Box, want.ClientID, want.XY), fmt.Sprintf("%s %s %s %s", got.A, got.Box, got.ClientID, got.XY); a != b {
		t.Fatalf("withoutBox(%q) = %q, decoding to %s, not %s", data, doc, b, a)
	}
}
