// Package projections builds read models from the event stream. Each
// projection applies events in global order; the Runner feeds them from the
// store's subscription and lets readers wait until a write they made is
// visible (read your writes).
package projections

import (
	"context"
	"fmt"
	"sync"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/ledger"
)

// Projection is a read model fed one event at a time, in global order.
// Apply must not fail: events are facts.
type Projection interface {
	Apply(stored eventstore.RecordedEvent, ev domain.Recorded)
}

// Runner feeds projections from the store's subscription.
type Runner struct {
	store       eventstore.Store
	codec       *ledger.Codec
	projections []Projection
	chains      *eventstore.ChainVerifier // nil unless CheckChains was called

	mu      sync.Mutex
	pos     eventstore.Position
	err     error
	changed chan struct{} // closed and replaced whenever pos or err changes
}

// NewRunner returns a runner for projections; call Run to start it.
func NewRunner(store eventstore.Store, codec *ledger.Codec, projections ...Projection) *Runner {
	return &Runner{store: store, codec: codec, projections: projections, changed: make(chan struct{})}
}

// CheckChains makes the runner recompute every event's hash link before
// applying it (R-LEDGER-4), so a changed or garbled event stops it with an
// error naming the event's position instead of feeding the views, and the
// start-up replay checks the whole log. Call it before Run.
func (r *Runner) CheckChains() { r.chains = eventstore.NewChainVerifier() }

// Run subscribes from the start of the store and applies every event until
// ctx ends or the subscription fails. It returns the reason it stopped.
func (r *Runner) Run(ctx context.Context) error {
	sub := r.store.Subscribe(ctx, r.Position())
	defer sub.Close()
	for ev := range sub.Events() {
		if r.chains != nil {
			if err := r.chains.Check(ev); err != nil {
				r.fail(fmt.Errorf("projection stopped at position %d: the event does not verify: %w", ev.Position, err))
				return r.Err()
			}
		}
		rec, err := r.codec.Decode(ctx, ev)
		if err != nil {
			r.fail(fmt.Errorf("projection stopped at position %d: %w", ev.Position, err))
			return r.Err()
		}
		for _, p := range r.projections {
			p.Apply(ev, rec)
		}
		r.advance(ev.Position)
	}
	if err := sub.Err(); err != nil {
		r.fail(fmt.Errorf("projection subscription ended: %w", err))
		return r.Err()
	}
	return ctx.Err()
}

func (r *Runner) advance(pos eventstore.Position) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pos = pos
	close(r.changed)
	r.changed = make(chan struct{})
}

func (r *Runner) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.err = err
	close(r.changed)
	r.changed = make(chan struct{})
}

// Position returns the position of the last event applied.
func (r *Runner) Position() eventstore.Position {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pos
}

// Err returns why the runner stopped, or nil while it runs.
func (r *Runner) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// WaitFor blocks until every event up to pos has been applied, ctx ends or
// the runner fails. Errors: Unavailable when the views cannot catch up in
// time.
func (r *Runner) WaitFor(ctx context.Context, pos eventstore.Position) error {
	for {
		r.mu.Lock()
		cur, err, ch := r.pos, r.err, r.changed
		r.mu.Unlock()
		if cur >= pos {
			return nil
		}
		if err != nil {
			return &domain.Error{Code: domain.Unavailable, Message: "the views are not available; retry shortly"}
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return &domain.Error{Code: domain.Unavailable, Message: "the views are still catching up; retry shortly"}
		}
	}
}

// Lag returns how many positions the projections are behind the store.
func (r *Runner) Lag(ctx context.Context) (uint64, error) {
	head, err := r.store.Head(ctx)
	if err != nil {
		return 0, err
	}
	if pos := r.Position(); head > pos {
		return uint64(head - pos), nil
	}
	return 0, nil
}
