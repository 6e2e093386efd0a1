// Package sqlite is the embedded eventstore backend: one SQLite file in WAL
// mode, written by a single goroutine that group-commits concurrent appends
// (one fsync for many callers) and read through a separate connection pool.
// It uses modernc.org/sqlite, a pure-Go SQLite, so the binary needs no cgo.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/referral-ledger/ledger/datadir"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/internal/walvfs"
)

// Store is an eventstore.Store kept in one SQLite file. It is safe for
// concurrent use. Open one Store per file: appends stay correct if another
// process or handle writes too (each batch reads stream heads inside its
// own write-locked transaction), and subscriptions, woken at once by this
// Store's commits, also look for others' every poll interval, so a wait
// for an event written elsewhere is bounded (R-OPS-4).
type Store struct {
	path   string
	write  *sql.DB   // exactly one connection, owned by the writer goroutine
	wconn  *sql.Conn // that connection
	read   *sql.DB   // the read pool
	ckpt   *sql.DB   // one connection that checkpoints the WAL beside the writer (writer.go)
	reqs   chan *request
	maxReq int
	poll   time.Duration // how often an idle subscription looks for others' appends

	readOnly bool // opened by OpenReadOnly: no writer, Append refused

	headStmt atomic.Pointer[sql.Stmt] // Head's query, prepared on first use (read.go)
	cstmts   cStmts                   // the direct reads' statements, per read connection (stmtcache.go)

	// mu guards closed. Calls hold it for reading while they use the
	// databases or enqueue, so Close (holding it for writing) knows that
	// none is in flight once it sets closed.
	mu     sync.RWMutex
	closed bool

	commits    *signal        // fired after every commit that wrote events
	stats      writeStats     // what the writer has committed, for benchmarks
	writerDone chan struct{}  // closed when the writer goroutine exits
	stopping   chan struct{}  // closed by Close to end subscriptions
	subs       sync.WaitGroup // running subscriptions
	closeOnce  sync.Once
	closeErr   error
}

var _ eventstore.Store = (*Store)(nil)

// writeStats counts the writer's commits and the events they carried, so a
// benchmark can say how large the group commits actually were.
type writeStats struct {
	commits, events atomic.Uint64
	checkpoints     atomic.Uint64 // run by the checkpointer beside the writer
}

// Option adjusts how Open sets up a Store.
type Option func(*options)

type options struct {
	busyTimeout time.Duration
	maxBatch    int
	readConns   int
	immutable   bool
	poll        time.Duration
}

// WithBusyTimeout sets how long a connection waits for a lock held by
// another connection (such as a running Verify) before failing. Default 5s.
func WithBusyTimeout(d time.Duration) Option { return func(o *options) { o.busyTimeout = d } }

// WithMaxBatch caps how many appends one group commit takes. Default 512.
func WithMaxBatch(n int) Option { return func(o *options) { o.maxBatch = n } }

// WithReadConns sets the size of the read connection pool. Default 4.
func WithReadConns(n int) Option { return func(o *options) { o.readConns = n } }

// WithPollInterval sets how often an idle subscription reads the file for
// events appended by another handle or process. Default 1s.
func WithPollInterval(d time.Duration) Option { return func(o *options) { o.poll = d } }

// Open opens the ledger in the SQLite file at path, creating it if needed and
// migrating its schema, and starts the writer. It fails with an error
// wrapping eventstore.ErrUnavailable if the file cannot be opened or was
// written by a newer schema version.
func Open(path string, opts ...Option) (*Store, error) {
	s, w, err := open(path, opts...)
	if err != nil {
		return nil, err
	}
	go w.run()
	return s, nil
}

// open prepares a Store and its writer without starting the writer, so
// tests can drive batches by hand.
func open(path string, opts ...Option) (*Store, *writer, error) {
	o := options{busyTimeout: 5 * time.Second, maxBatch: 512, readConns: 4, poll: time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	if path == "" || o.maxBatch < 1 || o.readConns < 1 || o.busyTimeout < 0 || o.poll <= 0 {
		return nil, nil, fmt.Errorf("sqlite: open %q: %w: empty path or non-positive option", path, eventstore.ErrInvalid)
	}
	ctx := context.Background()
	s := &Store{
		path: path, maxReq: o.maxBatch, poll: o.poll,
		reqs:       make(chan *request, o.maxBatch),
		commits:    newSignal(),
		writerDone: make(chan struct{}),
		stopping:   make(chan struct{}),
	}
	// Created 0600 whatever the umask: the log holds every user's
	// password hash. Its WAL and SHM take the database file's mode.
	err := datadir.PrepareSQLite(path)
	if err == nil {
		err = walvfs.Register()
	}
	if err == nil {
		// The writer's WAL writes are gathered into one system call per
		// run of frames (internal/walvfs).
		s.write, err = sql.Open("sqlite", dsn(path, pragmas(o.busyTimeout), "vfs", walvfs.Name))
	}
	if err == nil {
		s.write.SetMaxOpenConns(1)
		s.wconn, err = s.write.Conn(ctx)
	}
	if err == nil {
		err = migrate(ctx, s.wconn)
	}
	if err == nil {
		err = backfillTree(ctx, s.wconn) // a ledger from before the audit tree
	}
	if err == nil {
		// query_only makes a bug that writes through the read pool fail loudly.
		s.read, err = sql.Open("sqlite", dsn(path, append(pragmas(o.busyTimeout), "query_only(1)")))
	}
	if err == nil {
		s.read.SetMaxOpenConns(o.readConns)
		s.read.SetMaxIdleConns(o.readConns)
		err = s.read.PingContext(ctx)
	}
	if err == nil {
		s.ckpt, err = sql.Open("sqlite", dsn(path, pragmas(o.busyTimeout)))
	}
	if err == nil {
		s.ckpt.SetMaxOpenConns(1)
		err = s.ckpt.PingContext(ctx)
	}
	var w *writer
	if err == nil {
		w, err = newWriter(ctx, s)
	}
	if err != nil {
		_ = s.closeDBs()
		if isDamage(err) {
			err = &DamagedError{Cause: err}
		}
		return nil, nil, unavailable("open "+path, err)
	}
	return s, w, nil
}

// enter admits a call on the store, or returns ErrClosed. A nil error must
// be paired with leave.
func (s *Store) enter() error {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return eventstore.ErrClosed
	}
	return nil
}

func (s *Store) leave() { s.mu.RUnlock() }

// Close stops accepting calls (they return eventstore.ErrClosed), lets the
// appends already queued commit, ends subscriptions, checkpoints the WAL into
// the main file and closes the database. It is safe to call more than once;
// later calls return the first call's result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		close(s.reqs) // no sender is in flight: senders hold mu for reading
		s.mu.Unlock()
		<-s.writerDone
		close(s.stopping)
		s.subs.Wait()
		s.closeErr = s.closeDBs()
	})
	return s.closeErr
}

// closeDBs closes the read pool first so the writer's connection is the last
// one: SQLite then checkpoints the WAL fully and removes it.
func (s *Store) closeDBs() error {
	var errs []error
	s.cstmts.close()
	if s.read != nil {
		errs = append(errs, s.read.Close())
	}
	if s.ckpt != nil {
		errs = append(errs, s.ckpt.Close())
	}
	if s.wconn != nil {
		_, err := s.wconn.ExecContext(context.Background(), "PRAGMA wal_checkpoint(TRUNCATE)")
		errs = append(errs, err, s.wconn.Close())
	}
	if s.write != nil {
		errs = append(errs, s.write.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return unavailable("close "+s.path, err)
	}
	return nil
}

// unavailable marks a database failure as eventstore.ErrUnavailable while
// keeping the driver's error inspectable.
func unavailable(op string, err error) error {
	return fmt.Errorf("sqlite: %s: %w: %w", op, eventstore.ErrUnavailable, err)
}
