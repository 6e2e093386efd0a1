package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/audit"
	"github.com/referral-ledger/ledger/eventstore"
)

// treeFromEvents recomputes the tree from the store's events alone.
func treeFromEvents(t testing.TB, s *Store) *audit.File {
	t.Helper()
	f, err := audit.OpenFile(filepath.Join(t.TempDir(), "tree"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	evs, err := s.ReadAll(context.Background(), eventstore.Start, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if err := f.Append(ev); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// sameTree checks the store's tree has a leaf for every event, in order,
// and the same root as one recomputed from the events.
func sameTree(t testing.TB, s *Store) int64 {
	t.Helper()
	ctx := context.Background()
	want := treeFromEvents(t, s)
	got := s.AuditLog()
	n, err := got.TreeSize(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wn, _ := want.TreeSize(ctx)
	if n != wn {
		t.Fatalf("tree has %d leaves, the store %d events", n, wn)
	}
	for size := int64(1); size <= n; size++ {
		a, err := audit.Root(ctx, got, size)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := audit.Root(ctx, want, size)
		if a != b {
			t.Fatalf("root of the first %d leaves differs from the events'", size)
		}
	}
	evs, _ := s.ReadAll(ctx, eventstore.Start, 0)
	for i, ev := range evs {
		if leaf, err := got.LeafIndex(ctx, ev.Position); err != nil || leaf != int64(i) {
			t.Fatalf("event at %d: leaf %d, %v; want %d", ev.Position, leaf, err, i)
		}
	}
	return n
}

func TestRAUD1TreeKeptAtAppend(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 5 {
				if _, err := s.Append(ctx, fmt.Sprintf("s-%d", w), eventstore.Any(), ev("A"), ev(fmt.Sprint(i))); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if n := sameTree(t, s); n != 80 {
		t.Fatalf("tree has %d leaves, want 80", n)
	}
}

// A request rolled back to its savepoint leaves no leaves behind, and the
// requests after it in the batch get the right leaf numbers.
func TestRAUD1TreeFollowsSavepointRollback(t *testing.T) {
	s, w := batchStore(t)
	ctx := context.Background()
	dup := ev("dup")
	batch := []*request{
		req(ctx, "a", eventstore.Any(), ev("one"), ev("two")),
		req(ctx, "b", eventstore.Any(), ev("three"), dup, dup), // the second insert of dup fails
		req(ctx, "c", eventstore.Any(), ev("four")),
	}
	w.commit(batch)
	if r := answer(t, batch[1]); r.err == nil {
		t.Fatal("the append with a repeated id was written")
	}
	for _, i := range []int{0, 2} {
		if r := answer(t, batch[i]); r.err != nil {
			t.Fatal(r.err)
		}
	}
	if n := sameTree(t, s); n != 3 {
		t.Fatalf("tree has %d leaves, want 3", n)
	}
}

// A ledger written before the tree existed gets its tree on open, once; a
// later open finds it persisted and adds nothing.
func TestRAUD1TreeBuiltOnceForExistingLedger(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	s, err := Open(path, WithMaxBatch(1))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 37 {
		if _, err := s.Append(ctx, fmt.Sprintf("s-%d", i%4), eventstore.Any(), ev("E")); err != nil {
			t.Fatal(err)
		}
	}
	_ = s.Close()
	// Make it a schema-1 ledger, as written by the previous release.
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"DROP TABLE audit_hashes", "DROP TABLE audit_leaves", "PRAGMA user_version = 1"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	_ = db.Close()

	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := sameTree(t, s); n != 37 {
		t.Fatalf("backfilled tree has %d leaves, want 37", n)
	}
	if _, err := s.Append(ctx, "after", eventstore.NoStream(), ev("E")); err != nil {
		t.Fatal(err)
	}
	root, _ := audit.Root(ctx, s.AuditLog(), 38)
	_ = s.Close()

	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var rows int64
	if err := s.read.QueryRow(`SELECT COUNT(*) FROM audit_leaves`).Scan(&rows); err != nil || rows != 38 {
		t.Fatalf("leaves after reopening: %d, %v", rows, err)
	}
	if again, _ := audit.Root(ctx, s.AuditLog(), 38); again != root {
		t.Fatal("the root changed across a restart")
	}
}

func TestRAUD1TreeRefusesInPlaceChange(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(context.Background(), "a", eventstore.Any(), ev("E")); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{"UPDATE audit_hashes SET hash = x'00'", "DELETE FROM audit_leaves"} {
		if _, err := db.Exec(q); err == nil {
			t.Errorf("%s: allowed", q)
		}
	}
}

// BenchmarkAppendAuditTree compares single-event appends with the tree
// kept (on) and not (off), for the make bench summary (target: on is at
// most 10% slower than off).
func BenchmarkAppendAuditTree(b *testing.B) {
	for _, mode := range []string{"off", "on"} {
		for _, writers := range []int{1, 64} {
			b.Run(fmt.Sprintf("tree=%s/writers=%d", mode, writers), func(b *testing.B) {
				s, w, err := open(filepath.Join(b.TempDir(), "ledger.db"))
				if err != nil {
					b.Fatal(err)
				}
				w.tree.off = mode == "off"
				go w.run()
				defer s.Close()
				ctx := context.Background()
				per := b.N/writers + 1
				var wg sync.WaitGroup
				b.ResetTimer()
				for i := range writers {
					wg.Go(func() {
						stream := fmt.Sprintf("bench-%d", i)
						for range per {
							if _, err := s.Append(ctx, stream, eventstore.Any(), ev("bench")); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
				b.ReportMetric(float64(per*writers)/b.Elapsed().Seconds(), "events/s")
			})
		}
	}
}

// BenchmarkAuditInclusionProof: an inclusion proof from the embedded
// store's tree (stored hashes read through SQLite) in a ledger of 32768
// events, with the 99th percentile (make bench: proof p99).
func BenchmarkAuditInclusionProof(b *testing.B) {
	const n = 1 << 15
	s, err := Open(filepath.Join(b.TempDir(), "ledger.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	batch := make([]eventstore.EventData, 1024)
	for i := 0; i < n/len(batch); i++ {
		for j := range batch {
			batch[j] = ev("E")
		}
		if _, err := s.Append(ctx, fmt.Sprintf("s-%d", i), eventstore.NoStream(), batch...); err != nil {
			b.Fatal(err)
		}
	}
	log := s.AuditLog()
	took := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		if _, err := audit.ProveInclusion(ctx, log, n, int64(i*7919%n)); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)*99/100].Nanoseconds()), "p99-ns/op")
}
