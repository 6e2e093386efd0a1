package audit

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/referral-ledger/ledger/eventstore"
)

// Bundle is a case bundle (R-AUD-3): a stream's stored events, encrypted
// data as stored, each with an inclusion proof against the checkpoint.
type Bundle struct {
	Checkpoint string        `json:"checkpoint"` // the signed note
	Events     []BundleEvent `json:"events"`
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
		hs := make([]string, len(proof))
		for i, h := range proof {
			hs[i] = base64.StdEncoding.EncodeToString(h[:])
		}
		b.Events = append(b.Events, BundleEvent{Position: uint64(ev.Position), Stream: ev.Stream, Revision: ev.Revision,
			ID: ev.ID.String(), Type: ev.Type, SchemaVersion: ev.SchemaVersion, Data: ev.Data, Metadata: ev.Metadata,
			Hash: ev.Metadata.Hash, PrevHash: ev.Metadata.PrevHash, LeafIndex: n, InclusionProof: hs})
	}
	return b, nil
}

// ParseBundle reads a bundle's JSON strictly: no unknown fields, no
// duplicate or trailing content.
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
	return b, nil
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
	out.Events, err = checkEvents(b, cp)
	return out, err
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
		proof := make(tlog.RecordProof, len(e.InclusionProof))
		for j, s := range e.InclusionProof {
			h, err := base64.StdEncoding.Strict().DecodeString(s)
			if err != nil || len(h) != tlog.HashSize {
				return out, fmt.Errorf("%s: inclusion proof hash %d is not 32 bytes of base64", where, j)
			}
			copy(proof[j][:], h)
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
