package kurrentdbtest_test

import (
	"context"
	"errors"
	"io"
	"math"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/eventstore/kurrentdb/kurrentdbtest"
)

// These tests drive the double with the bare client, pinning down the
// protocol behaviour the adapter relies on, as KurrentDB documents it.

func TestAppendConcurrencyAndIdempotency(t *testing.T) {
	url, _ := kurrentdbtest.Start(t)
	c := client(t, url)
	ev := esdb.EventData{EventID: uuid.New(), EventType: "made", ContentType: esdb.ContentTypeJson, Data: []byte(`{}`)}
	first, err := c.AppendToStream(ctx(t), "s", esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}}, ev)
	if err != nil || first.CommitPosition != 1 {
		t.Fatalf("first append = %+v, %v; want commit position 1", first, err)
	}
	cases := []struct {
		name     string
		expected esdb.ExpectedRevision
		events   []esdb.EventData
		want     esdb.ErrorCode // 0: success
	}{
		{"RetryNoStreamIsIdempotent", esdb.NoStream{}, []esdb.EventData{ev}, 0},
		{"RetryAnyIsIdempotent", esdb.Any{}, []esdb.EventData{ev}, 0},
		{"NewEventNoStream", esdb.NoStream{}, []esdb.EventData{other()}, esdb.ErrorCodeWrongExpectedVersion},
		{"NewEventStaleRevision", esdb.Revision(5), []esdb.EventData{other()}, esdb.ErrorCodeWrongExpectedVersion},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := c.AppendToStream(ctx(t), "s", esdb.AppendToStreamOptions{ExpectedRevision: tc.expected}, tc.events...)
			if tc.want == 0 {
				// A recognised retry writes nothing and, like KurrentDB,
				// reports no position.
				if err != nil || res.CommitPosition != 0 {
					t.Errorf("append = %+v, %v; want success without a position", res, err)
				}
				return
			}
			var e *esdb.Error
			if !errors.As(err, &e) || e.Code() != tc.want {
				t.Errorf("append error = %v, want code %d", err, tc.want)
			}
		})
	}
}

func TestReadsAndPositions(t *testing.T) {
	url, ctl := kurrentdbtest.Start(t)
	c := client(t, url)
	for range 3 {
		if _, err := c.AppendToStream(ctx(t), "s", esdb.AppendToStreamOptions{}, other(), other()); err != nil {
			t.Fatal(err)
		}
	}
	all := ctl.All()
	for i := 1; i < len(all); i++ {
		if all[i].Position <= all[i-1].Position+1 {
			t.Errorf("positions %d then %d: want sparse, increasing log offsets", all[i-1].Position, all[i].Position)
		}
	}

	t.Run("StreamReadsCarryNoPosition", func(t *testing.T) {
		evs := drain(t)(c.ReadStream(ctx(t), "s", esdb.ReadStreamOptions{From: esdb.Revision(4)}, 10))
		if len(evs) != 2 || evs[0].EventNumber != 4 || evs[0].Position.Commit != math.MaxUint64 {
			t.Errorf("read from revision 4 = %d events, first %+v; want 2 with no $all position", len(evs), evs)
		}
	})
	t.Run("UnknownStreamNotFound", func(t *testing.T) {
		rs, err := c.ReadStream(ctx(t), "nobody", esdb.ReadStreamOptions{}, 10)
		if err == nil {
			_, err = rs.Recv()
			rs.Close()
		}
		var e *esdb.Error
		if !errors.As(err, &e) || e.Code() != esdb.ErrorCodeResourceNotFound {
			t.Errorf("read of an unknown stream = %v, want ErrorCodeResourceNotFound", err)
		}
	})
	t.Run("AllFromPositionIncludesIt", func(t *testing.T) {
		at := esdb.Position{Commit: all[2].Position, Prepare: all[2].Position}
		evs := drain(t)(c.ReadAll(ctx(t), esdb.ReadAllOptions{From: at}, 2))
		if len(evs) != 2 || evs[0].Position != at {
			t.Errorf("read of $all from %v starts at %v", at, evs[0].Position)
		}
	})
	t.Run("AllBackwardsFromEnd", func(t *testing.T) {
		evs := drain(t)(c.ReadAll(ctx(t), esdb.ReadAllOptions{Direction: esdb.Backwards, From: esdb.End{}}, 1))
		if len(evs) != 1 || evs[0].Position.Commit != all[len(all)-1].Position {
			t.Errorf("last record = %+v, want at %d", evs, all[len(all)-1].Position)
		}
	})
}

// A filtered subscription from a position delivers the matching events
// after it (not the one at it), checkpoints and CaughtUp, then live events,
// and ends when the test drops it.
func TestFilteredSubscription(t *testing.T) {
	url, ctl := kurrentdbtest.Start(t)
	c := client(t, url)
	at := ctl.AppendRaw("ledger-1", "x", []byte(`{}`))
	ctl.AppendRaw("ledger-2", "x", []byte(`{}`))
	for range 40 {
		ctl.AppendRaw("$stats", "$s", []byte(`{}`))
	}
	sub, err := c.SubscribeToAll(ctx(t), esdb.SubscribeToAllOptions{
		From:   esdb.Position{Commit: at, Prepare: at},
		Filter: &esdb.SubscriptionFilter{Type: esdb.StreamFilterType, Prefixes: []string{"ledger-"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	var streams []string
	checkpoints, caughtUp := 0, false
	for !caughtUp {
		e := sub.Recv()
		switch {
		case e.EventAppeared != nil:
			streams = append(streams, e.EventAppeared.OriginalEvent().StreamID)
		case e.CheckPointReached != nil:
			checkpoints++
		case e.CaughtUp != nil:
			caughtUp = true
		case e.SubscriptionDropped != nil:
			t.Fatalf("dropped: %v", e.SubscriptionDropped.Error)
		}
	}
	if len(streams) != 1 || streams[0] != "ledger-2" || checkpoints == 0 {
		t.Errorf("caught up with %v and %d checkpoints, want only ledger-2 (after the start) and checkpoints", streams, checkpoints)
	}
	ctl.AppendRaw("ledger-3", "x", []byte(`{}`))
	if e := sub.Recv(); e.EventAppeared == nil || e.EventAppeared.OriginalEvent().StreamID != "ledger-3" {
		t.Errorf("live message = %+v, want ledger-3", e)
	}
	if n := ctl.DropSubscriptions(); n != 1 {
		t.Errorf("dropped %d subscriptions, want 1", n)
	}
	if e := sub.Recv(); e.SubscriptionDropped == nil {
		t.Errorf("after the drop got %+v, want SubscriptionDropped", e)
	}
}

// Stop makes the server unreachable; Restart brings it back on the same
// port with the same events.
func TestStopRestart(t *testing.T) {
	url, ctl := kurrentdbtest.Start(t)
	ctl.AppendRaw("s", "x", []byte(`{}`))
	ctl.Stop()
	if _, err := kurrentdbtestRead(t, url); err == nil {
		t.Error("a read succeeded with the server stopped")
	}
	ctl.Restart()
	evs, err := kurrentdbtestRead(t, url)
	if err != nil || len(evs) != 1 {
		t.Errorf("after Restart read %d events, %v; want the one stored before", len(evs), err)
	}
}

func kurrentdbtestRead(t *testing.T, url string) ([]*esdb.RecordedEvent, error) {
	cfg, err := esdb.ParseConnectionString(url + "&maxDiscoverAttempts=1")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Logger = esdb.NoopLogging()
	c, err := esdb.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rs, err := c.ReadAll(ctx(t), esdb.ReadAllOptions{}, 10)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []*esdb.RecordedEvent
	for {
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, ev.OriginalEvent())
	}
}

func client(t *testing.T, url string) *esdb.Client {
	t.Helper()
	cfg, err := esdb.ParseConnectionString(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Logger = esdb.NoopLogging()
	c, err := esdb.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// drain returns a function that reads a read's every event, failing t on
// an error.
func drain(t *testing.T) func(*esdb.ReadStream, error) []*esdb.RecordedEvent {
	return func(rs *esdb.ReadStream, err error) []*esdb.RecordedEvent {
		t.Helper()
		return drainRead(t, rs, err)
	}
}

func drainRead(t *testing.T, rs *esdb.ReadStream, err error) []*esdb.RecordedEvent {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	var out []*esdb.RecordedEvent
	for {
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev.OriginalEvent())
	}
}

func other() esdb.EventData {
	return esdb.EventData{EventID: uuid.New(), EventType: "other", ContentType: esdb.ContentTypeJson, Data: []byte(`{}`)}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}
