package ledger

import (
	"context"
	"encoding/binary"
	"sync"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/eventstore"
)

// WithIdempotencyKey returns ctx under which a command can be repeated
// without effect (R-OPS-1): every id it mints (a new referral's, a new
// client's, a note's…) and every event id it appends derive from seed, in
// the order the command mints and appends them, instead of being random.
// The caller makes seed from the user, the Idempotency-Key and the request
// itself, so that a retry of the same request, even after a crash lost
// every other record of the first, produces the same ids: a stream that
// already holds the events a step would append is not appended to again
// (execute answers from what is stored), and an append that was in flight
// is deduplicated by the store, which keeps one copy of an event id. A
// different request under the same key derives other ids.
func WithIdempotencyKey(ctx context.Context, seed []byte) context.Context {
	d := &derivedIDs{seed: append([]byte(nil), seed...)}
	return context.WithValue(ctx, derivedIDsKey{}, d)
}

type derivedIDsKey struct{}

// withoutIdempotencyKey returns ctx without WithIdempotencyKey's seed: a
// step that must not be taken for its earlier run gets fresh ids.
func withoutIdempotencyKey(ctx context.Context) context.Context {
	return context.WithValue(ctx, derivedIDsKey{}, (*derivedIDs)(nil))
}

// derivedIDs mints the ids of one request from its seed: the n-th id it
// mints and the i-th event of its n-th append are the same on every run
// of the same request.
type derivedIDs struct {
	seed []byte

	mu      sync.Mutex
	minted  int // ids minted so far
	appends int // steps (execute calls) begun so far
}

// derivedNamespace is the UUIDv5 namespace of derived ids, so they collide
// with no other name-based id of the ledger.
var derivedNamespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("urn:referral-ledger:idempotent-request"))

func derivedIDsFrom(ctx context.Context) *derivedIDs {
	d, _ := ctx.Value(derivedIDsKey{}).(*derivedIDs)
	return d
}

// derive is the UUIDv5 of the seed, what the id is for, and its indices.
func (d *derivedIDs) derive(kind byte, n, i int) uuid.UUID {
	b := make([]byte, 0, len(d.seed)+17)
	b = append(b, d.seed...)
	b = append(b, kind)
	b = binary.BigEndian.AppendUint64(b, uint64(n))
	b = binary.BigEndian.AppendUint64(b, uint64(i))
	return uuid.NewSHA1(derivedNamespace, b)
}

// nextID mints the request's next id.
func (d *derivedIDs) nextID() uuid.UUID {
	d.mu.Lock()
	n := d.minted
	d.minted++
	d.mu.Unlock()
	return d.derive('i', n, 0)
}

// nextStep returns the event ids of the request's next step: the id of its
// i-th event.
func (d *derivedIDs) nextStep() func(i int) uuid.UUID {
	d.mu.Lock()
	n := d.appends
	d.appends++
	d.mu.Unlock()
	return func(i int) uuid.UUID { return d.derive('e', n, i) }
}

// newID mints an id: derived from the request under WithIdempotencyKey,
// else from the service's id source.
func (s *Service) newID(ctx context.Context) uuid.UUID {
	if d := derivedIDsFrom(ctx); d != nil {
		return d.nextID()
	}
	return s.mint()
}

// alreadyWritten finds in a stream the events a step with eventID already
// appended, on an earlier run of the same request: the first of them has
// eventID(0), and the rest follow it. It says where the last landed.
func alreadyWritten(stored []eventstore.RecordedEvent, eventID func(int) uuid.UUID) (Written, bool) {
	first := eventID(0)
	for j, rec := range stored {
		if rec.ID != first {
			continue
		}
		k := 1
		for j+k < len(stored) && stored[j+k].ID == eventID(k) {
			k++
		}
		last := stored[j+k-1]
		return Written{Revision: last.Revision, Position: last.Position, Events: k}, true
	}
	return Written{}, false
}
