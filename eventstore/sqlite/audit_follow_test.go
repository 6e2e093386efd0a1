package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/referral-ledger/ledger/audit"
	"github.com/referral-ledger/ledger/eventstore"
)

// R-AUD-1: a node that keeps the tree in a local file, fed from the
// store's subscription (as a KurrentDB node does), computes the same tree
// as the store that keeps it at append, and resumes after a restart
// without recomputing.
func TestRAUD1FollowerComputesTheSameTree(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "ledger.db"))
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
		have, _ := f.TreeSize(ctx)
		// The subscription ends once it has delivered the events the tree
		// lacks, so Follow returns when it has taken them all.
		if err := f.Follow(ctx, limited{s, int(until - have)}); err != nil {
			t.Fatal(err)
		}
		n, _ := f.TreeSize(ctx)
		if n != until {
			t.Fatalf("the follower has %d leaves, want %d", n, until)
		}
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

// limited is a store whose subscriptions end after n events.
type limited struct {
	*Store
	n int
}

func (l limited) Subscribe(ctx context.Context, after eventstore.Position) eventstore.Subscription {
	inner := l.Store.Subscribe(ctx, after)
	out := &limitedSub{inner: inner, ch: make(chan eventstore.RecordedEvent)}
	go func() {
		defer close(out.ch)
		defer inner.Close()
		for i := 0; i < l.n; i++ {
			ev, ok := <-inner.Events()
			if !ok {
				return
			}
			out.ch <- ev
		}
	}()
	return out
}

type limitedSub struct {
	inner eventstore.Subscription
	ch    chan eventstore.RecordedEvent
}

func (l *limitedSub) Events() <-chan eventstore.RecordedEvent { return l.ch }
func (l *limitedSub) Err() error                              { return nil }
func (l *limitedSub) Close()                                  {}
