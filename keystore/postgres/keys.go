package postgres

import (
	"context"
	"crypto/rand"
	"encoding/binary"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/referral-ledger/ledger/keystore"
)

const (
	// lookupSQL reads the client's tombstone and key in one statement, so
	// both come from the same snapshot.
	lookupSQL = `SELECT
		EXISTS (SELECT 1 FROM ledger_key_tombstones WHERE client_id = $1),
		(SELECT kek_id  FROM ledger_keys WHERE client_id = $1),
		(SELECT wrapped FROM ledger_keys WHERE client_id = $1)`
	// insertSQL loses quietly to a key already there, and inserts nothing
	// for an erased client.
	insertSQL = `INSERT INTO ledger_keys (client_id, kek_id, wrapped, created_at)
		SELECT $1::uuid, $2::text, $3::bytea, $4::timestamptz
		WHERE NOT EXISTS (SELECT 1 FROM ledger_key_tombstones WHERE client_id = $1)
		ON CONFLICT (client_id) DO NOTHING`
	deleteSQL    = `DELETE FROM ledger_keys WHERE client_id = $1`
	tombstoneSQL = `INSERT INTO ledger_key_tombstones (client_id, destroyed_at) VALUES ($1, $2)
		ON CONFLICT (client_id) DO NOTHING`
	// lockSQL serialises Create and Destroy of one client across every node
	// until the transaction ends. Without it, under READ COMMITTED, a
	// Create could check for a tombstone just before a Destroy commits one
	// and insert a key after the Destroy's DELETE ran: the key would live
	// beside the tombstone until the next read of it.
	lockSQL = `SELECT pg_advisory_xact_lock($1, $2)`
)

// querier is what lookup needs of a pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// row is what the store holds for one client.
type row struct {
	destroyed bool
	kekID     *string // nil when there is no key
	wrapped   []byte
}

// lookup reads what the store holds for the client.
func lookup(ctx context.Context, q querier, clientID uuid.UUID) (row, error) {
	var r row
	if err := q.QueryRow(ctx, lookupSQL, clientID).Scan(&r.destroyed, &r.kekID, &r.wrapped); err != nil {
		return row{}, keystore.Unavailable("read key", err)
	}
	return r, nil
}

// lockClient takes the client's advisory lock for the rest of tx. The lock
// key is the id's first 32 bits: two clients that share them only wait for
// each other.
func lockClient(ctx context.Context, tx pgx.Tx, clientID uuid.UUID) error {
	_, err := tx.Exec(ctx, lockSQL, lockClass, int32(binary.BigEndian.Uint32(clientID[:4])))
	return err
}

// Get returns the client's key. Errors: keystore.ErrNotFound,
// keystore.ErrDestroyed, keystore.ErrUnavailable,
// keystore.ErrWrongMasterKey, keystore.ErrCorrupt.
func (s *Store) Get(ctx context.Context, clientID uuid.UUID) (keystore.DataKey, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return keystore.DataKey{}, errClosed
	}
	r, err := lookup(ctx, s.pool, clientID)
	if err != nil {
		return keystore.DataKey{}, err
	}
	return s.resolve(ctx, clientID, r)
}

// resolve turns what the store holds for a client into the answer. A key
// beside a tombstone came back from a backup: it is refused and deleted
// again.
func (s *Store) resolve(ctx context.Context, clientID uuid.UUID, r row) (keystore.DataKey, error) {
	return keystore.Resolve(s.kek, clientID, keystore.Stored{Destroyed: r.destroyed, HasKey: r.kekID != nil,
		KEKID: derefOr(r.kekID), Wrapped: r.wrapped}, func() error { return s.purge(ctx, clientID) })
}

// Create returns the client's key, creating it on first use; concurrent
// Creates, on this node or any other, agree on one key. Errors:
// keystore.ErrDestroyed, keystore.ErrUnavailable,
// keystore.ErrWrongMasterKey, keystore.ErrCorrupt.
func (s *Store) Create(ctx context.Context, clientID uuid.UUID) (keystore.DataKey, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return keystore.DataKey{}, errClosed
	}
	r, err := lookup(ctx, s.pool, clientID)
	if err != nil {
		return keystore.DataKey{}, err
	}
	if r.destroyed || r.kekID != nil {
		return s.resolve(ctx, clientID, r)
	}

	var key keystore.DataKey
	_, _ = rand.Read(key[:]) // crypto/rand.Read never fails; it crashes the program instead
	wrapped := keystore.Wrap(s.kek, clientID, key)
	clear(key[:]) // the key returned is the one read back below, whoever inserted it

	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return keystore.DataKey{}, keystore.Unavailable("create key", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if err := lockClient(ctx, tx, clientID); err != nil {
		return keystore.DataKey{}, keystore.Unavailable("create key", err)
	}
	// Whether the insert wins, loses to a key inserted since the lookup or
	// is skipped for a client erased since, the lookup after it reads what
	// the store now holds: under READ COMMITTED each statement sees every
	// transaction committed before it began, and the advisory lock keeps
	// a Destroy of this client from committing in between.
	if _, err := tx.Exec(ctx, insertSQL, clientID, s.kek.ID, wrapped, s.now()); err != nil {
		return keystore.DataKey{}, keystore.Unavailable("create key", err)
	}
	if r, err = lookup(ctx, tx, clientID); err != nil {
		return keystore.DataKey{}, err
	}
	if err := tx.Commit(ctx); err != nil {
		return keystore.DataKey{}, keystore.Unavailable("create key", err)
	}
	return s.resolve(ctx, clientID, r)
}

// Destroy deletes the client's key and records a tombstone in one
// transaction, then vacuums (see WithVacuum) so the deleted row leaves the
// table's files. It is idempotent, and always vacuums, so a retry after a
// failed vacuum finishes the scrubbing. Errors: keystore.ErrUnavailable.
func (s *Store) Destroy(ctx context.Context, clientID uuid.UUID) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return errClosed
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return keystore.Unavailable("destroy key", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if err := lockClient(ctx, tx, clientID); err != nil {
		return keystore.Unavailable("destroy key", err)
	}
	if _, err := tx.Exec(ctx, deleteSQL, clientID); err != nil {
		return keystore.Unavailable("destroy key", err)
	}
	if _, err := tx.Exec(ctx, tombstoneSQL, clientID, s.now()); err != nil {
		return keystore.Unavailable("destroy key", err)
	}
	var xid int64
	if err := tx.QueryRow(ctx, xidSQL).Scan(&xid); err != nil {
		return keystore.Unavailable("destroy key", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return keystore.Unavailable("destroy key", err)
	}
	return s.scrubs.scrub(ctx, xid)
}

// purge deletes a key that reappeared beside its client's tombstone, and
// vacuums.
func (s *Store) purge(ctx context.Context, clientID uuid.UUID) error {
	var xid int64
	if err := s.pool.QueryRow(ctx, `WITH d AS (DELETE FROM ledger_keys WHERE client_id = $1
		AND EXISTS (SELECT 1 FROM ledger_key_tombstones WHERE client_id = $1))
		SELECT pg_current_xact_id()::text::bigint`, clientID).Scan(&xid); err != nil {
		return keystore.Unavailable("delete reappeared key", err)
	}
	return s.scrubs.scrub(ctx, xid)
}

// derefOr returns *p, or "" for nil.
func derefOr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// checkSQL reads the keys and tombstones of a page of clients in one
// statement, so they come from one snapshot.
const checkSQL = `SELECT client_id, kek_id, wrapped, false FROM ledger_keys WHERE client_id = ANY($1)
	UNION ALL SELECT client_id, NULL, NULL, true FROM ledger_key_tombstones WHERE client_id = ANY($1)`

// checkPage is how many clients one statement of CheckEach asks about.
const checkPage = 5000

// CheckEach implements keystore.Checker: one statement per page of
// clients instead of one per client.
func (s *Store) CheckEach(ctx context.Context, clients []uuid.UUID, report func(uuid.UUID, error)) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return errClosed
	}
	stored := make(map[uuid.UUID]keystore.Stored, len(clients))
	for start := 0; start < len(clients); start += checkPage {
		page := clients[start:min(start+checkPage, len(clients))]
		rows, err := s.pool.Query(ctx, checkSQL, page)
		if err != nil {
			return keystore.Unavailable("read keys", err)
		}
		for rows.Next() {
			var client uuid.UUID
			var kekID *string
			var wrapped []byte
			var tombstone bool
			if err := rows.Scan(&client, &kekID, &wrapped, &tombstone); err != nil {
				rows.Close()
				return keystore.Unavailable("read keys", err)
			}
			st := stored[client]
			if tombstone {
				st.Destroyed = true
			} else {
				st.HasKey, st.KEKID, st.Wrapped = true, derefOr(kekID), wrapped
			}
			stored[client] = st
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return keystore.Unavailable("read keys", err)
		}
	}
	keystore.ResolveEach(s.kek, clients, stored, report)
	return nil
}
