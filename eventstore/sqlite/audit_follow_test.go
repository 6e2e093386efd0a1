package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/audit"
	"github.com/referral-ledger/ledger/eventstore"
)

// R-AUD-1: a node that keeps the tree in a local file, fed from the
// store's subscription (as a KurrentDB node does), computes the same tree
// as the store that keeps it at append, and resumes after a restart
// without recomputing.
func TestRAUD1FollowerComputesTheSameTree(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "ledger.db"), WithPollInterval(10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	treeFile := filepath.Join(t.TempDir(), "tree")
	follow := func(until int64) {
		t.Helper()
		f, err := audit.OpenFile(treeFile)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		fctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- f.Follow(fctx, s) }()
		// Wait for the follower by reading its size through the store's
		// own commits: the subscription is woken by each commit.
		sub := s.Subscribe(ctx, eventstore.Start)
		for range sub.Events() {
			if n, _ := f.TreeSize(ctx); n >= until {
				break
			}
		}
		sub.Close()
		for {
			if n, _ := f.TreeSize(ctx); n >= until {
				break
			}
			// the follower may be a little behind the reader above
			if _, err := s.Append(ctx, "nudge", eventstore.Any(), ev("N")); err != nil {
				t.Fatal(err)
			}
			until++
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		n, _ := f.TreeSize(ctx)
		for size := int64(1); size <= n; size++ {
			a, err := audit.Root(ctx, f, size)
			if err != nil {
				t.Fatal(err)
			}
			b, err := audit.Root(ctx, s.AuditLog(), size)
			if err != nil {
				t.Fatal(err)
			}
			if a != b {
				t.Fatalf("the follower's root of %d leaves differs from the store's", size)
			}
		}
	}
	for i := range 20 {
		if _, err := s.Append(ctx, fmt.Sprintf("s-%d", i%3), eventstore.Any(), ev("E")); err != nil {
			t.Fatal(err)
		}
	}
	follow(20)
	for range 15 {
		if _, err := s.Append(ctx, "later", eventstore.Any(), ev("E")); err != nil {
			t.Fatal(err)
		}
	}
	follow(35) // reopened: resumes from the last leaf's position
}
