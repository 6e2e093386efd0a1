package projections

import (
	"context"
	"testing"
	"testing/synctest"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/ledger"
)

// TestRunnerReadAheadShrinksOnceCaughtUp_Issue14: while catching up the
// runner reads and decodes a whole batch ahead of the one it applies, but
// once past the head it started from, no more than preparedMax events
// wait decoded however far the writes outrun the views, and every event
// still arrives once, in order.
func TestRunnerReadAheadShrinksOnceCaughtUp_Issue14(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const head, after = 3000, 4 * preparedMax
		r := NewRunner(nil, ledger.NewPublicCodec())
		in := make(chan eventstore.RecordedEvent, head+after)
		for pos := range eventstore.Position(head + after) {
			in <- eventstore.RecordedEvent{Stream: "referral-x", Position: pos + 1, Type: (&domain.ReferralAssigned{}).EventType(),
				SchemaVersion: 1, Data: []byte(`{}`)}
		}
		ctx, cancel := context.WithCancel(t.Context())
		catchUp, live := make(chan prepared, head), make(chan prepared, preparedMax)
		done := make(chan struct{})
		go func() {
			defer close(done)
			r.prepare(ctx, in, head, catchUp, live)
		}()
		feed := preparedFeed{in: catchUp, live: live}
		next := func(want eventstore.Position) {
			t.Helper()
			ev, got, open := feed.next(true)
			if !got || !open || ev.ev.Position != want {
				t.Fatalf("got event %d (got %v, open %v), want %d", ev.ev.Position, got, open, want)
			}
		}
		for pos := eventstore.Position(1); pos <= head; pos++ {
			next(pos)
		}
		synctest.Wait() // the views stall; the reader reads ahead all it may
		if ahead := head + after - len(in) - head; ahead > preparedMax+1 {
			t.Fatalf("%d events read ahead once caught up, want at most %d", ahead, preparedMax+1)
		}
		for pos := eventstore.Position(head + 1); pos <= head+after; pos++ {
			next(pos)
		}
		if _, got, open := feed.next(false); got || !open {
			t.Fatalf("after the last event: got %v, open %v; want nothing yet, still open", got, open)
		}
		cancel()
		<-done
		if _, got, open := feed.next(true); got || open {
			t.Fatalf("after the reader stopped: got %v, open %v; want the feed ended", got, open)
		}
	})
}
