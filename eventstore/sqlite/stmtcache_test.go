package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/eventstore"
)

// Issue14: the direct reads keep their statements prepared per read
// connection; a kept statement, reused with other arguments, by several
// readers at once and after a read that stopped early, gives each read
// exactly its own answer, and Close finalizes them all.
func TestIssue14KeptStatementsGiveEachReadItsOwnAnswer(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const streams, perStream = 3, 5
	for i := range streams {
		for range perStream {
			if _, err := s.Append(ctx, fmt.Sprintf("thing-%d", i), eventstore.Any(), eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: "thing.done", SchemaVersion: 1, Data: []byte(`{}`)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for n := range 30 {
				i := (g + n) % streams
				stream := fmt.Sprintf("thing-%d", i)
				limit := n % 3 // 0: all; 1 and 2 stop the statement early
				evs, err := s.ReadStream(ctx, stream, 1, limit)
				want := perStream - 1
				if limit > 0 {
					want = limit
				}
				if err != nil || len(evs) != want {
					t.Errorf("ReadStream(%s, 1, %d) = %d events, %v; want %d", stream, limit, len(evs), err, want)
					return
				}
				for k, e := range evs {
					if e.Stream != stream || e.Revision != uint64(k+1) {
						t.Errorf("ReadStream(%s) event %d is %s@%d", stream, k, e.Stream, e.Revision)
					}
				}
				all, err := s.ReadAll(ctx, eventstore.Position(n%(streams*perStream)), 2)
				if err != nil || len(all) != min(2, streams*perStream-n%(streams*perStream)) || all[0].Position != eventstore.Position(n%(streams*perStream)+1) {
					t.Errorf("ReadAll(%d, 2) = %d events, %v", n%(streams*perStream), len(all), err)
				}
			}
		})
	}
	wg.Wait()
	s.cstmts.mu.Lock()
	kept := len(s.cstmts.conns)
	s.cstmts.mu.Unlock()
	if kept == 0 {
		t.Error("no statement kept")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s.cstmts.conns != nil || !s.cstmts.closed {
		t.Error("Close left statements kept")
	}
}
