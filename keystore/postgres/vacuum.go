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

// Vacuum is what the store runs on ledger_keys after Destroy and Rewrap, so
// that deleted or replaced wrapped keys leave the table's files.
type Vacuum int

const (
	// VacuumFull runs VACUUM FULL: the table is rewritten to a new file
	// holding only live rows and the old file is truncated, so no deleted
	// wrapped key is left in the database's files. It takes an ACCESS
	// EXCLUSIVE lock on ledger_keys for the rewrite (milliseconds for
	// thousands of keys), during which key reads on every node wait. The
	// default.
	VacuumFull Vacuum = iota
	// VacuumPlain runs plain VACUUM, which takes no lock that blocks reads
	// but only marks a deleted row's space free: its bytes stay in the page
	// until a later row overwrites them.
	VacuumPlain
	// VacuumOff runs nothing; autovacuum reclaims the space in its own time
	// and, as with VacuumPlain, the bytes stay until overwritten. For
	// operators who schedule VACUUM FULL ledger_keys themselves.
	VacuumOff
)

// Timing of a scrub.
const (
	// defaultHorizonWait is how long a scrub waits, by default, for the
	// transactions that could still see a deleted row to end.
	defaultHorizonWait = 10 * time.Second
	// horizonPoll is how often it looks.
	horizonPoll = 20 * time.Millisecond
	// vacuumLockTimeout bounds how long VACUUM FULL waits for its lock.
	// Waiting longer would queue every key read behind it; failing instead
	// makes Destroy return ErrUnavailable, and its retry vacuums again.
	vacuumLockTimeout = 10 * time.Second
	// scrubTimeout bounds one scrub, whoever is waiting for it.
	scrubTimeout = 2 * time.Minute
)

// errHorizon is the cause when a scrub gave up waiting for old transactions.
var errHorizon = errors.New("a transaction that began before the deletion is still open, so VACUUM " +
	"would keep the deleted row; it was not run (retry once that transaction ends)")

// horizonSQL reports whether a transaction that could still see rows deleted
// by transaction $1 is open; VACUUM (FULL or not) keeps such rows. Three
// kinds count: a transaction holding an older transaction id anywhere on the
// server (PostgreSQL keeps rows for those even across databases), found
// through the current snapshot's xmin; a snapshot older than the deletion in
// this database or held for a standby (hot_standby_feedback), found in
// pg_stat_activity, whose backend_xmin only a superuser or pg_read_all_stats
// sees for other users' sessions; and a replication slot's xmin.
// Autovacuum's own snapshot is no obstacle.
const horizonSQL = `WITH x AS (SELECT ($1::bigint % 4294967296)::text::xid AS deleted)
SELECT
	pg_snapshot_xmin(pg_current_snapshot()) <= $1::bigint::text::xid8,
	EXISTS (SELECT 1 FROM pg_stat_activity, x
		WHERE (datname = current_database() OR backend_type = 'walsender')
		AND pid <> pg_backend_pid() AND backend_type <> 'autovacuum worker'
		AND backend_xmin IS NOT NULL AND age(backend_xmin) >= age(x.deleted))
	OR EXISTS (SELECT 1 FROM pg_replication_slots, x
		WHERE xmin IS NOT NULL AND age(xmin) >= age(x.deleted))`

// xidSQL is the id of the current transaction, assigning one if need be.
const xidSQL = `SELECT pg_current_xact_id()::text::bigint`

// vacuumer returns the function that vacuums ledger_keys as v says, once no
// transaction that began before xid (the last deleting transaction) is
// open, waiting for that at most wait.
func vacuumer(pool *pgxpool.Pool, v Vacuum, wait time.Duration) func(ctx context.Context, xid int64) error {
	var stmt string
	switch v {
	case VacuumFull:
		stmt = "VACUUM (FULL) ledger_keys"
	case VacuumPlain:
		stmt = "VACUUM ledger_keys"
	default:
		return func(context.Context, int64) error { return nil }
	}
	return func(ctx context.Context, xid int64) error {
		conn, err := pool.Acquire(ctx)
		if err != nil {
			return err
		}
		defer conn.Release()
		deadline := time.Now().Add(wait)
		for {
			var olderXid, olderSnapshot bool
			if err := conn.QueryRow(ctx, horizonSQL, xid).Scan(&olderXid, &olderSnapshot); err != nil {
				return fmt.Errorf("check for older transactions: %w", err)
			}
			if !olderXid && !olderSnapshot {
				break
			}
			if time.Now().After(deadline) {
				return errHorizon
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(horizonPoll):
			}
		}
		// VACUUM cannot run in a transaction, so SET LOCAL is no use: set
		// the timeout for the session and drop the connection if it cannot
		// be reset, rather than hand it back to the pool changed.
		if _, err := conn.Exec(ctx, fmt.Sprintf("SET lock_timeout = %d", vacuumLockTimeout.Milliseconds())); err != nil {
			return err
		}
		_, err = conn.Exec(ctx, stmt)
		if _, rerr := conn.Exec(context.WithoutCancel(ctx), "RESET lock_timeout"); rerr != nil {
			_ = conn.Conn().Close(context.WithoutCancel(ctx))
		}
		return err
	}
}

// scrubber runs the store's VACUUM for Destroy, Rewrap and Open, one at a
// time. A caller waits for a run that starts after it asked, so the run sees
// the caller's committed deletion; callers that ask while a run is going
// share the next one, so a burst of erasures costs two rewrites, not one
// per erasure.
type scrubber struct {
	run func(ctx context.Context, xid int64) error

	mu      sync.Mutex
	running bool
	next    *scrubRound
}

// scrubRound is one run of the vacuum, for deletions up to transaction xid;
// done is closed, and err set, when it has run.
type scrubRound struct {
	xid  int64
	done chan struct{}
	err  error
}

func newScrubber(run func(ctx context.Context, xid int64) error) *scrubber {
	return &scrubber{run: run}
}

// scrub waits for a vacuum that starts after the call and removes what
// transaction xid, committed, deleted. The vacuum goes on if ctx ends first,
// for the others waiting on it. Errors: keystore.ErrUnavailable.
func (s *scrubber) scrub(ctx context.Context, xid int64) error {
	s.mu.Lock()
	if s.next == nil {
		s.next = &scrubRound{done: make(chan struct{})}
	}
	r := s.next
	r.xid = max(r.xid, xid)
	if !s.running {
		s.running = true
		go s.loop()
	}
	s.mu.Unlock()
	select {
	case <-r.done:
		if r.err != nil {
			return keystore.Unavailable("vacuum", r.err)
		}
		return nil
	case <-ctx.Done():
		return keystore.Unavailable("vacuum", ctx.Err())
	}
}

// loop runs rounds until no caller is waiting for one.
func (s *scrubber) loop() {
	for {
		s.mu.Lock()
		r := s.next
		s.next = nil
		if r == nil {
			s.running = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), scrubTimeout)
		r.err = s.run(ctx, r.xid)
		cancel()
		close(r.done)
	}
}
