// Package postgres is the shared keystore backend: client keys in a
// PostgreSQL database that several API nodes use at once, so that a key
// created by one node decrypts on every other and a client erased through
// one node is erased for all.
//
// Erasure (R-PRIV-3, R-PRIV-4) deletes the key's row and records a
// tombstone in one transaction. A deleted row is not gone from disk: it stays
// in the table's heap pages until VACUUM reclaims it, and plain VACUUM only
// marks the space free, leaving the bytes there until a later row overwrites
// them. So after every Destroy (and Rewrap) the store rewrites the table with
// VACUUM FULL, which copies the live rows to a new file and truncates the old
// one; see WithVacuum to choose plain VACUUM or none. VACUUM keeps a deleted
// row while any transaction that began before the deletion is open (one
// holding a transaction id anywhere on the server, or a snapshot in this
// database), so the store first waits for those to end, and if they outlast
// WithVacuumWait, Destroy returns ErrUnavailable rather than claim a scrub
// that did not happen; a retry finishes it. What SQL cannot reach
// stays until it ages out: WAL segments (until recycled after a checkpoint,
// or for as long as they are archived), streaming replicas' own copies of
// the same pages and WAL, and base backups and dumps. Operators encrypt and
// rotate those backups; rotating the master key (Rewrap) makes every wrapped
// key left in them useless to whoever does not hold the old master key. The
// README beside this file says the same for operators.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/referral-ledger/ledger/keystore"
)

// Store is a keystore.Store in a PostgreSQL database, safe for concurrent
// use, and safe to open from several processes on one database. Rewrap must
// run with no other process using the store (stop the other nodes first):
// one still holding the old master key cannot read rewrapped keys
// (ErrWrongMasterKey), and would go on wrapping new keys under the old one.
type Store struct {
	pool   *pgxpool.Pool
	now    func() time.Time
	scrubs *scrubber

	// mu is held shared by every call and exclusively by Rewrap and Close,
	// so no call wraps or unwraps under a master key that is changing.
	mu     sync.RWMutex
	kek    keystore.MasterKey
	closed bool
}

var _ keystore.Store = (*Store)(nil)

// Option configures Open.
type Option func(*options)

type options struct {
	vacuum Vacuum
	wait   time.Duration
	now    func() time.Time
}

// WithVacuum sets what runs after Destroy and Rewrap (default VacuumFull).
func WithVacuum(v Vacuum) Option { return func(o *options) { o.vacuum = v } }

// WithVacuumWait sets how long the vacuum after a Destroy waits for
// transactions that began before the erasure, and so could still see the
// deleted row, to end (default 10s). VACUUM keeps the row for them, so past
// this wait Destroy does not vacuum but returns ErrUnavailable, and a retry
// finishes the scrubbing.
func WithVacuumWait(d time.Duration) Option { return func(o *options) { o.wait = d } }

// WithClock sets the clock that stamps created_at and destroyed_at (default
// time.Now).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// Open connects to the PostgreSQL database at url (a postgres:// URL or a
// key=value connection string, as pgx reads them; pool_max_conns and the
// other pgxpool settings apply), creates or migrates the tables, and wraps
// new keys under kek. Several nodes may Open one database at once: the
// migration runs under an advisory lock. On opening it deletes any key of a
// client that has a tombstone (a backup restored over erasures) and vacuums.
//
// Errors: keystore.ErrWrongMasterKey, naming the master key ids, if any key
// is wrapped under a master key other than kek; keystore.ErrUnavailable
// wrapping the cause for any failure to parse url, connect or migrate. No
// error contains the URL's password.
func Open(ctx context.Context, url string, kek keystore.MasterKey, opts ...Option) (*Store, error) {
	if kek.IsZero() {
		return nil, errors.New("keystore/postgres: Open needs a master key")
	}
	o := options{vacuum: VacuumFull, wait: defaultHorizonWait, now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, keystore.Unavailable("open key store", err)
	}
	countReconnects(cfg)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, keystore.Unavailable("open key store", err)
	}
	s := &Store{pool: pool, now: o.now, kek: kek}
	s.scrubs = newScrubber(vacuumer(pool, o.vacuum, o.wait))
	if err := s.init(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// init migrates the schema, purges keys that came back after their client
// was erased, and refuses keys under an unknown master key.
func (s *Store) init(ctx context.Context) error {
	if err := migrate(ctx, s.pool); err != nil {
		return keystore.Unavailable("open key store", err)
	}
	var purged, xid int64
	if err := s.pool.QueryRow(ctx, `WITH d AS (DELETE FROM ledger_keys k
		USING ledger_key_tombstones t WHERE k.client_id = t.client_id RETURNING 1)
		SELECT (SELECT count(*) FROM d), pg_current_xact_id()::text::bigint`).Scan(&purged, &xid); err != nil {
		return keystore.Unavailable("purge destroyed keys", err)
	}
	if purged > 0 {
		if err := s.scrubs.scrub(ctx, xid); err != nil {
			return err
		}
	}
	rows, err := s.pool.Query(ctx,
		`SELECT kek_id, count(*) FROM ledger_keys WHERE kek_id <> $1 GROUP BY kek_id ORDER BY kek_id`, s.kek.ID)
	if err != nil {
		return keystore.Unavailable("check master key ids", err)
	}
	defer rows.Close()
	var foreign []string
	for rows.Next() {
		var id string
		var n int64
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

// Used reports whether the store holds any key or erasure tombstone: whether
// a ledger already keeps its client keys here (keystore.Holder).
func (s *Store) Used(ctx context.Context) (bool, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return false, errClosed
	}
	var used bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM ledger_keys)
		OR EXISTS (SELECT 1 FROM ledger_key_tombstones)`).Scan(&used); err != nil {
		return false, keystore.Unavailable("check for keys", err)
	}
	return used, nil
}

// Close closes the connection pool; later calls return ErrUnavailable. It
// may be repeated.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.pool.Close()
	return nil
}

// errClosed is returned by every call on a closed Store.
var errClosed = keystore.Unavailable("postgres", errors.New("store is closed"))
