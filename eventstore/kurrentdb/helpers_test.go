package kurrentdb_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/storetest"
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

// The contract suite's helpers serve these tests too.
var (
	mustAppend = storetest.MustAppend
	readAll    = storetest.ReadAll
	receive    = storetest.Receive
)

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
