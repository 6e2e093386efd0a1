package kurrentdb

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/referral-ledger/ledger/eventstore"
)

// Subscribe delivers every ledger event with position > after, in order,
// through a KurrentDB catch-up subscription to $all filtered server-side to
// the ledger's stream prefixes (so no system events): stored events first,
// then live ones. When the subscription drops (a lost connection, a server
// restart, the server ending it) it resubscribes from the last event
// delivered, with backoff, for as long as it takes, and skips anything at
// or before that event, so there are no gaps and no duplicates.
//
// It ends when ctx ends, the subscription is closed or the Store is closed,
// with a nil Err; or on an event with the ledger's prefix but not its
// envelope, with an error naming it. After Close it ends at once with
// eventstore.ErrClosed.
func (s *Store) Subscribe(ctx context.Context, after eventstore.Position) eventstore.Subscription {
	sub := &subscription{events: make(chan eventstore.RecordedEvent)}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		sub.cancel = func() {}
		sub.finish(eventstore.ErrClosed)
		return sub
	}
	s.subs.Add(1)
	s.mu.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.base, cancel)
	sub.cancel = cancel
	go func() {
		defer s.subs.Done()
		defer stop()
		defer cancel()
		sub.finish(s.follow(ctx, after, sub.events))
	}()
	return sub
}

type subscription struct {
	events chan eventstore.RecordedEvent
	cancel context.CancelFunc
	mu     sync.Mutex
	err    error
}

func (sub *subscription) finish(err error) {
	sub.mu.Lock()
	sub.err = err
	sub.mu.Unlock()
	close(sub.events)
}

// Events returns the feed, closed when the subscription ends.
func (sub *subscription) Events() <-chan eventstore.RecordedEvent { return sub.events }

// Err says why the feed ended: nil after Close or cancellation.
func (sub *subscription) Err() error {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	return sub.err
}

// Close ends the subscription. It is safe to call more than once.
func (sub *subscription) Close() { sub.cancel() }

// follower is the state a subscription keeps across the KurrentDB
// subscriptions it opens: the last event delivered, and which of them may
// still deliver. A session that was abandoned (its call ended while its
// goroutine had not yet seen it) can then never deliver after the next one
// has started from last.
type follower struct {
	mu        sync.Mutex
	session   int
	last      eventstore.Position
	delivered int
}

// begin starts a new session, retiring the previous one, and returns its
// number and where it starts from.
func (f *follower) begin() (int, eventstore.Position) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.session++
	return f.session, f.last
}

// deliver hands ev to out if session is still the current one and ev comes
// after the last event delivered. It reports false if the session should
// stop.
func (f *follower) deliver(ctx context.Context, session int, ev eventstore.RecordedEvent, out chan<- eventstore.RecordedEvent) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if session != f.session {
		return false
	}
	if ev.Position <= f.last {
		return true
	}
	select {
	case out <- ev:
		f.last = ev.Position
		f.delivered++
		return true
	case <-ctx.Done():
		return false
	}
}

func (f *follower) progress() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.delivered
}

// permanent marks a subscription failure that resubscribing cannot cure.
type permanent struct{ err error }

func (p *permanent) Error() string { return p.err.Error() }
func (p *permanent) Unwrap() error { return p.err }

// follow runs sessions until ctx ends, resubscribing after each drop.
func (s *Store) follow(ctx context.Context, after eventstore.Position, out chan<- eventstore.RecordedEvent) error {
	f := &follower{last: after}
	delay := s.o.minBackoff
	for {
		session, from := f.begin()
		before, started := f.progress(), time.Now()
		_, err := do(s, ctx, func(ctx context.Context, cl *esdb.Client) (struct{}, error) {
			return struct{}{}, s.session(ctx, cl, f, session, from, out)
		})
		f.begin() // whatever happens next, that session may deliver no more
		var p *permanent
		switch {
		case ctx.Err() != nil, errors.Is(err, eventstore.ErrClosed):
			return nil
		case errors.As(err, &p):
			return p.err
		}
		if f.progress() > before || time.Since(started) > s.o.maxBackoff {
			delay = s.o.minBackoff
		}
		if isDenied(err) {
			// Not an outage: the user lost read on $all. Say so every time,
			// and keep trying slowly in case the access is given back;
			// Head (and so /readyz) fails with eventstore.ErrAccessDenied
			// meanwhile.
			delay = s.o.maxBackoff
			s.o.log.Error().Err(ledgerError(ctx, "subscribe to $all", err)).Dur("retry_in", delay).
				Msg("kurrentdb: KurrentDB refuses the subscription to $all: access denied")
		} else {
			s.o.log.Debug().Err(err).Dur("retry_in", delay).Msg("kurrentdb: subscription dropped; resubscribing")
		}
		if !s.sleep(ctx, delay) {
			return nil
		}
		delay = min(2*delay, s.o.maxBackoff)
	}
}

// session is one KurrentDB subscription to $all after from, delivering
// until it drops.
func (s *Store) session(ctx context.Context, cl *esdb.Client, f *follower, session int, from eventstore.Position, out chan<- eventstore.RecordedEvent) error {
	sub, err := cl.SubscribeToAll(ctx, esdb.SubscribeToAllOptions{From: allFrom(from), Filter: s.names.filter()})
	if err != nil {
		return err
	}
	defer sub.Close()
	for {
		e := sub.Recv()
		switch {
		case e.SubscriptionDropped != nil:
			if e.SubscriptionDropped.Error != nil {
				return e.SubscriptionDropped.Error
			}
			return errors.New("kurrentdb: subscription dropped")
		case e.EventAppeared != nil:
			r := e.EventAppeared.OriginalEvent()
			name, ok := s.names.ledger(r.StreamID)
			if !ok {
				continue // the server filters by prefix; this also drops system streams an empty prefix lets through
			}
			ev, err := fromWire(r, name, commitOf(r))
			if err != nil {
				return &permanent{err}
			}
			if !f.deliver(ctx, session, ev, out) {
				return ctx.Err()
			}
		}
	}
}
