package ledger

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/eventstore"
)

// TestDerivedIDs_OPS1: under WithIdempotencyKey the same request mints the
// same ids and event ids, in the same order, on every run, and another
// request other ones; without it ids come from the service's source.
func TestDerivedIDs_OPS1(t *testing.T) {
	random := &Service{mint: uuid.New}
	run := func(seed string) (ids []uuid.UUID) {
		ctx := WithIdempotencyKey(context.Background(), []byte(seed))
		d := derivedIDsFrom(ctx)
		ids = append(ids, random.newID(ctx), random.newID(ctx))
		step := d.nextStep()
		ids = append(ids, step(0), step(1), d.nextStep()(0))
		return ids
	}
	first, again, other := run("user\x00key\x00body"), run("user\x00key\x00body"), run("user\x00key\x00other body")
	seen := map[uuid.UUID]bool{}
	for i := range first {
		if first[i] != again[i] {
			t.Errorf("id %d: %s on the first run, %s on the second", i, first[i], again[i])
		}
		if seen[first[i]] || first[i] == other[i] {
			t.Errorf("id %d (%s) repeats", i, first[i])
		}
		seen[first[i]] = true
	}
	if a, b := random.newID(context.Background()), random.newID(context.Background()); a == b {
		t.Error("without a key, two ids are the same")
	}
}

// TestAlreadyWritten_OPS1: a step's events are found where an earlier run
// appended them, however many others came after.
func TestAlreadyWritten_OPS1(t *testing.T) {
	d := derivedIDsFrom(WithIdempotencyKey(context.Background(), []byte("seed")))
	step := d.nextStep()
	stored := []eventstore.RecordedEvent{
		{ID: uuid.New(), Revision: 0, Position: 10},
		{ID: step(0), Revision: 1, Position: 11},
		{ID: step(1), Revision: 2, Position: 12},
		{ID: uuid.New(), Revision: 3, Position: 20},
	}
	w, ok := alreadyWritten(stored, step)
	if !ok || w != (Written{Revision: 2, Position: 12, Events: 2}) {
		t.Fatalf("alreadyWritten = %+v, %v", w, ok)
	}
	if _, ok := alreadyWritten(stored, d.nextStep()); ok {
		t.Fatal("a step that never ran was found")
	}
}
