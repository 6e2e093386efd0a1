package kurrentdb_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/eventstore"
)

// event returns a fresh ledger event with a JSON payload.
func event(typ string) eventstore.EventData {
	id := uuid.New()
	return eventstore.EventData{
		ID: id, Type: typ, SchemaVersion: 1,
		Data:     fmt.Appendf(nil, `{"id":%q}`, id),
		Metadata: eventstore.Metadata{ActorUserID: "user-1", CorrelationID: "corr-" + id.String()[:8]},
	}
}

func referral() string { return "referral-" + uuid.NewString() }

func mustAppend(tb testing.TB, s eventstore.Store, stream string, expected eventstore.ExpectedRevision, evs ...eventstore.EventData) eventstore.AppendResult {
	tb.Helper()
	res, err := s.Append(ctxFor(tb), stream, expected, evs...)
	if err != nil {
		tb.Fatalf("Append(%q, %s): %v", stream, expected, err)
	}
	return res
}

// readAll returns every ledger event, paging as a consumer would.
func readAll(tb testing.TB, s eventstore.Store) []eventstore.RecordedEvent {
	tb.Helper()
	var out []eventstore.RecordedEvent
	after := eventstore.Start
	for {
		page, err := s.ReadAll(ctxFor(tb), after, 50)
		if err != nil {
			tb.Fatalf("ReadAll(after %d): %v", after, err)
		}
		if len(page) == 0 {
			return out
		}
		out = append(out, page...)
		after = page[len(page)-1].Position
	}
}

// receive takes n events from sub or fails.
func receive(tb testing.TB, sub eventstore.Subscription, n int) []eventstore.RecordedEvent {
	tb.Helper()
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	out := make([]eventstore.RecordedEvent, 0, n)
	for len(out) < n {
		select {
		case ev, ok := <-sub.Events():
			if !ok {
				tb.Fatalf("subscription ended after %d of %d events: %v", len(out), n, sub.Err())
			}
			out = append(out, ev)
		case <-deadline.C:
			tb.Fatalf("received %d of %d events before timing out", len(out), n)
		}
	}
	return out
}

// sameOrder fails unless got and want are the same events (by id and
// position) in the same order.
func sameOrder(tb testing.TB, got, want []eventstore.RecordedEvent) {
	tb.Helper()
	if len(got) != len(want) {
		tb.Fatalf("got %d events, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].ID != want[i].ID || got[i].Position != want[i].Position {
			tb.Fatalf("event %d is %s at %d, want %s at %d", i, got[i].ID, got[i].Position, want[i].ID, want[i].Position)
		}
	}
}

// eventually polls cond until it holds or 20s pass.
func eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
