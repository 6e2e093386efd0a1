package storetest

import (
	"testing"

	"github.com/referral-ledger/ledger/eventstore"
)

// Revisions count from 0 within each stream; positions are positive and
// rise strictly across the whole store, in the order appends committed (no
// assumption about where the first one is: KurrentDB's are log offsets).
func testRevisionsAndPositions(t *testing.T, newStore Factory) {
	s, _ := newStore(t)
	streams := []string{"a", "b", "c"}
	last := map[string]eventstore.AppendResult{}
	for round := range 4 {
		for i, stream := range streams {
			res := mustAppend(t, s, stream, eventstore.Any(), events(i+1, "x")...)
			if prev, ok := last[stream]; ok && res.Position <= prev.Position {
				t.Errorf("round %d %s: position %d not after %d", round, stream, res.Position, prev.Position)
			}
			last[stream] = res
		}
	}
	all := readAll(t, s)
	if unlimited, err := s.ReadAll(ctxFor(t), eventstore.Start, 0); err != nil || len(unlimited) != len(all) {
		t.Errorf("ReadAll with limit 0 (no limit) = %d events, %v; want %d", len(unlimited), err, len(all))
	}
	// Positions are strictly increasing and after Start; the embedded store
	// numbers them 1, 2, 3…, KurrentDB uses sparse log offsets.
	if all[0].Position <= eventstore.Start {
		t.Errorf("first position = %d, want one after Start", all[0].Position)
	}
	next := map[string]uint64{}
	for i, ev := range all {
		if i > 0 && ev.Position <= all[i-1].Position {
			t.Errorf("position %d follows %d", ev.Position, all[i-1].Position)
		}
		if ev.Revision != next[ev.Stream] {
			t.Errorf("%s: revision %d, want %d", ev.Stream, ev.Revision, next[ev.Stream])
		}
		next[ev.Stream]++
	}
	for i, stream := range streams {
		want := uint64(4*(i+1) - 1)
		evs := readStream(t, s, stream)
		lastEv := evs[len(evs)-1]
		if res := last[stream]; res.Revision != want || res.Revision != lastEv.Revision || res.Position != lastEv.Position {
			t.Errorf("%s: last AppendResult %+v, want revision %d at the last event's position %d", stream, res, want, lastEv.Position)
		}
	}
}

func testReadStream(t *testing.T, newStore Factory) {
	s, _ := newStore(t)
	for range 10 {
		mustAppend(t, s, "mine", eventstore.Any(), event("x"))
		mustAppend(t, s, "other", eventstore.Any(), event("x"))
	}
	cases := []struct {
		name       string
		stream     string
		from       uint64
		limit      int
		wantFirst  uint64
		wantLength int
	}{
		{"FromStart", "mine", 0, 100, 0, 10},
		{"FromMiddleWithLimit", "mine", 4, 3, 4, 3},
		{"LimitPastEnd", "mine", 8, 10, 8, 2},
		{"FromPastEnd", "mine", 10, 10, 0, 0},
		{"UnknownStream", "nobody", 0, 10, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.ReadStream(ctxFor(t), c.stream, c.from, c.limit)
			if err != nil {
				t.Fatalf("ReadStream: %v", err)
			}
			if len(got) != c.wantLength {
				t.Fatalf("got %d events, want %d", len(got), c.wantLength)
			}
			for i, ev := range got {
				if ev.Stream != c.stream || ev.Revision != c.wantFirst+uint64(i) {
					t.Errorf("event %d is %s/%d, want %s/%d", i, ev.Stream, ev.Revision, c.stream, c.wantFirst+uint64(i))
				}
			}
		})
	}
}

func testReadAll(t *testing.T, newStore Factory) {
	s, _ := newStore(t)
	for i := range 10 {
		mustAppend(t, s, []string{"a", "b"}[i%2], eventstore.Any(), event("x"))
	}
	all := readAll(t, s)
	if len(all) != 10 {
		t.Fatalf("ReadAll returned %d events, want 10", len(all))
	}
	cases := []struct {
		name  string
		after eventstore.Position
		limit int
		want  []eventstore.RecordedEvent
	}{
		{"FromStartWithLimit", eventstore.Start, 4, all[:4]},
		{"AfterPosition", all[3].Position, 100, all[4:]},
		{"AfterHead", all[9].Position, 100, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.ReadAll(ctxFor(t), c.after, c.limit)
			if err != nil {
				t.Fatalf("ReadAll: %v", err)
			}
			sameEvents(t, got, c.want)
		})
	}
}

func testHead(t *testing.T, newStore Factory) {
	s, _ := newStore(t)
	if h, err := s.Head(ctxFor(t)); err != nil || h != eventstore.Start {
		t.Fatalf("Head of an empty store = %d, %v; want Start", h, err)
	}
	var res eventstore.AppendResult
	for _, stream := range []string{"a", "b", "a"} {
		res = mustAppend(t, s, stream, eventstore.Any(), events(2, "x")...)
		if h, err := s.Head(ctxFor(t)); err != nil || h != res.Position {
			t.Fatalf("Head = %d, %v; want the last append's position %d", h, err, res.Position)
		}
	}
}

// R-LEDGER-1: appends, refused appends and retries never change an event
// already stored.
func testEarlierEventsNeverChange(t *testing.T, newStore Factory) {
	s, _ := newStore(t)
	first := events(3, "x")
	mustAppend(t, s, "a", eventstore.NoStream(), first...)
	mustAppend(t, s, "b", eventstore.NoStream(), event("x"))
	before := readAll(t, s)

	mustAppend(t, s, "a", eventstore.Exact(2), event("y"))
	_, _ = s.Append(ctxFor(t), "a", eventstore.Exact(0), event("conflict"))
	_, _ = s.Append(ctxFor(t), "a", eventstore.Any(), first...)
	_, _ = s.Append(ctxFor(t), "c", eventstore.Any(), first[0])
	mustAppend(t, s, "b", eventstore.Any(), event("z"))

	after := readAll(t, s)
	if len(after) != len(before)+2 {
		t.Fatalf("store has %d events, want %d", len(after), len(before)+2)
	}
	sameEvents(t, after[:len(before)], before)
}
