package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/sqlite"
)

// TestSubscriptionSeesAppendsByAnotherHandle: R-OPS-4. A subscription is
// woken at once by its own store's commits; an event appended through
// another handle on the same file (another process, before the data
// directory lock existed) must reach it too, within the poll interval, so
// a catch-up waiting for that event cannot wait forever. The wait is
// bounded by a context, not timed.
func TestSubscriptionSeesAppendsByAnotherHandle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	reader := openAt(t, path, sqlite.WithPollInterval(20*time.Millisecond))
	writer := openAt(t, path)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sub := reader.Subscribe(ctx, eventstore.Start)
	defer sub.Close()

	ev := testEvent("other-handle")
	if _, err := writer.Append(ctx, "s", eventstore.NoStream(), ev); err != nil {
		t.Fatal(err)
	}
	select {
	case got, ok := <-sub.Events():
		if !ok {
			t.Fatalf("subscription ended: %v", sub.Err())
		}
		if got.ID != ev.ID {
			t.Fatalf("got event %s, want %s", got.ID, ev.ID)
		}
	case <-ctx.Done():
		t.Fatal("the subscription never saw the event appended by another handle")
	}
}

// TestOpenRefusesZeroPollInterval: a subscription must poll at some
// interval (R-OPS-4).
func TestOpenRefusesZeroPollInterval(t *testing.T) {
	if _, err := sqlite.Open(filepath.Join(t.TempDir(), "ledger.db"), sqlite.WithPollInterval(0)); err == nil {
		t.Fatal("Open accepted a zero poll interval")
	}
}
