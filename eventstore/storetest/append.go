package storetest

import (
	"errors"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/eventstore"
)

var hexHash = regexp.MustCompile(`^[0-9a-f]{64}$`)

// R-LEDGER-3: who, when (UTC), correlation, causation and schema version are
// all recorded and read back unchanged.
func testRoundTrip(t *testing.T, newStore Factory) {
	s, _ := newStore(t)
	ev := event("referral.made")
	ev.SchemaVersion = 3
	ev.Metadata.RecordedAt = time.Date(2026, 3, 1, 10, 30, 0, 123456789, time.FixedZone("CET", 3600))
	res := mustAppend(t, s, "referral-1", eventstore.NoStream(), ev)

	for name, got := range map[string][]eventstore.RecordedEvent{
		"ReadStream": readStream(t, s, "referral-1"),
		"ReadAll":    readAll(t, s),
	} {
		if len(got) != 1 {
			t.Fatalf("%s: got %d events, want 1", name, len(got))
		}
		g := got[0]
		want := eventstore.RecordedEvent{ID: ev.ID, Stream: "referral-1", Revision: 0, Position: res.Position,
			Type: "referral.made", SchemaVersion: 3, Data: ev.Data, Metadata: ev.Metadata}
		want.Metadata.PrevHash, want.Metadata.Hash = eventstore.GenesisHash, g.Metadata.Hash
		if d := diff(g, want); d != "" {
			t.Errorf("%s: %s", name, d)
		}
		if g.Metadata.RecordedAt.Location() != time.UTC {
			t.Errorf("%s: RecordedAt in %v, want UTC", name, g.Metadata.RecordedAt.Location())
		}
		if !hexHash.MatchString(g.Metadata.Hash) {
			t.Errorf("%s: Hash %q is not a hex SHA-256", name, g.Metadata.Hash)
		}
	}
	if res.Revision != 0 {
		t.Errorf("AppendResult.Revision = %d, want 0", res.Revision)
	}
}

func testRecordedAtDefault(t *testing.T, newStore Factory) {
	s, _ := newStore(t)
	before := time.Now()
	mustAppend(t, s, "s", eventstore.Any(), event("a"))
	after := time.Now()
	got := readStream(t, s, "s")[0].Metadata.RecordedAt
	if got.Location() != time.UTC || got.Before(before.Add(-time.Second)) || got.After(after.Add(time.Second)) {
		t.Errorf("RecordedAt = %v, want UTC between %v and %v", got, before, after)
	}
}

// R-LEDGER-2: an append is refused, not merged, when its expectation fails,
// and the ConflictError says what the stream really was.
func testExpectedRevision(t *testing.T, newStore Factory) {
	cases := []struct {
		name     string
		existing int // events already in the stream
		expected eventstore.ExpectedRevision
		conflict bool
	}{
		{"NoStream_OnNewStream", 0, eventstore.NoStream(), false},
		{"NoStream_OnExistingStream", 3, eventstore.NoStream(), true},
		{"Exact_AtHead", 3, eventstore.Exact(2), false},
		{"Exact_Stale", 3, eventstore.Exact(1), true},
		{"Exact_Ahead", 3, eventstore.Exact(5), true},
		{"Exact_OnNewStream", 0, eventstore.Exact(0), true},
		{"Any_OnNewStream", 0, eventstore.Any(), false},
		{"Any_OnExistingStream", 3, eventstore.Any(), false},
	}
	s, _ := newStore(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stream := "expect-" + c.name
			if c.existing > 0 {
				mustAppend(t, s, stream, eventstore.NoStream(), events(c.existing, "x")...)
			}
			res, err := s.Append(ctxFor(t), stream, c.expected, event("y"))
			if !c.conflict {
				if err != nil {
					t.Fatalf("Append: %v", err)
				}
				if res.Revision != uint64(c.existing) {
					t.Errorf("Revision = %d, want %d", res.Revision, c.existing)
				}
				return
			}
			var ce *eventstore.ConflictError
			if !errors.As(err, &ce) {
				t.Fatalf("Append error = %v, want *ConflictError", err)
			}
			want := eventstore.ConflictError{Stream: stream, Expected: c.expected, Exists: c.existing > 0}
			if c.existing > 0 {
				want.Actual = uint64(c.existing - 1)
			}
			if *ce != want {
				t.Errorf("ConflictError = %+v, want %+v", *ce, want)
			}
			if n := len(readStream(t, s, stream)); n != c.existing {
				t.Errorf("stream has %d events after a refused append, want %d", n, c.existing)
			}
		})
	}
}

// R-LEDGER-2: of many writers racing at the same expected revision, exactly
// one wins and every other one gets a conflict; nothing is merged.
func testConcurrentOneWins(t *testing.T, newStore Factory) {
	const writers = 50
	cases := []struct {
		name     string
		existing int
		expected eventstore.ExpectedRevision
	}{
		{"Exact", 1, eventstore.Exact(0)},
		{"NoStream", 0, eventstore.NoStream()},
	}
	s, _ := newStore(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stream := "race-" + c.name
			if c.existing > 0 {
				mustAppend(t, s, stream, eventstore.NoStream(), events(c.existing, "x")...)
			}
			start := make(chan struct{})
			errs := make(chan error, writers)
			var wg sync.WaitGroup
			for range writers {
				wg.Go(func() {
					<-start
					_, err := s.Append(ctxFor(t), stream, c.expected, event("y"))
					errs <- err
				})
			}
			close(start)
			wg.Wait()
			close(errs)
			wins, conflicts := 0, 0
			for err := range errs {
				var ce *eventstore.ConflictError
				switch {
				case err == nil:
					wins++
				case errors.As(err, &ce):
					conflicts++
					if !ce.Exists || ce.Actual != uint64(c.existing) {
						t.Errorf("conflict reports %+v, want the winner's revision %d", *ce, c.existing)
					}
				default:
					t.Errorf("Append: unexpected error %v", err)
				}
			}
			if wins != 1 || conflicts != writers-1 {
				t.Errorf("%d wins and %d conflicts, want 1 and %d", wins, conflicts, writers-1)
			}
			if n := len(readStream(t, s, stream)); n != c.existing+1 {
				t.Errorf("stream has %d events, want %d", n, c.existing+1)
			}
		})
	}
}

// A retried append (same ids, same stream, same order) returns the original
// result and writes nothing, whatever its expected revision now says.
func testIdempotentRetry(t *testing.T, newStore Factory) {
	s, _ := newStore(t)
	evs := events(2, "retry")
	first := mustAppend(t, s, "retry", eventstore.NoStream(), evs...)
	mustAppend(t, s, "retry", eventstore.Exact(1), event("later"))
	head, err := s.Head(ctxFor(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, expected := range []eventstore.ExpectedRevision{eventstore.NoStream(), eventstore.Any(), eventstore.Exact(0), eventstore.Exact(7)} {
		got, err := s.Append(ctxFor(t), "retry", expected, evs...)
		if err != nil || got != first {
			t.Errorf("retry with %s = %+v, %v; want %+v, nil", expected, got, err, first)
		}
	}
	if h, _ := s.Head(ctxFor(t)); h != head {
		t.Errorf("Head moved from %d to %d after retries", head, h)
	}
	if n := len(readStream(t, s, "retry")); n != 3 {
		t.Errorf("stream has %d events, want 3", n)
	}

	t.Run("Concurrent", func(t *testing.T) {
		const retries = 20
		ev := event("once")
		results := make(chan eventstore.AppendResult, retries)
		var wg sync.WaitGroup
		for range retries {
			wg.Go(func() {
				res, err := s.Append(ctxFor(t), "retry-concurrent", eventstore.NoStream(), ev)
				if err != nil {
					t.Errorf("Append: %v", err)
				}
				results <- res
			})
		}
		wg.Wait()
		close(results)
		want := <-results
		for res := range results {
			if res != want {
				t.Errorf("retry answered %+v, another %+v", res, want)
			}
		}
		if n := len(readStream(t, s, "retry-concurrent")); n != 1 {
			t.Errorf("stream has %d events, want 1", n)
		}
	})
}

// An id already stored anywhere but in the retried position is a caller bug,
// refused with ErrInvalid rather than silently dropped or duplicated.
func testReusedIDRefused(t *testing.T, newStore Factory) {
	s, _ := newStore(t)
	a, b := event("a"), event("b")
	mustAppend(t, s, "owner", eventstore.NoStream(), a, b)
	cases := map[string]struct {
		stream string
		evs    []eventstore.EventData
	}{
		"OtherStream":   {"thief", []eventstore.EventData{a}},
		"OtherOrder":    {"owner", []eventstore.EventData{b, a}},
		"MixedNewFirst": {"owner", []eventstore.EventData{event("new"), a}},
		"MixedNewLast":  {"owner", []eventstore.EventData{a, b, event("new")}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			head, _ := s.Head(ctxFor(t))
			_, err := s.Append(ctxFor(t), c.stream, eventstore.Any(), c.evs...)
			if !errors.Is(err, eventstore.ErrInvalid) {
				t.Errorf("Append error = %v, want ErrInvalid", err)
			}
			if h, _ := s.Head(ctxFor(t)); h != head {
				t.Errorf("Head moved from %d to %d after a refused append", head, h)
			}
		})
	}
}

func testInvalidAppend(t *testing.T, newStore Factory) {
	s, _ := newStore(t)
	with := func(change func(*eventstore.EventData)) []eventstore.EventData {
		ev := event("x")
		change(&ev)
		return []eventstore.EventData{ev}
	}
	dup := event("dup")
	cases := map[string]struct {
		stream string
		evs    []eventstore.EventData
	}{
		"NoEvents":         {"s", nil},
		"EmptyStream":      {"", events(1, "x")},
		"NilID":            {"s", with(func(e *eventstore.EventData) { e.ID = uuid.Nil })},
		"EmptyType":        {"s", with(func(e *eventstore.EventData) { e.Type = "" })},
		"SchemaVersion0":   {"s", with(func(e *eventstore.EventData) { e.SchemaVersion = 0 })},
		"DuplicateInOneGo": {"s", []eventstore.EventData{dup, event("y"), dup}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := s.Append(ctxFor(t), c.stream, eventstore.Any(), c.evs...)
			if !errors.Is(err, eventstore.ErrInvalid) {
				t.Errorf("Append error = %v, want ErrInvalid", err)
			}
		})
	}
	if h, err := s.Head(ctxFor(t)); err != nil || h != eventstore.Start {
		t.Errorf("Head = %d, %v after only invalid appends, want Start", h, err)
	}
}
