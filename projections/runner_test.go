package projections_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/sqlite"
	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/projections"
)

// brokenStore is a real store whose reads fail while it is broken: its
// subscriptions end with an error and Head fails, as a store whose disk or
// connection went away does.
type brokenStore struct {
	eventstore.Store
	mu     sync.Mutex
	broken chan struct{} // closed while broken
}

var errBroken = errors.New("disk I/O error")

func newBrokenStore(s eventstore.Store) *brokenStore {
	return &brokenStore{Store: s, broken: make(chan struct{})}
}

func (b *brokenStore) isBroken() (bool, <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-b.broken:
		return true, b.broken
	default:
		return false, b.broken
	}
}

func (b *brokenStore) breakIt() {
	b.mu.Lock()
	defer b.mu.Unlock()
	close(b.broken)
}

func (b *brokenStore) heal() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.broken = make(chan struct{})
}

func (b *brokenStore) Head(ctx context.Context) (eventstore.Position, error) {
	if broken, _ := b.isBroken(); broken {
		return 0, errBroken
	}
	return b.Store.Head(ctx)
}

// Subscribe forwards the real subscription until the store breaks.
func (b *brokenStore) Subscribe(ctx context.Context, after eventstore.Position) eventstore.Subscription {
	sub := &breakableSubscription{events: make(chan eventstore.RecordedEvent)}
	broken, breaks := b.isBroken()
	if broken {
		sub.err = errBroken
		close(sub.events)
		return sub
	}
	ctx, cancel := context.WithCancel(ctx)
	sub.cancel = cancel
	inner := b.Store.Subscribe(ctx, after)
	sub.done = make(chan struct{})
	go func() {
		defer close(sub.done)
		defer close(sub.events)
		defer inner.Close()
		for {
			select {
			case <-breaks:
				sub.mu.Lock()
				sub.err = errBroken
				sub.mu.Unlock()
				return
			case ev, ok := <-inner.Events():
				if !ok {
					sub.mu.Lock()
					sub.err = inner.Err()
					sub.mu.Unlock()
					return
				}
				select {
				case sub.events <- ev:
				case <-breaks:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return sub
}

type breakableSubscription struct {
	events chan eventstore.RecordedEvent
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	err    error
}

func (s *breakableSubscription) Events() <-chan eventstore.RecordedEvent { return s.events }
func (s *breakableSubscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}
func (s *breakableSubscription) Close() {
	if s.cancel != nil {
		s.cancel()
		<-s.done
	}
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// counting counts the events applied to it, and each id once.
type counting struct {
	mu   sync.Mutex
	seen map[uuid.UUID]int
}

func (c *counting) Apply(ev eventstore.RecordedEvent, _ domain.Recorded) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen[ev.ID]++
}

// Readings: it counts every event.
func (c *counting) Readings() domain.Readings {
	return domain.Readings{}.Handle(domain.EventTypes()...)
}

// TestRunnerRestartsAfterAFailure: R-OPS-4. When its subscription fails,
// the runner says so (Err, so /readyz answers 503 naming the projections)
// and WaitFor answers Unavailable at once instead of waiting; once the
// store is back it resumes by itself after the last event it applied,
// so every event is applied exactly once, with no restart of the process.
func TestRunnerRestartsAfterAFailure(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	inner, err := sqlite.Open(filepath.Join(t.TempDir(), "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer inner.Close()
	store := newBrokenStore(inner)
	codec := ledger.NewPublicCodec()
	appendOrg := func() eventstore.Position {
		t.Helper()
		id := uuid.New()
		data, err := codec.Encode(ctx, uuid.New(), &domain.OrganisationRegistered{OrganisationID: id, Name: "Org " + id.String()},
			eventstore.Metadata{RecordedAt: time.Now().UTC()})
		if err != nil {
			t.Fatal(err)
		}
		res, err := inner.Append(ctx, ledger.OrganisationStream(id), eventstore.NoStream(), data)
		if err != nil {
			t.Fatal(err)
		}
		return res.Position
	}

	seen := &counting{seen: map[uuid.UUID]int{}}
	r := projections.NewRunner(store, codec, seen)
	logs := &lockedBuffer{}
	r.SetLogger(zerolog.New(logs))
	done := make(chan error, 1)
	runCtx, stop := context.WithCancel(ctx)
	go func() { done <- r.Run(runCtx) }()
	defer func() {
		stop()
		<-done
	}()
	if err := r.WaitFor(ctx, appendOrg()); err != nil {
		t.Fatal(err)
	}

	// Break the store: the running subscription ends with an error.
	store.breakIt()
	for r.Err() == nil {
		select {
		case <-ctx.Done():
			t.Fatal("the runner never reported its failure")
		case <-time.After(10 * time.Millisecond): // polling a state, not timing it
		}
	}
	if err := r.WaitFor(ctx, r.Position()+1); domain.ErrorCode(err) != domain.Unavailable {
		t.Fatalf("WaitFor while failed = %v, want Unavailable at once", err)
	}
	if !errors.Is(r.Err(), errBroken) {
		t.Errorf("Err() = %v, want the store's error as its cause", r.Err())
	}

	// Events written meanwhile, then the store heals.
	appendOrg()
	last := appendOrg()
	store.heal()
	if err := waitHealthy(ctx, r, last); err != nil {
		t.Fatal(err)
	}
	if r.Err() != nil {
		t.Errorf("Err() = %v after recovery", r.Err())
	}
	// Waiting on the store is not a new failure: one line for the
	// episode, with its cause, and one for the recovery.
	if n := strings.Count(logs.String(), "projections stopped"); n != 1 {
		t.Errorf("the failure was logged %d times, want once:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), errBroken.Error()) || !strings.Contains(logs.String(), "projections recovered") {
		t.Errorf("the log lacks the cause or the recovery:\n%s", logs.String())
	}
	seen.mu.Lock()
	defer seen.mu.Unlock()
	if len(seen.seen) != 3 {
		t.Errorf("applied %d distinct events, want 3", len(seen.seen))
	}
	for id, n := range seen.seen {
		if n != 1 {
			t.Errorf("event %s applied %d times", id, n)
		}
	}
}

// waitHealthy waits until the runner has applied pos, retrying while it
// still reports the failure it is recovering from.
func waitHealthy(ctx context.Context, r *projections.Runner, pos eventstore.Position) error {
	for {
		err := r.WaitFor(ctx, pos)
		if err == nil || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(10 * time.Millisecond):
		}
	}
}
