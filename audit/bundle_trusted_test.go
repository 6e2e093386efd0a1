package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// trustedScene is an auditor who trusts an early checkpoint of f's tree,
// and a bundle taken after the ledger grew, against a newer checkpoint,
// with the consistency proof from the trusted size.
func trustedScene(t *testing.T) (f *fixture, trusted Checkpoint, b Bundle) {
	t.Helper()
	f = newFixture(t, 9)
	trusted, _ = f.checkpoint(t)
	for i := 0; i < 6; i++ {
		f.add(t, "referral-1", []byte("later ciphertext"))
	}
	cp, signed := f.checkpoint(t)
	b, err := MakeBundle(context.Background(), f.tree, signed, cp, f.stream("referral-1"))
	if err != nil {
		t.Fatal(err)
	}
	if err := AddConsistency(context.Background(), f.tree, &b, cp, trusted.Size); err != nil {
		t.Fatal(err)
	}
	return f, trusted, b
}

// R-AUD-3 with R-AUD-2: a bundle proved against a checkpoint newer than
// the auditor's trusted one verifies when it carries the consistency
// proof from the trusted size, and is refused without it or with a wrong
// one.
func TestRAUD3BundleAgainstOlderTrustedCheckpoint(t *testing.T) {
	f, trusted, good := trustedScene(t)
	vb, err := VerifyBundle(good, f.verifier)
	if err != nil {
		t.Fatalf("honest bundle refused: %v", err)
	}
	if vb.Checkpoint.Size <= trusted.Size {
		t.Fatalf("scene: bundle checkpoint %d is not newer than the trusted %d", vb.Checkpoint.Size, trusted.Size)
	}
	if err := CheckTrusted(good, vb, trusted); err != nil {
		t.Fatalf("consistency proof from the trusted checkpoint refused: %v", err)
	}
	// The same tree at the bundle's own size needs no proof.
	if err := CheckTrusted(good, vb, vb.Checkpoint); err != nil {
		t.Fatalf("the bundle's own checkpoint as trusted refused: %v", err)
	}

	// A fork: another tree of the trusted size, signed for the same
	// origin; the honest proof does not connect it to the bundle's tree.
	fork := newFixture(t, 9)
	forked, _ := fork.checkpoint(t)
	if forked.Size != trusted.Size || forked.Hash == trusted.Hash {
		t.Fatalf("scene: fork of %d events, root equal %v", forked.Size, forked.Hash == trusted.Hash)
	}

	copyOf := func() Bundle {
		var b Bundle
		data, _ := json.Marshal(good)
		_ = json.Unmarshal(data, &b)
		return b
	}
	cases := map[string]struct {
		mutate  func(*Bundle)
		trusted Checkpoint
		want    string
	}{
		"no consistency proof":      {func(b *Bundle) { b.Consistency = nil }, trusted, "trusted_size="},
		"proof from another size":   {func(b *Bundle) { b.Consistency.From-- }, trusted, "from 8 events"},
		"truncated proof":           {func(b *Bundle) { b.Consistency.Proof = b.Consistency.Proof[1:] }, trusted, "does not extend"},
		"proof hash changed":        {func(b *Bundle) { b.Consistency.Proof[0] = good.Events[0].InclusionProof[0] }, trusted, "does not extend"},
		"proof not base64":          {func(b *Bundle) { b.Consistency.Proof[0] = "!" }, trusted, "not 32 bytes"},
		"trusted checkpoint forked": {func(*Bundle) {}, forked, "does not extend"},
		"same size, other root": {func(*Bundle) {}, Checkpoint{Origin: trusted.Origin, Size: vb.Checkpoint.Size, Hash: trusted.Hash},
			"different root"},
		"other origin": {func(*Bundle) {}, Checkpoint{Origin: "other.example/log", Size: trusted.Size, Hash: trusted.Hash}, "origin"},
	}
	for name, c := range cases {
		b := copyOf()
		c.mutate(&b)
		err := CheckTrusted(b, vb, c.trusted)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error naming %q", name, err, c.want)
		}
	}
}

// R-AUD-3: a bundle proved against a checkpoint older than the trusted
// one is refused, telling the reader to fetch a fresh one: only the
// server can prove the newer tree extends the older.
func TestRAUD3BundleOlderThanTrustedRefused(t *testing.T) {
	f := newFixture(t, 9)
	old := f.bundle(t, "referral-0")
	vb, err := VerifyBundle(old, f.verifier)
	if err != nil {
		t.Fatal(err)
	}
	f.add(t, "referral-2", []byte("later"))
	newer, _ := f.checkpoint(t)
	err = CheckTrusted(old, vb, newer)
	if !errors.Is(err, ErrStaleBundle) || !strings.Contains(err.Error(), "fetch a fresh bundle") {
		t.Fatalf("bundle older than the trusted checkpoint: %v", err)
	}
}

// R-AUD-3: a consistency proof claiming a size outside the bundle's tree
// is refused by the verifier even without a trusted checkpoint.
func TestRAUD3BundleConsistencyOutsideTreeRefused(t *testing.T) {
	f, _, good := trustedScene(t)
	for _, from := range []int64{0, -1, 1 << 40} {
		b := good
		c := *good.Consistency
		c.From = from
		b.Consistency = &c
		if _, err := VerifyBundle(b, f.verifier); err == nil {
			t.Errorf("consistency from %d accepted", from)
		}
	}
}

// TestRAUD3BundleWithAKeyTwiceRefused: a bundle in which an object names
// a key twice is refused. Decoding keeps the last, so verify-bundle
// checked one checkpoint or event while a reader keeping the first (or
// reading the printed decrypted part) saw another.
func TestRAUD3BundleWithAKeyTwiceRefused(t *testing.T) {
	f := newFixture(t, 4)
	data, err := json.Marshal(f.bundle(t, "referral-0"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseBundle(bytes.NewReader(data)); err != nil {
		t.Fatalf("the bundle as made: %v", err)
	}
	for name, in := range map[string][]byte{
		"checkpoint twice":              bytes.Replace(data, []byte(`{"checkpoint"`), []byte(`{"checkpoint":"forged","checkpoint"`), 1),
		"checkpoint twice in two cases": bytes.Replace(data, []byte(`{"checkpoint"`), []byte(`{"checkpoint":"forged","Checkpoint"`), 1),
		"an event's type twice":         bytes.Replace(data, []byte(`"type":`), []byte(`"type":"referral.withdrawn","type":`), 1),
		"a decrypted field twice": bytes.Replace(data, []byte(`"inclusion_proof"`),
			[]byte(`"decrypted":{"urgent":false,"urgent":true},"inclusion_proof"`), 1),
	} {
		if bytes.Equal(in, data) {
			t.Fatalf("%s: the test did not change the bundle", name)
		}
		if _, err := ParseBundle(bytes.NewReader(in)); err == nil || !strings.Contains(err.Error(), "twice") {
			t.Errorf("%s: %v, want it refused", name, err)
		}
	}
}
