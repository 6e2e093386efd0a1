package audit

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzParseCheckpoint: the checkpoint parser never panics, and whatever it
// accepts renders back to exactly the text it read.
func FuzzParseCheckpoint(f *testing.F) {
	fx := newFixture(f, 3)
	cp, _ := fx.checkpoint(f)
	f.Add(cp.Body())
	f.Add("origin\n0\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\ntime 2026-01-01T00:00:00Z\n")
	f.Add("o\n01\n\n")
	f.Fuzz(func(t *testing.T, text string) {
		c, err := ParseCheckpoint(text)
		if err == nil && c.Body() != text {
			t.Fatalf("accepted %q but renders %q", text, c.Body())
		}
	})
}

// FuzzOpenCheckpoint: signed notes from anywhere never panic the verifier,
// and nothing but the key's own signatures is accepted.
func FuzzOpenCheckpoint(f *testing.F) {
	fx := newFixture(f, 3)
	_, signed := fx.checkpoint(f)
	f.Add(signed)
	f.Add(append(append([]byte{}, signed...), "x"...))
	f.Fuzz(func(t *testing.T, msg []byte) {
		c, err := Open(msg, fx.verifier)
		if err == nil && !bytes.HasPrefix(msg, []byte(c.Body())) {
			t.Fatalf("accepted a note whose text is not its checkpoint")
		}
	})
}

// FuzzBundle: the bundle parser and verifier never panic on any input, and
// accept no bundle whose events were not signed for.
func FuzzBundle(f *testing.F) {
	fx := newFixture(f, 7)
	good, _ := json.Marshal(fx.bundle(f, "referral-1"))
	f.Add(good)
	f.Add([]byte(`{"checkpoint":"","events":[]}`))
	f.Add([]byte(`{"events":[{"position":1,"revision":0,"leaf_index":-1,"inclusion_proof":["AA=="]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseBundle(bytes.NewReader(data))
		if err != nil {
			return
		}
		v, err := VerifyBundle(b, fx.verifier)
		if err != nil {
			return
		}
		for _, e := range v.Events {
			found := false
			for _, real := range fx.events {
				if real.ID == e.ID && real.Metadata.Hash == e.Metadata.Hash && real.Position == e.Position {
					found = true
				}
			}
			if !found {
				t.Fatalf("accepted an event that was never in the tree: %+v", e)
			}
		}
	})
}
