package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/sqlite"
)

// TestVerifyBesideAWriter_OPS2: `ledger verify` runs beside a running
// server (R-OPS-2), whose appends go on while it reads. Verify reads its
// chunks on several connections; each must stop at the last position of
// the snapshot the counter is read from, or a log that holds is reported
// truncated ("the last event is at position N but positions up to M were
// written", M < N).
func TestVerifyBesideAWriter_OPS2(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	s := openAt(t, path)
	ctx := context.Background()
	evs := make([]eventstore.EventData, 500)
	for i := range 20 { // 10,000 events: several of Verify's chunks
		for j := range evs {
			evs[j] = testEvent("thing.happened")
		}
		if _, err := s.Append(ctx, fmt.Sprintf("stream-%d", i), eventstore.NoStream(), evs...); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := s.Append(ctx, fmt.Sprintf("live-%d", i), eventstore.NoStream(), testEvent("thing.happened")); err != nil {
				t.Error(err)
				return
			}
		}
	})
	defer func() { close(stop); wg.Wait() }()
	for range 20 {
		rep, err := sqlite.Verify(ctx, path)
		if err != nil {
			t.Fatalf("Verify beside a writer: %v", err)
		}
		if rep.Last != rep.Written || rep.Events < 10_000 {
			t.Fatalf("Verify beside a writer: %+v", rep)
		}
	}
}
