package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/sqlite"
	"github.com/referral-ledger/ledger/eventstore/storetest"
)

// openAt opens the ledger at path and closes it when the test ends.
func openAt(tb testing.TB, path string, opts ...sqlite.Option) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(path, opts...)
	if err != nil {
		tb.Fatalf("Open(%q): %v", path, err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

func newStore(tb testing.TB) (eventstore.Store, func() eventstore.Store) {
	// A '?' and a '#' in the path prove it is escaped, not read as URI syntax.
	path := filepath.Join(tb.TempDir(), "ledger?#%.db")
	return openAt(tb, path), func() eventstore.Store { return openAt(tb, path) }
}

// TestContract runs the behaviour every backend must have on a real file:
// immutable appends (R-LEDGER-1), optimistic concurrency (R-LEDGER-2), the
// envelope's who, when, correlation, causation and schema version
// (R-LEDGER-3), and hash chains (R-LEDGER-4).
func TestContract(t *testing.T) {
	storetest.Run(t, newStore)
}

// The contract again with batches capped at one request, so every append
// takes its own transaction and nothing depends on batching.
func TestContractUnbatched(t *testing.T) {
	storetest.Run(t, func(tb testing.TB) (eventstore.Store, func() eventstore.Store) {
		path := filepath.Join(tb.TempDir(), "ledger.db")
		return openAt(tb, path, sqlite.WithMaxBatch(1)), func() eventstore.Store { return openAt(tb, path, sqlite.WithMaxBatch(1)) }
	})
}

// R-LEDGER-1: even this program's own SQL cannot rewrite or remove a stored
// event; the schema refuses it.
func TestEventsAreImmutable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	s := openAt(t, path)
	ctx := context.Background()
	if _, err := s.Append(ctx, "s", eventstore.NoStream(), testEvent("x")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	for _, stmt := range []string{`UPDATE events SET data = x'00'`, `DELETE FROM events`} {
		if _, err := db.Exec(stmt); err == nil || !strings.Contains(err.Error(), "immutable") {
			t.Errorf("%s: err = %v, want refusal", stmt, err)
		}
	}
}

// Close refuses new appends but lets those already queued commit: every
// append racing with Close either succeeded, and is kept, or got ErrClosed.
func TestCloseFinishesQueuedAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	s := openAt(t, path)
	const writers = 32
	type outcome struct {
		id  uuid.UUID
		err error
	}
	outcomes := make(chan outcome, writers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			ev := testEvent("x")
			<-start
			_, err := s.Append(context.Background(), fmt.Sprintf("s%d", w), eventstore.NoStream(), ev)
			outcomes <- outcome{ev.ID, err}
		})
	}
	close(start)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(outcomes)

	s = openAt(t, path)
	kept := map[uuid.UUID]bool{}
	all, err := s.ReadAll(context.Background(), eventstore.Start, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range all {
		kept[ev.ID] = true
	}
	for o := range outcomes {
		switch {
		case o.err == nil && !kept[o.id]:
			t.Errorf("append %s succeeded but is gone after Close", o.id)
		case o.err != nil && !errors.Is(o.err, eventstore.ErrClosed):
			t.Errorf("append racing Close: %v, want nil or ErrClosed", o.err)
		case o.err != nil && kept[o.id]:
			t.Errorf("append %s reported %v but was written", o.id, o.err)
		}
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	if err := openAt(t, path).Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := rawDB(t, path).Exec(`PRAGMA user_version = 99`); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlite.Open(path); !errors.Is(err, eventstore.ErrUnavailable) || !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open = %v, want a refusal naming the newer schema", err)
	}
}

func TestOpenRefusesBadOptions(t *testing.T) {
	if _, err := sqlite.Open(""); !errors.Is(err, eventstore.ErrInvalid) {
		t.Errorf("Open(\"\") = %v, want ErrInvalid", err)
	}
	if _, err := sqlite.Open(filepath.Join(t.TempDir(), "x.db"), sqlite.WithMaxBatch(0)); !errors.Is(err, eventstore.ErrInvalid) {
		t.Errorf("Open with batch 0 = %v, want ErrInvalid", err)
	}
}
