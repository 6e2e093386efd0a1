package kurrentdb_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/kurrentdb/kurrentdbtest"
)

// A subscription whose KurrentDB subscription is ended mid-stream (by the
// server, or with the whole connection) while writers keep appending
// resubscribes from the last event it delivered: the consumer sees every
// event exactly once, in position order.
func TestSubscriptionSurvivesDrops(t *testing.T) {
	cases := []struct {
		name string
		drop func(*kurrentdbtest.Controller)
	}{
		{"ServerEndsSubscription", func(c *kurrentdbtest.Controller) { c.DropSubscriptions() }},
		{"ConnectionDropped", (*kurrentdbtest.Controller).DropConnections},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			url, ctl := kurrentdbtest.Start(t)
			s := open(t, url)
			const writers, each, stored = 4, 30, 10
			for range stored {
				mustAppend(t, s, referral(), eventstore.NoStream(), event("referral.made"))
			}
			sub := s.Subscribe(ctxFor(t), eventstore.Start)
			defer sub.Close()

			// Writers append and the drops come while the test reads.
			wctx := ctxFor(t)
			var wg sync.WaitGroup
			t.Cleanup(wg.Wait)
			for w := range writers {
				wg.Go(func() {
					stream := fmt.Sprintf("referral-w%d-%s", w, referral())
					for range each {
						if _, err := s.Append(wctx, stream, eventstore.Any(), event("referral.note_added")); err != nil {
							t.Errorf("Append: %v", err)
							return
						}
					}
				})
			}
			wg.Go(func() {
				for range 5 {
					time.Sleep(10 * time.Millisecond)
					c.drop(ctl)
				}
			})
			got := receive(t, sub, stored+writers*each)
			wg.Wait()
			sameOrder(t, got, readAll(t, s))
			if n := ctl.Subscribes(); n < 2 {
				t.Errorf("the adapter subscribed %d times, want a resubscription after the drops", n)
			}

			// Dropped once more with nothing new, it resumes without
			// repeating the last event: the next one is a new event.
			n := ctl.Subscribes()
			c.drop(ctl)
			eventually(t, "the adapter has resubscribed", func() bool { return ctl.Subscribes() > n })
			res := mustAppend(t, s, referral(), eventstore.NoStream(), event("referral.made"))
			if next := receive(t, sub, 1)[0]; next.Position != res.Position {
				t.Errorf("after resubscribing the next event is at %d, want the new one at %d", next.Position, res.Position)
			}
		})
	}
}
