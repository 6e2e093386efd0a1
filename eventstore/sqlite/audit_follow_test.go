package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/audit"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/worker"
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
		sameRoots(t, f, s, n)
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

// failingOnce is a store whose first subscription fails after delivering
// n events, as a dropped subscription or a full disk would end it; later
// subscriptions are the store's own.
type failingOnce struct {
	*Store
	n      int
	failed chan struct{}
}

func (s *failingOnce) Subscribe(ctx context.Context, after eventstore.Position) eventstore.Subscription {
	select {
	case <-s.failed:
		return s.Store.Subscribe(ctx, after)
	default:
	}
	close(s.failed)
	inner := limited{s.Store, s.n}.Subscribe(ctx, after)
	return &erringSub{Subscription: inner}
}

type erringSub struct{ eventstore.Subscription }

func (e *erringSub) Err() error { return errors.New("subscription dropped") }

// R-AUD-1, R-OPS-4: a tree follower whose subscription fails is run again
// by its supervisor, as the server runs it, and resumes after the last
// event it holds: it catches up with the log, its tree the store's, and
// the supervisor names it as failing only until then.
func TestRAUD1FollowerRecoversAfterAFailure_OPS4(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i := range 30 {
		if _, err := s.Append(ctx, fmt.Sprintf("s-%d", i%4), eventstore.Any(), ev("E")); err != nil {
			t.Fatal(err)
		}
	}
	f, err := audit.OpenFile(filepath.Join(t.TempDir(), "tree"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	store := &failingOnce{Store: s, n: 10, failed: make(chan struct{})}
	health := worker.NewHealth()
	caughtUp := make(chan struct{}, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		health.Run(ctx, zerolog.Nop(), "audit tree", worker.Backoff{Min: time.Millisecond, Max: time.Millisecond},
			func(ctx context.Context, healthy func()) error {
				return f.FollowReporting(ctx, store, func() {
					healthy()
					if size, _ := f.TreeSize(ctx); size == 30 {
						select {
						case caughtUp <- struct{}{}:
						default:
						}
					}
				})
			})
	}()
	select {
	case <-caughtUp:
	case <-time.After(time.Minute):
		t.Fatalf("the follower did not catch up after its subscription failed; failing: %v", health.Failing())
	}
	<-store.failed
	if failing := health.Failing(); len(failing) != 0 {
		t.Errorf("caught up, the follower is still named failing: %v", failing)
	}
	sameRoots(t, f, s, 30)
	cancel()
	<-done
}

// sameRoots checks that the follower's tree f has the store's root at
// every size from 1 to n.
func sameRoots(t *testing.T, f *audit.File, s *Store, n int64) {
	t.Helper()
	ctx := context.Background()
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
