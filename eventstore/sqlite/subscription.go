package sqlite

import (
	"context"
	"sync"
	"time"

	"github.com/referral-ledger/ledger/eventstore"
)

// signal wakes every waiter at once without ever blocking the one who
// fires it: firing closes the current channel and installs a fresh one.
type signal struct {
	mu sync.Mutex
	ch chan struct{}
}

func newSignal() *signal { return &signal{ch: make(chan struct{})} }

// wait returns a channel that is closed at the next broadcast. Take it
// before looking for new data, so a broadcast in between is not missed.
func (s *signal) wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ch
}

func (s *signal) broadcast() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.ch)
	s.ch = make(chan struct{})
}

// subscribePage is how many events a subscription reads per query, and
// half the events its channel holds: the feed reads the next page while
// the reader takes the last one, so a replay keeps two cores busy.
const subscribePage = 512

type subscription struct {
	events chan eventstore.RecordedEvent
	cancel context.CancelFunc
	done   chan struct{}

	mu  sync.Mutex
	err error
}

// Subscribe delivers every event with position > after, in position order,
// with no gaps and no duplicates: it pages through stored events, then waits
// for the writer's after-commit signal, or the poll interval for appends by
// another handle, and reads on from the last position it delivered. Positions are assigned by the single writer inside its
// transaction, so a committed position is never followed by a smaller one
// and re-reading from the last position cannot skip anything.
//
// The subscription ends when ctx ends or Close is called (Err is then nil),
// when the store is closed (Err is eventstore.ErrClosed), or when a read
// fails (Err wraps eventstore.ErrUnavailable). A slow reader only delays
// itself: the writer never waits for subscribers.
func (s *Store) Subscribe(ctx context.Context, after eventstore.Position) eventstore.Subscription {
	ctx, cancel := context.WithCancel(ctx)
	sub := &subscription{events: make(chan eventstore.RecordedEvent, 2*subscribePage), cancel: cancel, done: make(chan struct{})}
	if err := s.enter(); err != nil {
		sub.finish(err)
		return sub
	}
	s.subs.Add(1) // under mu, so Close's Wait cannot start before this Add
	s.leave()
	go func() {
		defer s.subs.Done()
		sub.finish(s.feed(ctx, sub.events, after))
	}()
	return sub
}

// feed runs a subscription until it ends and says why.
func (s *Store) feed(ctx context.Context, out chan<- eventstore.RecordedEvent, last eventstore.Position) error {
	poll := time.NewTimer(s.poll)
	defer poll.Stop()
	for {
		wake := s.commits.wait()
		page, err := s.readAll(ctx, last, subscribePage)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		for _, ev := range page {
			select {
			case out <- ev:
				last = ev.Position
			case <-ctx.Done():
				return nil
			case <-s.stopping:
				return eventstore.ErrClosed
			}
		}
		if len(page) == subscribePage {
			continue // more stored events to catch up on
		}
		poll.Reset(s.poll)
		select {
		case <-wake:
		case <-poll.C:
		case <-ctx.Done():
			return nil
		case <-s.stopping:
			return eventstore.ErrClosed
		}
	}
}

func (sub *subscription) finish(err error) {
	sub.mu.Lock()
	sub.err = err
	sub.mu.Unlock()
	sub.cancel()
	close(sub.events)
	close(sub.done)
}

// Events returns the feed; it is closed when the subscription ends.
func (sub *subscription) Events() <-chan eventstore.RecordedEvent { return sub.events }

// Err says why the subscription ended: nil after Close or ctx cancellation,
// eventstore.ErrClosed after the store closed, or a read error.
func (sub *subscription) Err() error {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	return sub.err
}

// Close ends the subscription and waits until its goroutine has stopped, so
// nothing more is sent on Events. It is safe to call more than once.
func (sub *subscription) Close() {
	sub.cancel()
	<-sub.done
}
