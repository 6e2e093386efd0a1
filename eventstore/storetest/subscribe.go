package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/eventstore"
)

// receive takes n events from sub, failing the test if they do not arrive
// within timeout or the feed ends early.
func receive(tb testing.TB, sub eventstore.Subscription, n int) []eventstore.RecordedEvent {
	tb.Helper()
	deadline := time.NewTimer(timeout)
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

// ended waits for sub's feed to close, discarding anything still buffered,
// and returns Err.
func ended(tb testing.TB, sub eventstore.Subscription) error {
	tb.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		select {
		case _, ok := <-sub.Events():
			if !ok {
				return sub.Err()
			}
		case <-deadline.C:
			tb.Fatalf("subscription did not end")
		}
	}
}

// A subscriber that starts while writers are busy sees every event exactly
// once, in position order: stored ones first, then live ones, no gap where
// catch-up hands over to live.
func testSubscribeCatchUpThenLive(t *testing.T, newStore Factory) {
	s, _ := newStore(t)
	const writers, perWriter, stored = 6, 40, 25
	for i := range stored {
		mustAppend(t, s, fmt.Sprintf("old-%d", i%5), eventstore.Any(), event("old"))
	}
	sub := s.Subscribe(ctxFor(t), eventstore.Start)
	defer sub.Close()

	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				// Some appends carry two events so a commit can hold several.
				evs := events(1+i%2, "live")
				if _, err := s.Append(ctxFor(t), fmt.Sprintf("live-%d", w), eventstore.Any(), evs...); err != nil {
					t.Errorf("Append: %v", err)
					return
				}
			}
		})
	}
	total := stored + writers*(perWriter/2*3)
	got := receive(t, sub, total)
	wg.Wait()
	sameEvents(t, got, readAll(t, s))
}

func testSubscribeAfterPosition(t *testing.T, newStore Factory) {
	s, _ := newStore(t)
	for range 10 {
		mustAppend(t, s, "s", eventstore.Any(), event("x"))
	}
	all := readAll(t, s)
	sub := s.Subscribe(ctxFor(t), all[4].Position)
	defer sub.Close()
	sameEvents(t, receive(t, sub, 5), all[5:])

	mustAppend(t, s, "s", eventstore.Exact(9), event("live"))
	got := receive(t, sub, 1)
	sameEvents(t, got, readAll(t, s)[10:])
}

// A subscription ends, with a nil Err, when its context is cancelled or it
// is closed; closing it twice is harmless.
func testSubscribeCancel(t *testing.T, newStore Factory) {
	s, _ := newStore(t)
	mustAppend(t, s, "s", eventstore.Any(), events(3, "x")...)

	t.Run("ContextCancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		sub := s.Subscribe(ctx, eventstore.Start)
		defer sub.Close()
		receive(t, sub, 3)
		cancel()
		if err := ended(t, sub); err != nil {
			t.Errorf("Err after cancel = %v, want nil", err)
		}
	})
	t.Run("Closed", func(t *testing.T) {
		sub := s.Subscribe(ctxFor(t), eventstore.Start)
		receive(t, sub, 1)
		sub.Close()
		sub.Close()
		if err := ended(t, sub); err != nil {
			t.Errorf("Err after Close = %v, want nil", err)
		}
	})
}

// Closing the store ends its subscriptions instead of leaving them waiting
// for events that will never come.
func testSubscribeEndsOnStoreClose(t *testing.T, newStore Factory) {
	s, _ := newStore(t)
	mustAppend(t, s, "s", eventstore.Any(), event("x"))
	sub := s.Subscribe(ctxFor(t), eventstore.Start)
	defer sub.Close()
	receive(t, sub, 1)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := ended(t, sub); err != nil && !errors.Is(err, eventstore.ErrClosed) {
		t.Errorf("Err after store Close = %v, want nil or ErrClosed", err)
	}
}
