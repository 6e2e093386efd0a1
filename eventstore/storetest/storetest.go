// Package storetest is the contract every eventstore backend must pass: one
// suite, run by each backend's own tests, so backends cannot drift apart.
//
//	func TestContract(t *testing.T) { storetest.Run(t, newStore) }
package storetest

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/eventstore"
)

// Factory returns a new, empty store for one test and arranges (with
// tb.Cleanup) for it to be closed; the suite may close it first, so Close
// must be safe to call twice. reopen, when not nil, opens the same ledger
// again after the suite has closed store; the suite closes what it returns.
// A backend that keeps nothing across reopening returns a nil reopen, and
// the durability cases are skipped.
type Factory func(tb testing.TB) (store eventstore.Store, reopen func() eventstore.Store)

// timeout bounds every wait in the suite. It only turns a hang into a
// failure; nothing waits for it to pass.
const timeout = 15 * time.Second

// Run runs the whole contract against stores made by newStore, one fresh
// store per case.
func Run(t *testing.T, newStore Factory) {
	cases := []struct {
		name string
		run  func(*testing.T, Factory)
	}{
		{"RoundTripEnvelope_R-LEDGER-3", testRoundTrip},
		{"RecordedAtDefaultsToNowUTC_R-LEDGER-3", testRecordedAtDefault},
		{"ExpectedRevision_R-LEDGER-2", testExpectedRevision},
		{"ConcurrentAppendsOneWins_R-LEDGER-2", testConcurrentOneWins},
		{"RevisionsAndPositions", testRevisionsAndPositions},
		{"ReadStream", testReadStream},
		{"ReadAll", testReadAll},
		{"Head", testHead},
		{"IdempotentRetry", testIdempotentRetry},
		{"ReusedIDRefused", testReusedIDRefused},
		{"InvalidAppendRefused", testInvalidAppend},
		{"EarlierEventsNeverChange_R-LEDGER-1", testEarlierEventsNeverChange},
		{"ChainVerifies_R-LEDGER-4", testChainVerifies},
		{"SubscribeCatchUpThenLive", testSubscribeCatchUpThenLive},
		{"SubscribeAfterPosition", testSubscribeAfterPosition},
		{"SubscribeCancel", testSubscribeCancel},
		{"SubscribeEndsOnStoreClose", testSubscribeEndsOnStoreClose},
		{"ClosedStoreRefuses", testClosedStore},
		{"ReopenKeepsEverything", testReopen},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, newStore) })
	}
}

// ctxFor returns a context that ends with the test or after timeout.
func ctxFor(tb testing.TB) context.Context {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	tb.Cleanup(cancel)
	return ctx
}

// event returns a fresh event with every envelope field filled in except
// RecordedAt (left for the store) and the hashes (the store's to set).
func event(typ string) eventstore.EventData {
	id := uuid.New()
	return eventstore.EventData{
		ID: id, Type: typ, SchemaVersion: 1,
		Data: fmt.Appendf(nil, `{"id":%q}`, id),
		Metadata: eventstore.Metadata{
			ActorUserID: "user-1", ActorOrganisationID: "org-1",
			CorrelationID: "corr-" + id.String()[:8], CausationID: "cause-" + id.String()[:8],
		},
	}
}

func events(n int, typ string) []eventstore.EventData {
	out := make([]eventstore.EventData, n)
	for i := range out {
		out[i] = event(typ)
	}
	return out
}

func mustAppend(tb testing.TB, s eventstore.Store, stream string, expected eventstore.ExpectedRevision, evs ...eventstore.EventData) eventstore.AppendResult {
	tb.Helper()
	res, err := s.Append(ctxFor(tb), stream, expected, evs...)
	if err != nil {
		tb.Fatalf("Append(%q, %s, %d events): %v", stream, expected, len(evs), err)
	}
	return res
}

// MustAppend appends events to stream, failing the test on any error; for
// backends' own tests beside the contract suite.
func MustAppend(tb testing.TB, s eventstore.Store, stream string, expected eventstore.ExpectedRevision, evs ...eventstore.EventData) eventstore.AppendResult {
	tb.Helper()
	return mustAppend(tb, s, stream, expected, evs...)
}

// ReadAll returns every event in the store, paging as a consumer would,
// failing the test on any error.
func ReadAll(tb testing.TB, s eventstore.Store) []eventstore.RecordedEvent {
	tb.Helper()
	return readAll(tb, s)
}

// Receive takes n events from sub, failing the test if they do not arrive
// in time or the feed ends early.
func Receive(tb testing.TB, sub eventstore.Subscription, n int) []eventstore.RecordedEvent {
	tb.Helper()
	return receive(tb, sub, n)
}

// readAll returns every event in the store, paging as a consumer would.
func readAll(tb testing.TB, s eventstore.Store) []eventstore.RecordedEvent {
	tb.Helper()
	var out []eventstore.RecordedEvent
	after := eventstore.Start
	for {
		page, err := s.ReadAll(ctxFor(tb), after, 7)
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

func readStream(tb testing.TB, s eventstore.Store, stream string) []eventstore.RecordedEvent {
	tb.Helper()
	evs, err := s.ReadStream(ctxFor(tb), stream, 0, 0) // 0: no limit
	if err != nil {
		tb.Fatalf("ReadStream(%q): %v", stream, err)
	}
	return evs
}

// diff describes how got differs from want, or returns "" when they are the
// same event. Times compare as instants; data compares as bytes.
func diff(got, want eventstore.RecordedEvent) string {
	gm, wm := got.Metadata, want.Metadata
	switch {
	case got.ID != want.ID:
		return fmt.Sprintf("id %s, want %s", got.ID, want.ID)
	case got.Stream != want.Stream || got.Revision != want.Revision || got.Position != want.Position:
		return fmt.Sprintf("at %q/%d/%d, want %q/%d/%d", got.Stream, got.Revision, got.Position, want.Stream, want.Revision, want.Position)
	case got.Type != want.Type || got.SchemaVersion != want.SchemaVersion:
		return fmt.Sprintf("type %q v%d, want %q v%d", got.Type, got.SchemaVersion, want.Type, want.SchemaVersion)
	case !bytes.Equal(got.Data, want.Data):
		return fmt.Sprintf("data %q, want %q", got.Data, want.Data)
	case !gm.RecordedAt.Equal(wm.RecordedAt):
		return fmt.Sprintf("recorded at %v, want %v", gm.RecordedAt, wm.RecordedAt)
	}
	gm.RecordedAt, wm.RecordedAt = time.Time{}, time.Time{}
	if gm != wm {
		return fmt.Sprintf("metadata %+v, want %+v", gm, wm)
	}
	return ""
}

func sameEvents(tb testing.TB, got, want []eventstore.RecordedEvent) {
	tb.Helper()
	if len(got) != len(want) {
		tb.Fatalf("got %d events, want %d", len(got), len(want))
	}
	for i := range got {
		if d := diff(got[i], want[i]); d != "" {
			tb.Fatalf("event %d: %s", i, d)
		}
	}
}
