package kurrentdb

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/metadata"

	"github.com/referral-ledger/ledger/eventstore"
)

// errNoClient is what every call gets while the Store has no working
// client: it fails at once rather than wait for the server.
var errNoClient = fmt.Errorf("kurrentdb: %w: KurrentDB is unreachable; reconnecting in the background", eventstore.ErrUnavailable)

// errConnDead is what a call gets when the client it was using is found to
// be closed for good while the call is in flight.
var errConnDead = fmt.Errorf("kurrentdb: %w: the KurrentDB client closed for good during the call", eventstore.ErrUnavailable)

// conn is one client and the calls in flight on it.
//
// The client (v4.2.0) runs a goroutine that owns its connection and hands it
// out over an unbuffered channel. When node discovery fails that goroutine
// exits, leaving the client closed for good, and any call that was already
// waiting to send on the channel then waits forever, whatever its context
// says; Close on such a client panics those senders. So every call runs in
// its own goroutine (run), the caller stops waiting when its context ends
// or the client is found dead, and a client is closed only once no call is
// inside it (release).
type conn struct {
	client   *esdb.Client
	inflight atomic.Int64
	dead     chan struct{} // closed when the client is retired
	once     sync.Once
}

// markDead retires c and reports whether this call did.
func (c *conn) markDead() bool {
	first := false
	c.once.Do(func() { close(c.dead); first = true })
	return first
}

// release closes c's client once no call is inside it, waiting at most d;
// if calls are stuck inside, it leaves the client open rather than panic
// them.
func (c *conn) release(d time.Duration) {
	deadline := time.Now().Add(d)
	for c.inflight.Load() > 0 {
		if time.Now().After(deadline) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	_ = c.client.Close()
}

// acquire returns the current client with a call registered on it, which
// run ends. It fails at once while there is none.
func (s *Store) acquire() (*conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return nil, eventstore.ErrClosed
	case s.cur == nil:
		return nil, errNoClient
	}
	s.cur.inflight.Add(1)
	return s.cur, nil
}

func (s *Store) current() *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur
}

// leaderOnly marks every call made with ctx as one only the cluster's
// leader may answer, by sending KurrentDB's requires-leader header.
//
// Client v4.2.0 means to send that header whenever nodePreference is
// leader, but puts it into the call's incoming gRPC metadata
// (esdb/options.go, configureGrpcCall), which gRPC never sends: after a
// leader election the client stays on the old leader, now a follower,
// whose $all lags behind the writes it forwards. The client passes the
// caller's context through to gRPC, so outgoing metadata set here does
// reach the server. A follower then answers "not-leader" with the leader's
// endpoint in its trailers, which the client already follows
// (grpcClient.handleError): the call fails with ErrorCodeNotLeader
// (transient, so retried) and the next one goes to the leader. Every call
// carries it, whatever nodePreference says: the Store reads its own writes
// back from $all, which only the leader is sure to have.
func leaderOnly(ctx context.Context) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "requires-leader", "true")
}

type result[T any] struct {
	v   T
	err error
}

// run calls fn on c's client in a goroutine (whose call acquire or the
// caller registered) and waits for it, for ctx, or for c to be retired.
func run[T any](ctx context.Context, c *conn, fn func(context.Context, *esdb.Client) (T, error)) (T, error) {
	ctx, cancel := context.WithCancel(leaderOnly(ctx))
	defer cancel()
	res := make(chan result[T], 1)
	go func() {
		defer c.inflight.Add(-1)
		v, err := fn(ctx, c.client)
		res <- result[T]{v, err}
	}()
	select {
	case r := <-res:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	case <-c.dead:
		var zero T
		return zero, errConnDead
	}
}

// do runs one call on the current client, ending it if ctx ends or the Store
// closes, and learns from its failure: a client closed for good is retired
// and recreated, an unreachable server marks the Store unhealthy. Errors
// are the client's, errNoClient, errConnDead, eventstore.ErrClosed or
// ctx's.
func do[T any](s *Store, ctx context.Context, fn func(context.Context, *esdb.Client) (T, error)) (T, error) {
	c, err := s.acquire()
	if err != nil {
		var zero T
		return zero, err
	}
	octx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(s.base, cancel)()
	v, err := run(octx, c, fn)
	switch {
	case err == nil:
		s.healthy.Store(true)
	case s.base.Err() != nil:
		err = eventstore.ErrClosed
	case ctx.Err() != nil:
		err = ctx.Err()
	case isDead(err) || errors.Is(err, errConnDead):
		s.retire(c)
	case isTransient(err):
		s.healthy.Store(false)
		s.wake()
	}
	return v, err
}

// retryable reports whether a failed call is worth trying again at once:
// the client reconnects after a dropped connection on the call after the
// one that saw it drop.
func retryable(err error) bool {
	return !errors.Is(err, errNoClient) && (isTransient(err) || errors.Is(err, errConnDead))
}

// read runs an idempotent call, trying it up to three times in all while
// it fails transiently and the Store still has a client.
func read[T any](s *Store, ctx context.Context, fn func(context.Context, *esdb.Client) (T, error)) (T, error) {
	delay := 20 * time.Millisecond
	for attempt := 1; ; attempt++ {
		v, err := do(s, ctx, fn)
		if err == nil || attempt == 3 || !retryable(err) || !s.sleep(ctx, delay) {
			return v, err
		}
		delay *= 4
	}
}

// sleep waits d and reports true, or false if ctx ends or the Store closes
// first.
func (s *Store) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.base.Done():
		return false
	}
}
