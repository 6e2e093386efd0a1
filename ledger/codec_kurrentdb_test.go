package ledger

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/kurrentdb"
	"github.com/referral-ledger/ledger/eventstore/kurrentdb/kurrentdbtest"
)

// TestEveryEventTypeRoundTripsThroughKurrentDB_OPS2_LOCK1: every event
// type's golden sample, client.lock_request_withdrawn included, encoded
// by the codec, is stored by the KurrentDB adapter (here on its protocol
// test double) under its own event type name, keeps its metadata and
// decodes to the same payload (R-OPS-2, R-LOCK-1).
func TestEveryEventTypeRoundTripsThroughKurrentDB_OPS2_LOCK1(t *testing.T) {
	url, ctl := kurrentdbtest.Start(t)
	ctx := context.Background()
	store, err := kurrentdb.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	codec := NewCodec(newMemKeys())
	client := uuid.New()
	stream := ClientStream(client)
	for i, ev := range sampleEvents() {
		meta := eventstore.Metadata{ActorUserID: uuid.NewString(), CorrelationID: uuid.NewString(),
			RecordedAt: time.Date(2026, 11, 23, 9, 0, i, 0, time.UTC)}
		data, err := codec.Encode(ctx, uuid.New(), ev, meta)
		if err != nil {
			t.Fatalf("%s: %v", ev.EventType(), err)
		}
		expected := eventstore.NoStream()
		if i > 0 {
			expected = eventstore.Exact(uint64(i - 1))
		}
		if _, err := store.Append(ctx, stream, expected, data); err != nil {
			t.Fatalf("%s: %v", ev.EventType(), err)
		}
	}
	stored := ctl.Stream(stream)
	read, err := store.ReadStream(ctx, stream, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	samples := sampleEvents()
	if len(read) != len(samples) || len(stored) != len(samples) {
		t.Fatalf("read %d, stored %d events, want %d", len(read), len(stored), len(samples))
	}
	for i, ev := range samples {
		if stored[i].Type != ev.EventType() || read[i].Type != ev.EventType() {
			t.Errorf("event %d stored as %q, read as %q, want %q", i, stored[i].Type, read[i].Type, ev.EventType())
			continue
		}
		rec, err := codec.Decode(ctx, read[i])
		if err != nil {
			t.Errorf("%s: %v", ev.EventType(), err)
			continue
		}
		if !reflect.DeepEqual(rec.Event, ev) {
			t.Errorf("%s decoded %#v, want %#v", ev.EventType(), rec.Event, ev)
		}
		if !rec.At.Equal(time.Date(2026, 11, 23, 9, 0, i, 0, time.UTC)) || read[i].Metadata.Hash == "" {
			t.Errorf("%s: metadata not carried: %+v", ev.EventType(), read[i].Metadata)
		}
	}
}
