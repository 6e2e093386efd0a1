package audit

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/referral-ledger/ledger/eventstore"
)

const testOrigin = "example.org/referral-ledger"

type fixture struct {
	tree     *File
	events   []eventstore.RecordedEvent
	signer   note.Signer
	verifier note.Verifier
}

// newFixture builds a tree over n events spread over three streams, sealed
// into their hash chains as a store would.
func newFixture(t testing.TB, n int) *fixture {
	t.Helper()
	tree, err := OpenFile(filepath.Join(t.TempDir(), "tree"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tree.Close() })
	skey, vkey, err := GenerateKey(testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{tree: tree}
	if f.signer, err = NewSigner(skey); err != nil {
		t.Fatal(err)
	}
	if f.verifier, err = NewVerifier(vkey); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		f.add(t, fmt.Sprintf("referral-%d", i%3), []byte(fmt.Sprintf("ciphertext %d", i)))
	}
	return f
}

func (f *fixture) add(t testing.TB, stream string, data []byte) eventstore.RecordedEvent {
	t.Helper()
	rev, prev := uint64(0), eventstore.GenesisHash
	for _, e := range f.events {
		if e.Stream == stream {
			rev, prev = e.Revision+1, e.Metadata.Hash
		}
	}
	ed := eventstore.EventData{ID: uuid.New(), Type: "ReferralMade", SchemaVersion: 1, Data: data,
		Metadata: eventstore.Metadata{ActorUserID: "u1", RecordedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}}
	pos := eventstore.Position(2*len(f.events) + 7) // sparse, as on KurrentDB
	ev := eventstore.RecordedEvent{ID: ed.ID, Stream: stream, Revision: rev, Position: pos, Type: ed.Type,
		SchemaVersion: 1, Data: data, Metadata: eventstore.Seal(stream, rev, prev, ed)}
	if err := f.tree.Append(ev); err != nil {
		t.Fatal(err)
	}
	f.events = append(f.events, ev)
	return ev
}

func (f *fixture) checkpoint(t testing.TB) (Checkpoint, []byte) {
	t.Helper()
	ctx := context.Background()
	size, _ := f.tree.TreeSize(ctx)
	root, err := Root(ctx, f.tree, size)
	if err != nil {
		t.Fatal(err)
	}
	cp := Checkpoint{Origin: testOrigin, Size: size, Hash: root, Time: time.Date(2026, 12, 6, 5, 0, 0, 0, time.UTC)}
	signed, err := Sign(cp, f.signer)
	if err != nil {
		t.Fatal(err)
	}
	return cp, signed
}

func (f *fixture) stream(name string) []eventstore.RecordedEvent {
	var out []eventstore.RecordedEvent
	for _, e := range f.events {
		if e.Stream == name {
			out = append(out, e)
		}
	}
	return out
}

func (f *fixture) bundle(t testing.TB, stream string) Bundle {
	t.Helper()
	cp, signed := f.checkpoint(t)
	b, err := MakeBundle(context.Background(), f.tree, signed, cp, f.stream(stream))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRAUD1TreeMatchesRFC6962Root(t *testing.T) {
	f := newFixture(t, 13)
	ctx := context.Background()
	// Recompute the root with the plain RFC 6962 recursion over the leaves.
	leaves := make([]tlog.Hash, len(f.events))
	for i, e := range f.events {
		leaves[i], _ = LeafHash(e.Position, e.Metadata.Hash)
	}
	var mth func([]tlog.Hash) tlog.Hash
	mth = func(hs []tlog.Hash) tlog.Hash {
		if len(hs) == 1 {
			return hs[0]
		}
		k := 1
		for k*2 < len(hs) {
			k *= 2
		}
		return tlog.NodeHash(mth(hs[:k]), mth(hs[k:]))
	}
	for n := 1; n <= len(leaves); n++ {
		got, err := Root(ctx, f.tree, int64(n))
		if err != nil {
			t.Fatal(err)
		}
		if got != mth(leaves[:n]) {
			t.Fatalf("root of %d leaves differs from RFC 6962's", n)
		}
	}
}

func TestRAUD1LeafCommitsToStoredFormNotPlaintext(t *testing.T) {
	// A leaf is the chain hash and position: the same event's leaf does not
	// depend on anything but its stored hash, so shredding a key changes none.
	a, _ := LeafHash(5, strings.Repeat("ab", 32))
	b, _ := LeafHash(5, strings.Repeat("ab", 32))
	c, _ := LeafHash(6, strings.Repeat("ab", 32))
	if a != b || a == c {
		t.Fatal("leaf must be a function of position and chain hash only")
	}
	if _, err := LeafHash(5, "not hex"); err == nil {
		t.Fatal("a malformed chain hash must be refused")
	}
}

func TestRAUD1FileTreeSurvivesReopenWithoutRecompute(t *testing.T) {
	dir := t.TempDir()
	tree, err := OpenFile(filepath.Join(dir, "tree"))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{tree: tree}
	for i := 0; i < 9; i++ {
		f.add(t, "s", []byte{byte(i)})
	}
	ctx := context.Background()
	before, _ := Root(ctx, tree, 9)
	_ = tree.Close()
	again, err := OpenFile(filepath.Join(dir, "tree"))
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	size, _ := again.TreeSize(ctx)
	after, err := Root(ctx, again, size)
	if err != nil || size != 9 || after != before {
		t.Fatalf("reopened tree: size %d root equal %v err %v", size, after == before, err)
	}
	// Replayed events are skipped, not added twice.
	if err := again.Append(f.events[3]); err != nil {
		t.Fatal(err)
	}
	if size, _ := again.TreeSize(ctx); size != 9 {
		t.Fatalf("replay grew the tree to %d", size)
	}
}

func TestRAUD2ConsistencyProofVerifies(t *testing.T) {
	f := newFixture(t, 5)
	old, _ := f.checkpoint(t)
	for i := 0; i < 17; i++ {
		f.add(t, "later", []byte{byte(i)})
	}
	next, _ := f.checkpoint(t)
	proof, err := ProveConsistency(context.Background(), f.tree, old.Size, next.Size)
	if err != nil {
		t.Fatal(err)
	}
	if err := Extends(old, next, proof); err != nil {
		t.Fatalf("honest growth refused: %v", err)
	}
	if err := Extends(next, next, nil); err != nil {
		t.Fatalf("same checkpoint refused: %v", err)
	}
}

func TestRAUD2VerifierRefusesAttacks(t *testing.T) {
	f := newFixture(t, 6)
	old, _ := f.checkpoint(t)
	for i := 0; i < 11; i++ {
		f.add(t, "later", []byte{byte(i)})
	}
	next, _ := f.checkpoint(t)
	ctx := context.Background()
	proof, _ := ProveConsistency(ctx, f.tree, old.Size, next.Size)
	otherProof, _ := ProveConsistency(ctx, f.tree, old.Size-1, next.Size)
	reordered := append(tlog.TreeProof{}, proof...)
	reordered[0], reordered[1] = reordered[1], reordered[0]
	flipped := append(tlog.TreeProof{}, proof...)
	flipped[0][0] ^= 1

	forked := newFixture(t, 6) // same shape, different content
	forkCP, _ := forked.checkpoint(t)

	// A new size the signature does not cover is refused by Open (see
	// TestRAUD2CheckpointRefused): a proof cannot pin the size by itself.
	cases := map[string]struct {
		old, next Checkpoint
		proof     tlog.TreeProof
	}{
		"truncated proof":         {old, next, proof[:len(proof)-1]},
		"extra hash in proof":     {old, next, append(append(tlog.TreeProof{}, proof...), proof[0])},
		"reordered proof":         {old, next, reordered},
		"altered proof hash":      {old, next, flipped},
		"proof from another size": {old, next, otherProof},
		"wrong old size":          {Checkpoint{Origin: old.Origin, Size: old.Size + 1, Hash: old.Hash}, next, proof},
		"shrunk tree":             {next, old, proof},
		"fork at same size":       {old, Checkpoint{Origin: old.Origin, Size: old.Size, Hash: forkCP.Hash}, nil},
		"other origin":            {old, Checkpoint{Origin: "other.example", Size: next.Size, Hash: next.Hash}, proof},
		"empty proof":             {old, next, nil},
	}
	for name, c := range cases {
		if err := Extends(c.old, c.next, c.proof); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestRAUD1CheckpointSignedNoteFormat(t *testing.T) {
	f := newFixture(t, 3)
	cp, signed := f.checkpoint(t)
	lines := strings.Split(string(signed), "\n")
	if lines[0] != testOrigin || lines[1] != "3" || lines[2] != base64.StdEncoding.EncodeToString(cp.Hash[:]) ||
		lines[4] != "" || !strings.HasPrefix(lines[5], "— "+testOrigin+" ") {
		t.Fatalf("not a C2SP tlog-checkpoint signed note:\n%s", signed)
	}
	got, err := Open(signed, f.verifier)
	if err != nil || got != cp {
		t.Fatalf("Open = %+v, %v; want %+v", got, err, cp)
	}
}

func TestRAUD2CheckpointRefused(t *testing.T) {
	f := newFixture(t, 3)
	cp, signed := f.checkpoint(t)
	other := newFixture(t, 0)
	byOther, _ := Sign(cp, other.signer)

	skey, _, _ := GenerateKey("other.example")
	otherOrigin, _ := NewSigner(skey)
	foreign, _ := Sign(Checkpoint{Origin: "other.example", Size: cp.Size, Hash: cp.Hash, Time: cp.Time}, otherOrigin)

	tampered := bytes.Replace(signed, []byte("\n3\n"), []byte("\n4\n"), 1)
	cases := map[string][]byte{
		"signed by another key":     byOther,
		"signed for another origin": foreign,
		"trailing garbage":          append(append([]byte{}, signed...), "garbage"...),
		"trailing line":             append(append([]byte{}, signed...), "garbage\n"...),
		"size altered":              tampered,
		"no signature":              []byte(cp.Body()),
		"empty":                     nil,
	}
	for name, msg := range cases {
		if _, err := Open(msg, f.verifier); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestRAUD3BundleVerifies(t *testing.T) {
	f := newFixture(t, 12)
	b := f.bundle(t, "referral-1")
	data, _ := json.Marshal(b)
	parsed, err := ParseBundle(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	v, err := VerifyBundle(parsed, f.verifier)
	if err != nil {
		t.Fatalf("honest bundle refused: %v", err)
	}
	if len(v.Events) != len(f.stream("referral-1")) {
		t.Fatalf("verified %d events", len(v.Events))
	}
}

func TestRAUD3BundleRefusesTampering(t *testing.T) {
	f := newFixture(t, 15)
	good := f.bundle(t, "referral-0")
	other := f.bundle(t, "referral-2")
	foreign := newFixture(t, 15)
	copyOf := func() Bundle {
		var b Bundle
		data, _ := json.Marshal(good)
		_ = json.Unmarshal(data, &b)
		return b
	}
	cases := map[string]func(*Bundle){
		"dropped first event":  func(b *Bundle) { b.Events = b.Events[1:] },
		"dropped middle event": func(b *Bundle) { b.Events = append(b.Events[:2:2], b.Events[3:]...) },
		"duplicated event":     func(b *Bundle) { b.Events = append(b.Events[:2:2], b.Events[1:]...) },
		"swapped events":       func(b *Bundle) { b.Events[1], b.Events[2] = b.Events[2], b.Events[1] },
		"data changed":         func(b *Bundle) { b.Events[1].Data = []byte("other ciphertext") },
		"data and hashes recomputed": func(b *Bundle) {
			// Rewrite event 1 and re-seal the chain after it: the chain
			// verifies, the tree does not.
			prev := b.Events[0].Hash
			for i := 1; i < len(b.Events); i++ {
				e := &b.Events[i]
				if i == 1 {
					e.Data = []byte("rewritten")
				}
				id, _ := uuid.Parse(e.ID)
				m := e.Metadata
				m.Hash = ""
				e.Metadata = eventstore.Seal(e.Stream, e.Revision, prev, eventstore.EventData{ID: id, Type: e.Type,
					SchemaVersion: e.SchemaVersion, Data: e.Data, Metadata: m})
				e.Hash, e.PrevHash = e.Metadata.Hash, e.Metadata.PrevHash
				prev = e.Hash
			}
		},
		"proof for another leaf": func(b *Bundle) { b.Events[1].InclusionProof = other.Events[1].InclusionProof },
		"leaf index changed":     func(b *Bundle) { b.Events[1].LeafIndex++ },
		"leaf index past size":   func(b *Bundle) { b.Events[1].LeafIndex = 1 << 40 },
		"truncated proof": func(b *Bundle) {
			b.Events[1].InclusionProof = b.Events[1].InclusionProof[:len(b.Events[1].InclusionProof)-1]
		},
		"reordered proof": func(b *Bundle) {
			p := b.Events[1].InclusionProof
			p[0], p[1] = p[1], p[0]
		},
		"position changed":        func(b *Bundle) { b.Events[1].Position++ },
		"mixed streams":           func(b *Bundle) { b.Events[2] = other.Events[2] },
		"no events":               func(b *Bundle) { b.Events = nil },
		"checkpoint of other key": func(b *Bundle) { b.Checkpoint = foreign.bundle(t, "referral-0").Checkpoint },
		"hash field disagrees":    func(b *Bundle) { b.Events[0].Hash = b.Events[1].Hash },
	}
	for name, mutate := range cases {
		b := copyOf()
		mutate(&b)
		if _, err := VerifyBundle(b, f.verifier); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestRAUD3BundleParserRefusesTrailingGarbageAndUnknownFields(t *testing.T) {
	f := newFixture(t, 4)
	data, _ := json.Marshal(f.bundle(t, "referral-0"))
	for name, in := range map[string][]byte{
		"trailing garbage": append(append([]byte{}, data...), " {}"...),
		"unknown field":    bytes.Replace(data, []byte(`{"checkpoint"`), []byte(`{"extra":1,"checkpoint"`), 1),
		"not json":         []byte("checkpoint"),
	} {
		if _, err := ParseBundle(bytes.NewReader(in)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
