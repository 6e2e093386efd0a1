// Package sqlite is the embedded keystore backend: one SQLite file in the
// data directory (keys.db), separate from the event log, so a destroyed key
// can be scrubbed from it while the log stays append-only.
//
// Erasure leaves no copy of a key behind (R-PRIV-4): secure_delete zeroes
// the deleted row, and a TRUNCATE checkpoint after every Destroy copies the
// change into the database file and empties the WAL, which would otherwise
// keep the old page, wrapped key included, until it was overwritten.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/referral-ledger/ledger/datadir"
	"github.com/referral-ledger/ledger/keystore"
)

// FileName is the key store's file in the data directory, beside (never
// inside) the event log.
const FileName = "keys.db"

// Store is a keystore.Store in one SQLite file, safe for concurrent use.
// Other processes may read the file (a backup, sqlite3), but Rewrap must
// run with no other Store open on it: one still holding the old master key
// would go on wrapping new keys under it, and the next Open would refuse
// the mix with ErrWrongMasterKey.
type Store struct {
	db  *sql.DB
	now func() time.Time

	// mu is held shared by every call and exclusively by Rewrap and Close,
	// so no call wraps or unwraps under a master key that is changing.
	mu     sync.RWMutex
	kek    keystore.MasterKey
	closed bool

	readOnly bool // opened by OpenReadOnly: Create, Destroy and Rewrap refused

	lookup, insert, delete, tombstone *sql.Stmt

	creates     chan *createReq // new keys for the committer; nil when read-only
	createsDone chan struct{}   // closed when the committer has stopped
}

var _ keystore.Store = (*Store)(nil)

// Option configures Open.
type Option func(*options)

type options struct {
	busyTimeout time.Duration
	now         func() time.Time
	immutable   bool
}

// WithBusyTimeout sets how long a call waits for another process's lock on
// the file before failing with ErrUnavailable (default 5s).
func WithBusyTimeout(d time.Duration) Option { return func(o *options) { o.busyTimeout = d } }

// WithClock sets the clock that stamps created_at and destroyed_at
// (default time.Now).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// Open opens the key store at path, creating it (mode 0600) if absent, with
// new keys wrapped under kek. On opening it deletes any key of a client
// that has a tombstone (a key-store backup restored over erasures) and
// scrubs it from the file.
//
// Errors: keystore.ErrWrongMasterKey, naming the master key ids, if any key
// is wrapped under a master key other than kek (the operator must supply the
// key the store was written with, or rotate from it);
// keystore.ErrUnavailable wrapping the cause for any failure to create,
// open or migrate the file, or if path is not a key store.
func Open(path string, kek keystore.MasterKey, opts ...Option) (*Store, error) {
	if kek.IsZero() {
		return nil, errors.New("keystore/sqlite: Open needs a master key")
	}
	o := options{busyTimeout: 5 * time.Second, now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	// SQLite would create the file 0644; its WAL and SHM copy the mode of
	// the database, so creating it 0600 first keeps all three private.
	if err := datadir.PrepareSQLite(path); err != nil {
		return nil, keystore.Unavailable("open key store", err)
	}
	db, err := sql.Open("sqlite", dsn(path, o.busyTimeout))
	if err != nil {
		return nil, keystore.Unavailable("open key store", err)
	}
	// One connection: calls queue in the pool rather than on SQLite locks,
	// and no reader of our own can hold back the checkpoint that scrubs a
	// destroyed key from the WAL.
	db.SetMaxOpenConns(1)
	s := &Store{db: db, now: o.now, kek: kek,
		creates: make(chan *createReq, maxCreateBatch), createsDone: make(chan struct{})}
	if err := s.init(context.Background()); err != nil {
		_ = db.Close()
		return nil, err
	}
	go s.committer()
	return s, nil
}

// init checks and migrates the schema, purges keys that came back after
// their client was erased, and refuses keys under an unknown master key.
func (s *Store) init(ctx context.Context) error {
	if err := checkPragmas(ctx, s.db); err != nil {
		return keystore.Unavailable("open key store", err)
	}
	if err := migrate(ctx, s.db); err != nil {
		return keystore.Unavailable("open key store", err)
	}
	for _, p := range []struct {
		stmt  **sql.Stmt
		query string
	}{{&s.lookup, lookupSQL}, {&s.insert, insertSQL}, {&s.delete, deleteSQL}, {&s.tombstone, tombstoneSQL}} {
		stmt, err := s.db.PrepareContext(ctx, p.query)
		if err != nil {
			return keystore.Unavailable("prepare", err)
		}
		*p.stmt = stmt
	}
	res, err := s.db.ExecContext(ctx, `DELETE FROM keys WHERE client_id IN (SELECT client_id FROM destroyed)`)
	if err != nil {
		return keystore.Unavailable("purge destroyed keys", err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		if err := s.checkpoint(ctx); err != nil {
			return err
		}
	}
	return s.checkMasterKeys(ctx)
}

// checkMasterKeys refuses a store holding keys under a master key other
// than s.kek.
func (s *Store) checkMasterKeys(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx,
		`SELECT kek_id, count(*) FROM keys WHERE kek_id <> ? GROUP BY kek_id ORDER BY kek_id`, s.kek.ID)
	if err != nil {
		return keystore.Unavailable("check master key ids", err)
	}
	defer rows.Close()
	var foreign []string
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return keystore.Unavailable("check master key ids", err)
		}
		foreign = append(foreign, fmt.Sprintf("%d under master key %s", n, id))
	}
	if err := rows.Err(); err != nil {
		return keystore.Unavailable("check master key ids", err)
	}
	return keystore.ForeignMasterKeys(s.kek, foreign)
}

// checkpoint copies the WAL into the database file and truncates the WAL to
// nothing, so pages holding deleted keys no longer exist outside the
// database file, where secure_delete has zeroed them. It fails if another
// process's reader keeps it from finishing within the busy timeout.
func (s *Store) checkpoint(ctx context.Context) error {
	var busy, logFrames, done int
	err := s.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logFrames, &done)
	if err == nil && busy != 0 {
		err = errors.New("another connection kept the WAL checkpoint from completing")
	}
	if err != nil {
		return keystore.Unavailable("checkpoint", err)
	}
	return nil
}

// Close closes the database; later calls return ErrUnavailable. It may be
// repeated.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	// No Create is in flight (each holds mu shared until answered), so
	// the committer has nothing left to commit.
	if s.creates != nil {
		close(s.creates)
		<-s.createsDone
	}
	closeDB := datadir.CloseSQLite
	if s.readOnly {
		// A read-only store may be reading beside a running writer, through
		// the writer's WAL: that WAL is the writer's to checkpoint, never a
		// read-only tool's (R-OPS-2). Opened immutable, there is none.
		closeDB = (*sql.DB).Close
	}
	if err := closeDB(s.db); err != nil {
		return keystore.Unavailable("close", err)
	}
	return nil
}

// errClosed is returned by every call on a closed Store.
var errClosed = keystore.Unavailable("sqlite", errors.New("store is closed"))
