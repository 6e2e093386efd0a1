// Package kurrentdb is the eventstore backend on KurrentDB (formerly
// EventStoreDB), through KurrentDB's own Go gRPC client,
// github.com/EventStore/EventStore-Client-Go/v4 (package esdb).
//
// # Mapping
//
// A ledger stream is a KurrentDB stream of the same name (after an optional
// namespace, WithNamespace). Event id, type and data are KurrentDB's own
// fields, the id being the caller's, so a retried append carries the same
// ids; data goes with content type JSON when it is JSON. The schema version
// and the ledger's envelope (eventstore.Metadata, hashes included) ride in
// the event's custom metadata as {"schema_version": n, "metadata": {…}}.
//
// A ledger Position is the event's commit position in $all (see commitOf):
// unique and strictly increasing, but a byte offset in KurrentDB's log, so
// positions are sparse and the first is not 1; Start (0) still means "before
// everything". Code that subtracts positions gets bytes, not events.
//
// Only the ledger's streams are the store: those starting with one of the
// prefixes (WithStreamPrefixes; by default the ledger's referral-,
// organisation-, username-, client-, access-, messages- and orgname-).
// ReadAll, Head and Subscribe skip system streams ("$…") and every other
// stream in $all, filtering on the server (see scan), so their cost does
// not grow with other applications' traffic in a shared KurrentDB; Append
// and ReadStream refuse names outside the prefixes with
// eventstore.ErrInvalid.
//
// # The leader
//
// Every call carries KurrentDB's requires-leader header as outgoing gRPC
// metadata (see leaderOnly), which client v4.2.0 means to send but never
// does: after an election a follower answers not-leader and the client
// moves to the leader, so reads, Head and subscriptions never lag behind
// the Store's own writes.
//
// # Definite refusals
//
// InvalidArgument answers (maximum append or event size, invalid position,
// missing metadata) are eventstore.ErrInvalid, size limits
// *eventstore.TooLargeError naming the limit, and PermissionDenied
// eventstore.ErrAccessDenied: none is retried or reported as
// eventstore.ErrUnavailable. Open refuses a user that cannot read $all.
//
// # Appends, the chain and retries
//
// Every event is sealed into its stream's hash chain (eventstore.Seal), so
// an append must know the stream's last revision and hash: it appends at
// that exact revision (or NoStream), and when another writer got there
// first KurrentDB answers WrongExpectedVersion and the adapter looks again.
// The stream heads, and the place of every ledger event id, come from an
// in-memory index the Store keeps by reading $all (see index). The id
// index is what makes a retry return the original result, and what refuses
// an id reused anywhere else, which KurrentDB itself does not check; it
// costs memory in proportion to the ledger (tens of bytes an event) and a
// filtered read of $all up to its end before each append. WrongExpectedVersion
// answers are retried with jittered exponential backoff, a bounded number of
// times.
//
// # Resilience
//
// The client closes itself for good when node discovery fails, and
// otherwise may leave a dead connection to gRPC's own reconnect backoff. The
// Store keeps its client behind a mutex; when a call reports trouble it
// pings the client, and replaces one that fails three pings (closed for
// good, esdb.ErrorCodeConnectionClosed, or just not answering), in the
// background with bounded exponential backoff. While there is no working
// client every call fails at once with an error wrapping
// eventstore.ErrUnavailable, and Healthy reports false; Ping asks the
// server now. An append whose outcome is unknown (the connection dropped
// after sending) is retried with the same event ids, which finds the events
// if they were written. See README.md for running against a real server.
package kurrentdb

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/eventstore"
)

// Store is an eventstore.Store on a KurrentDB node or cluster. It is safe
// for concurrent use.
type Store struct {
	cfg   esdb.Configuration // each new client gets a copy
	o     options
	names streams
	idx   *index

	mu     sync.Mutex
	cur    *conn // nil while the client is being recreated
	closed bool

	healthy    atomic.Bool
	trouble    chan struct{} // wakes the supervisor; capacity 1
	base       context.Context
	stop       context.CancelFunc // ends base: every call, subscription and the supervisor
	supervised chan struct{}      // closed when the supervisor has exited
	subs       sync.WaitGroup
	closeOnce  sync.Once
}

var _ eventstore.Store = (*Store)(nil)

// DefaultStreamPrefixes returns the ledger's stream name prefixes, the
// default for WithStreamPrefixes (they mirror the ledger package's
// ReferralPrefix, OrganisationPrefix, UsernamePrefix, ClientPrefix,
// AccessPrefix, MessagesPrefix, OrgNamePrefix and NetworkPrefix, and the
// stream of signed checkpoints, ledger.CheckpointStream).
func DefaultStreamPrefixes() []string {
	return []string{"referral-", "organisation-", "username-", "client-", "access-", "messages-", "orgname-", "audit-", "network-"}
}

// Option adjusts how Open sets up a Store.
type Option func(*options)

type options struct {
	prefixes     []string
	namespace    string
	log          zerolog.Logger
	minBackoff   time.Duration
	maxBackoff   time.Duration
	probeTimeout time.Duration
}

// WithStreamPrefixes sets which streams are the ledger's: those whose name
// starts with one of prefixes. An empty prefix takes every stream that is
// not a system stream.
func WithStreamPrefixes(prefixes ...string) Option {
	return func(o *options) { o.prefixes = append([]string(nil), prefixes...) }
}

// WithNamespace keeps the ledger's streams under ns in KurrentDB: ledger
// stream s is KurrentDB stream ns+s. It lets several ledgers (or test runs)
// share one KurrentDB. Default none.
func WithNamespace(ns string) Option { return func(o *options) { o.namespace = ns } }

// WithLogger sets where the Store reports reconnections; the client's own
// chatter goes there at debug level. Default: nowhere.
func WithLogger(l zerolog.Logger) Option { return func(o *options) { o.log = l } }

// WithReconnectBackoff bounds the wait between attempts to recreate the
// client or resubscribe: it starts at lo and doubles up to hi. Default 100ms
// to 5s.
func WithReconnectBackoff(lo, hi time.Duration) Option {
	return func(o *options) { o.minBackoff, o.maxBackoff = lo, hi }
}

// Open connects to the KurrentDB at url (kurrentdb://, kdb:// or esdb://,
// with +discover for a cluster found through DNS; see the client's
// connection string settings) and returns a Store once the server has
// answered. ctx bounds only the connecting.
//
// Errors: eventstore.ErrInvalid for a malformed url or options; an error
// wrapping eventstore.ErrUnavailable if the server cannot be reached before
// ctx ends or discovery gives up.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	cfg, err := parseURL(url)
	if err != nil {
		return nil, err
	}
	o := options{prefixes: DefaultStreamPrefixes(), log: zerolog.Nop(),
		minBackoff: 100 * time.Millisecond, maxBackoff: 5 * time.Second, probeTimeout: 15 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	if len(o.prefixes) == 0 || strings.HasPrefix(o.namespace, "$") || o.minBackoff <= 0 || o.maxBackoff < o.minBackoff {
		return nil, fmt.Errorf("kurrentdb: %w: options need a stream prefix, a namespace not starting with $, and 0 < backoff min <= max", eventstore.ErrInvalid)
	}
	cfg.Logger = clientLogger(o.log)
	base, stop := context.WithCancel(context.Background())
	s := &Store{
		cfg: *cfg, o: o, names: streams{namespace: o.namespace, prefixes: o.prefixes}, idx: newIndex(),
		trouble: make(chan struct{}, 1), base: base, stop: stop, supervised: make(chan struct{}),
	}
	c, err := s.connect(ctx)
	if err != nil {
		stop()
		return nil, fmt.Errorf("kurrentdb: open: %w", err)
	}
	s.cur = c
	s.healthy.Store(true)
	go s.supervise()
	return s, nil
}

// Close ends every subscription and call in flight and closes the client.
// Later calls return eventstore.ErrClosed. It is safe to call more than
// once and always returns nil.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		c := s.cur
		s.cur = nil
		s.mu.Unlock()
		s.healthy.Store(false)
		s.stop()
		<-s.supervised
		s.subs.Wait()
		if c != nil {
			c.release(5 * time.Second)
		}
	})
	return nil
}

func (s *Store) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// clientLogger sends the client's log lines to l at debug level: the client
// logs every dropped call as an error, which the Store handles.
func clientLogger(l zerolog.Logger) esdb.LoggingFunc {
	return func(level esdb.LogLevel, format string, args ...any) {
		l.Debug().Str("client_level", level).Msgf(format, args...)
	}
}
