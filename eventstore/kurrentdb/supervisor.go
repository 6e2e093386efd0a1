package kurrentdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/metrics"
)

// retire forgets c as the current client, closing it once no call is
// inside, and wakes the supervisor to make a new one.
func (s *Store) retire(c *conn) {
	s.mu.Lock()
	if s.cur == c {
		s.cur = nil
	}
	s.mu.Unlock()
	s.healthy.Store(false)
	if c.markDead() {
		s.o.log.Warn().Msg("kurrentdb: KurrentDB is unreachable; recreating the client")
		go c.release(30 * time.Second)
	}
	s.wake()
}

func (s *Store) wake() {
	select {
	case s.trouble <- struct{}{}:
	default:
	}
}

// pingAll reads the last record of $all: a cheap call that makes the client
// discover a node if it needs one.
func pingAll(ctx context.Context, cl *esdb.Client) (struct{}, error) {
	rs, err := cl.ReadAll(ctx, esdb.ReadAllOptions{Direction: esdb.Backwards, From: esdb.End{}}, 1)
	if err != nil {
		return struct{}{}, err
	}
	defer rs.Close()
	if _, err := rs.Recv(); err != nil && !errors.Is(err, io.EOF) {
		return struct{}{}, err
	}
	return struct{}{}, nil
}

// ping checks c answers within the probe timeout.
func (s *Store) ping(ctx context.Context, c *conn) error {
	ctx, cancel := context.WithTimeout(ctx, s.o.probeTimeout)
	defer cancel()
	c.inflight.Add(1)
	_, err := run(ctx, c, pingAll)
	return err
}

// connect makes a new client and checks it answers.
func (s *Store) connect(ctx context.Context) (*conn, error) {
	cfg := s.cfg
	client, err := esdb.NewClient(&cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", eventstore.ErrInvalid, err)
	}
	c := &conn{client: client, dead: make(chan struct{})}
	if err := s.ping(ctx, c); err != nil {
		c.markDead()
		c.release(0)
		switch {
		case ctx.Err() != nil:
			return nil, fmt.Errorf("%w: %w", eventstore.ErrUnavailable, ctx.Err())
		case isDenied(err):
			return nil, fmt.Errorf("%w: the ledger's KurrentDB user cannot read $all, which the ledger reads to index and follow "+
				"its streams: grant it read on $all (and write on the ledger's stream prefixes) as eventstore/kurrentdb/README.md "+
				"shows under Least privilege, or check the credentials in the connection string: %w", eventstore.ErrAccessDenied, err)
		}
		return nil, ledgerError(ctx, "connect", err)
	}
	return c, nil
}

// supervise recreates the client whenever a call reports trouble, with
// exponential backoff, until the Store closes.
func (s *Store) supervise() {
	defer close(s.supervised)
	for {
		select {
		case <-s.base.Done():
			return
		case <-s.trouble:
		}
		for delay := s.o.minBackoff; !s.recover(); delay = min(2*delay, s.o.maxBackoff) {
			if !s.sleep(s.base, delay) {
				return
			}
		}
	}
}

// recover checks the current client and replaces it unless it answers. It
// reports whether the Store has a working client again (or is closing).
//
// A client that fails to answer is replaced whatever the error: besides
// closing for good when discovery fails, the client (v4.2.0) rediscovers
// only after some failures, and otherwise leaves its gRPC connection to
// reconnect on gRPC's own backoff, which grows to two minutes, so a long
// outage would outlast the server. While there is no client every call
// fails at once, and a fresh client reconnects at the Store's own pace.
func (s *Store) recover() bool {
	if c := s.current(); c != nil {
		// After a dropped connection the first call fails and the client may
		// rediscover on the next, so one failed ping proves little.
		for range 3 {
			err := s.ping(s.base, c)
			if err == nil {
				s.healthy.Store(true)
				return true
			}
			if isDenied(err) {
				// The server answers; it is the access that is missing,
				// which every call reports as eventstore.ErrAccessDenied.
				// A new client would not help.
				return true
			}
			if s.base.Err() != nil {
				return true
			}
			if isDead(err) || errors.Is(err, context.DeadlineExceeded) {
				break
			}
		}
		s.retire(c)
	}
	c, err := s.connect(s.base)
	if err != nil {
		s.o.log.Debug().Err(err).Msg("kurrentdb: reconnect failed")
		return s.base.Err() != nil
	}
	s.mu.Lock()
	closed := s.closed
	if !closed {
		s.cur = c
	}
	s.mu.Unlock()
	if closed {
		c.release(time.Second)
		return true
	}
	s.healthy.Store(true)
	metrics.Reconnected(metrics.EventStore)
	s.o.log.Info().Msg("kurrentdb: reconnected")
	return true
}

// Healthy reports whether the Store has a working client and its last call
// to KurrentDB succeeded. It costs nothing; use Ping to ask the server now.
func (s *Store) Healthy() bool { return s.healthy.Load() }

// Ping asks KurrentDB for the last record of $all and reports whether it
// answered: nil, or an error wrapping eventstore.ErrUnavailable (at once
// while the Store has no working client), eventstore.ErrClosed after Close,
// or ctx's error.
func (s *Store) Ping(ctx context.Context) error {
	_, err := do(s, ctx, pingAll)
	return ledgerError(ctx, "ping", err)
}
