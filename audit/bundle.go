package audit

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/referral-ledger/ledger/eventstore"
)

// Bundle is a case bundle (R-AUD-3): a stream's stored events, encrypted
// data as stored, each with an inclusion proof against the checkpoint.
type Bundle struct {
	Checkpoint string `json:"checkpoint"` // the signed note
	// Consistency, when the bundle was asked for against an auditor's
	// older trusted checkpoint, proves the checkpoint extends it (R-AUD-2).
	Consistency *BundleConsistency `json:"consistency,omitempty"`
	Events      []BundleEvent      `json:"events"`
}

// BundleConsistency is a consistency proof from a tree of From leaves to
// the bundle's checkpoint.
type BundleConsistency struct {
	From  int64    `json:"from"`
	Proof []string `json:"proof"`
}

// BundleEvent is one stored event with its leaf and inclusion proof.
type BundleEvent struct {
	Position       uint64              `json:"position"`
	Stream         string              `json:"stream"`
	Revision       uint64              `json:"revision"`
	ID             string              `json:"id"`
	Type           string              `json:"type"`
	SchemaVersion  int                 `json:"schema_version"`
	Data           []byte              `json:"data"` // base64 in JSON
	Metadata       eventstore.Metadata `json:"metadata"`
	Hash           string              `json:"hash"`
	PrevHash       string              `json:"prev_hash"`
	LeafIndex      int64               `json:"leaf_index"`
	InclusionProof []string            `json:"inclusion_proof"`
	// Decrypted is the event's payload as the server decrypted it, for a
	// reader allowed to read the case's client data; absent otherwise and
	// once the client is erased. No proof covers it: only Data does.
	Decrypted json.RawMessage `json:"decrypted,omitempty"`
}

// MaxBundle bounds the bundle a verifier reads.
const MaxBundle = 256 << 20

// MakeBundle builds the bundle of events (one stream, in revision order)
// against the signed checkpoint cp, whose size the log must have reached.
func MakeBundle(ctx context.Context, l Log, signed []byte, cp Checkpoint, events []eventstore.RecordedEvent) (Bundle, error) {
	b := Bundle{Checkpoint: string(signed), Events: make([]BundleEvent, 0, len(events))}
	for _, ev := range events {
		n, err := l.LeafIndex(ctx, ev.Position)
		if err != nil {
			return Bundle{}, err
		}
		if n >= cp.Size {
			return Bundle{}, fmt.Errorf("%w: event at position %d came after the checkpoint", ErrNoLeaf, ev.Position)
		}
		proof, err := ProveInclusion(ctx, l, cp.Size, n)
		if err != nil {
			return Bundle{}, err
		}
		hs := encodeHashes(proof)
		b.Events = append(b.Events, BundleEvent{Position: uint64(ev.Position), Stream: ev.Stream, Revision: ev.Revision,
			ID: ev.ID.String(), Type: ev.Type, SchemaVersion: ev.SchemaVersion, Data: ev.Data, Metadata: ev.Metadata,
			Hash: ev.Metadata.Hash, PrevHash: ev.Metadata.PrevHash, LeafIndex: n, InclusionProof: hs})
	}
	return b, nil
}

// AddConsistency proves to the bundle's reader that its checkpoint cp
// extends their trusted one of from leaves (1 <= from <= cp.Size).
func AddConsistency(ctx context.Context, l Log, b *Bundle, cp Checkpoint, from int64) error {
	proof := tlog.TreeProof{}
	if from != cp.Size {
		var err error
		if proof, err = ProveConsistency(ctx, l, from, cp.Size); err != nil {
			return err
		}
	}
	b.Consistency = &BundleConsistency{From: from, Proof: encodeHashes(proof)}
	return nil
}

func encodeHashes(hs []tlog.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	return out
}

// decodeHashes reads base64 hashes, each exactly 32 bytes.
func decodeHashes(what string, in []string) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(in))
	for i, s := range in {
		h, err := base64.StdEncoding.Strict().DecodeString(s)
		if err != nil || len(h) != tlog.HashSize {
			return nil, fmt.Errorf("%s hash %d is not 32 bytes of base64", what, i)
		}
		copy(out[i][:], h)
	}
	return out, nil
}

// ParseBundle reads a bundle's JSON strictly: no unknown fields, no key
// named twice in an object, no trailing content.
func ParseBundle(r io.Reader) (Bundle, error) {
	var b Bundle
	data, err := io.ReadAll(io.LimitReader(r, MaxBundle+1))
	if err != nil {
		return b, fmt.Errorf("bundle: %w", err)
	}
	if len(data) > MaxBundle {
		return b, fmt.Errorf("bundle: more than %d bytes", MaxBundle)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return Bundle{}, fmt.Errorf("bundle: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Bundle{}, errors.New("bundle: content after the bundle")
	}
	if err := noDuplicateKeys(json.NewDecoder(bytes.NewReader(data))); err != nil {
		return Bundle{}, fmt.Errorf("bundle: %w", err)
	}
	return b, nil
}

// noDuplicateKeys refuses a JSON value in which an object names a key
// twice, in any case (decoding matches keys regardless of case). Decoding
// keeps the last, other readers may show the first: a bundle must read
// the same to everyone who holds it.
func noDuplicateKeys(dec *json.Decoder) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	switch t {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := k.(string)
			fold := strings.ToLower(strings.ToUpper(key))
			if seen[fold] {
				return fmt.Errorf("the key %q appears twice in one object", key)
			}
			seen[fold] = true
			if err := noDuplicateKeys(dec); err != nil {
				return err
			}
		}
		_, err = dec.Token() // '}'
		return err
	case json.Delim('['):
		for dec.More() {
			if err := noDuplicateKeys(dec); err != nil {
				return err
			}
		}
		_, err = dec.Token() // ']'
		return err
	}
	return nil
}

// VerifiedBundle is what a bundle proves: its events, in order, are
// included in the tree its checkpoint signs.
type VerifiedBundle struct {
	Checkpoint Checkpoint
	Events     []eventstore.RecordedEvent
}

// VerifyBundle checks a bundle offline with only the public key: the
// checkpoint's signature and origin, that the events are one whole stream
// from its first revision with no gap or repeat, that each event's hash
// chain recomputes from its stored bytes, and that each is the leaf its
// inclusion proof places in the checkpoint's tree.
func VerifyBundle(b Bundle, verifier note.Verifier) (VerifiedBundle, error) {
	var out VerifiedBundle
	cp, err := Open([]byte(b.Checkpoint), verifier)
	if err != nil {
		return out, err
	}
	out.Checkpoint = cp
	if c := b.Consistency; c != nil {
		if c.From < 1 || c.From > cp.Size {
			return out, fmt.Errorf("bundle: consistency proof from %d events, outside the checkpoint's tree of %d", c.From, cp.Size)
		}
		if _, err := decodeHashes("bundle: consistency proof", c.Proof); err != nil {
			return out, err
		}
	}
	out.Events, err = checkEvents(b, cp)
	return out, err
}

// ErrStaleBundle says a bundle is proved against a checkpoint older than
// the reader's trusted one: only the server can prove the newer extends
// it, so the reader must fetch a fresh bundle.
var ErrStaleBundle = errors.New("bundle: proved against a checkpoint older than the trusted one")

// CheckTrusted checks a verified bundle against the reader's trusted
// checkpoint (R-AUD-2, R-AUD-3): the bundle's checkpoint must be the
// trusted one, or a newer one that the bundle's consistency proof shows
// extends it. A bundle proved against an older checkpoint is refused with
// ErrStaleBundle.
func CheckTrusted(b Bundle, vb VerifiedBundle, trusted Checkpoint) error {
	cp := vb.Checkpoint
	switch {
	case trusted.Origin != cp.Origin:
		return fmt.Errorf("the bundle's checkpoint is for origin %q, the trusted one for %q", cp.Origin, trusted.Origin)
	case trusted.Size > cp.Size:
		return fmt.Errorf("%w: the bundle's checkpoint has %d events, the trusted one %d: fetch a fresh bundle (GET /v1/referrals/{id}/bundle?trusted_size=%d)",
			ErrStaleBundle, cp.Size, trusted.Size, trusted.Size)
	case trusted.Size == cp.Size:
		if trusted.Hash != cp.Hash {
			return fmt.Errorf("the bundle's checkpoint has a different root than the trusted one of the same size (%d events): history was rewritten or forked", cp.Size)
		}
		return nil
	case trusted.Size == 0:
		return nil // the empty tree is a prefix of every tree
	}
	c := b.Consistency
	if c == nil {
		return fmt.Errorf("the bundle carries no consistency proof from the trusted checkpoint of %d events to its own of %d: fetch it again with ?trusted_size=%d",
			trusted.Size, cp.Size, trusted.Size)
	}
	if c.From != trusted.Size {
		return fmt.Errorf("the bundle's consistency proof is from %d events, the trusted checkpoint has %d: fetch it again with ?trusted_size=%d",
			c.From, trusted.Size, trusted.Size)
	}
	proof, err := decodeHashes("bundle: consistency proof", c.Proof)
	if err != nil {
		return err
	}
	if err := Extends(trusted, cp, proof); err != nil {
		return fmt.Errorf("the bundle's checkpoint does not extend the trusted one: %w", err)
	}
	return nil
}

// checkEvents is VerifyBundle's check of the events against cp.
func checkEvents(b Bundle, cp Checkpoint) ([]eventstore.RecordedEvent, error) {
	var out []eventstore.RecordedEvent
	if len(b.Events) == 0 {
		return out, errors.New("bundle: no events")
	}
	chain := eventstore.NewChainVerifier()
	stream := b.Events[0].Stream
	var lastLeaf int64 = -1
	var lastPos uint64
	for i, e := range b.Events {
		where := fmt.Sprintf("bundle event %d (revision %d)", i, e.Revision)
		if e.Stream != stream {
			return out, fmt.Errorf("%s: stream %q, the bundle is of %q", where, e.Stream, stream)
		}
		if e.Revision != uint64(i) {
			return out, fmt.Errorf("%s: expected revision %d: an event is missing, repeated or out of order", where, i)
		}
		if e.Hash != e.Metadata.Hash || e.PrevHash != e.Metadata.PrevHash {
			return out, fmt.Errorf("%s: hash or prev_hash differs from its metadata", where)
		}
		if i > 0 && (e.LeafIndex <= lastLeaf || e.Position <= lastPos) {
			return out, fmt.Errorf("%s: leaf index or position does not increase", where)
		}
		lastLeaf, lastPos = e.LeafIndex, e.Position
		id, err := uuid.Parse(e.ID)
		if err != nil {
			return out, fmt.Errorf("%s: id: %w", where, err)
		}
		ev := eventstore.RecordedEvent{ID: id, Stream: e.Stream, Revision: e.Revision, Position: eventstore.Position(e.Position),
			Type: e.Type, SchemaVersion: e.SchemaVersion, Data: e.Data, Metadata: e.Metadata}
		if err := chain.Check(ev); err != nil {
			return out, fmt.Errorf("%s: %w", where, err)
		}
		if e.LeafIndex < 0 || e.LeafIndex >= cp.Size {
			return out, fmt.Errorf("%s: leaf %d is outside the checkpoint's tree of %d", where, e.LeafIndex, cp.Size)
		}
		proof, err := decodeHashes(where+": inclusion proof", e.InclusionProof)
		if err != nil {
			return out, err
		}
		leaf, err := LeafHash(ev.Position, ev.Metadata.Hash)
		if err != nil {
			return out, fmt.Errorf("%s: %w", where, err)
		}
		if err := tlog.CheckRecord(proof, cp.Size, cp.Hash, e.LeafIndex, leaf); err != nil {
			return out, fmt.Errorf("%s: not included in the checkpoint's tree: %v", where, err)
		}
		out = append(out, ev)
	}
	return out, nil
}
