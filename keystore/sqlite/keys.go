package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/keystore"
)

// The statements a Store prepares once at Open: preparing costs more than
// running them.
const (
	// lookupSQL reads the client's tombstone and key in one statement, so
	// both come from the same snapshot.
	lookupSQL = `SELECT
		EXISTS (SELECT 1 FROM destroyed WHERE client_id = ?1),
		(SELECT kek_id  FROM keys WHERE client_id = ?1),
		(SELECT wrapped FROM keys WHERE client_id = ?1)`
	// insertSQL loses quietly to a key already there, and inserts nothing
	// for an erased client.
	insertSQL = `INSERT INTO keys (client_id, kek_id, wrapped, created_at)
		SELECT ?1, ?2, ?3, ?4 WHERE NOT EXISTS (SELECT 1 FROM destroyed WHERE client_id = ?1)
		ON CONFLICT (client_id) DO NOTHING`
	deleteSQL    = `DELETE FROM keys WHERE client_id = ?`
	tombstoneSQL = `INSERT INTO destroyed (client_id, destroyed_at) VALUES (?, ?)
		ON CONFLICT (client_id) DO NOTHING`
)

// row is what the store holds for one client.
type row struct {
	destroyed bool
	kekID     sql.NullString // not Valid when there is no key
	wrapped   []byte
}

// lookup reads what the store holds for the client, with stmt (s.lookup,
// or s.lookup bound to a transaction).
func lookup(ctx context.Context, stmt *sql.Stmt, clientID uuid.UUID) (row, error) {
	var r row
	err := stmt.QueryRowContext(ctx, clientID.String()).Scan(&r.destroyed, &r.kekID, &r.wrapped)
	if err != nil {
		return row{}, keystore.Unavailable("read key", err)
	}
	return r, nil
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
	r, err := lookup(ctx, s.lookup, clientID)
	if err != nil {
		return keystore.DataKey{}, err
	}
	return s.resolve(ctx, clientID, r)
}

// resolve turns what the store holds for a client into the answer. A key
// beside a tombstone came back from a backup: it is refused and deleted
// again.
func (s *Store) resolve(ctx context.Context, clientID uuid.UUID, r row) (keystore.DataKey, error) {
	return keystore.Resolve(s.kek, clientID, keystore.Stored{Destroyed: r.destroyed, HasKey: r.kekID.Valid,
		KEKID: r.kekID.String, Wrapped: r.wrapped}, func() error { return s.purge(ctx, clientID) })
}

// Create returns the client's key, creating it on first use; concurrent
// Creates agree on one key. Errors: keystore.ErrDestroyed,
// keystore.ErrUnavailable, keystore.ErrWrongMasterKey, keystore.ErrCorrupt.
func (s *Store) Create(ctx context.Context, clientID uuid.UUID) (keystore.DataKey, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return keystore.DataKey{}, errClosed
	}
	if s.readOnly {
		return keystore.DataKey{}, keystore.Unavailable("create key", errReadOnly)
	}
	r, err := lookup(ctx, s.lookup, clientID)
	if err != nil {
		return keystore.DataKey{}, err
	}
	if r.destroyed || r.kekID.Valid {
		return s.resolve(ctx, clientID, r)
	}

	var key keystore.DataKey
	_, _ = rand.Read(key[:]) // crypto/rand.Read never fails; it crashes the program instead
	wrapped := keystore.Wrap(s.kek, clientID, key)
	clear(key[:]) // the key returned is the one read back below, whoever inserted it

	// The key joins the next group commit (committer); the answer is what
	// the store holds once it has committed, whoever inserted it.
	req := &createReq{ctx: ctx, clientID: clientID, kekID: s.kek.ID, wrapped: wrapped, done: make(chan createRes, 1)}
	select {
	case s.creates <- req:
	case <-ctx.Done():
		return keystore.DataKey{}, keystore.Unavailable("create key", ctx.Err())
	}
	var res createRes
	select {
	case res = <-req.done:
	case <-ctx.Done():
		// The key may or may not be committed; a retry reads which.
		return keystore.DataKey{}, keystore.Unavailable("create key", ctx.Err())
	}
	if res.err != nil {
		return keystore.DataKey{}, res.err
	}
	return s.resolve(ctx, clientID, res.r)
}

// Destroy deletes the client's key and records a tombstone in one
// transaction, then checkpoints so the key is gone from the WAL too. It is
// idempotent, and always checkpoints, so a retry after a failed checkpoint
// finishes the scrubbing. Errors: keystore.ErrUnavailable.
func (s *Store) Destroy(ctx context.Context, clientID uuid.UUID) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return errClosed
	}
	if s.readOnly {
		return keystore.Unavailable("destroy key", errReadOnly)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return keystore.Unavailable("destroy key", err)
	}
	defer tx.Rollback()
	if _, err := tx.StmtContext(ctx, s.delete).ExecContext(ctx, clientID.String()); err != nil {
		return keystore.Unavailable("destroy key", err)
	}
	if _, err := tx.StmtContext(ctx, s.tombstone).ExecContext(ctx, clientID.String(), s.now().Unix()); err != nil {
		return keystore.Unavailable("destroy key", err)
	}
	if err := tx.Commit(); err != nil {
		return keystore.Unavailable("destroy key", err)
	}
	return s.checkpoint(ctx)
}

// purge deletes a key that reappeared beside its client's tombstone, and
// scrubs it from the WAL.
func (s *Store) purge(ctx context.Context, clientID uuid.UUID) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM keys WHERE client_id = ?1
		AND EXISTS (SELECT 1 FROM destroyed WHERE client_id = ?1)`, clientID.String()); err != nil {
		return keystore.Unavailable("delete reappeared key", err)
	}
	return s.checkpoint(ctx)
}

// checkAllSQL reads every key and tombstone in one statement, so they come
// from one snapshot.
const checkAllSQL = `SELECT client_id, kek_id, wrapped, 0 FROM keys
	UNION ALL SELECT client_id, NULL, NULL, 1 FROM destroyed`

// CheckEach implements keystore.Checker: one pass over keys.db.
func (s *Store) CheckEach(ctx context.Context, clients []uuid.UUID, report func(uuid.UUID, error)) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return errClosed
	}
	want := make(map[uuid.UUID]struct{}, len(clients))
	for _, id := range clients {
		want[id] = struct{}{}
	}
	stored := make(map[uuid.UUID]keystore.Stored, len(clients))
	rows, err := s.db.QueryContext(ctx, checkAllSQL)
	if err != nil {
		return keystore.Unavailable("read keys", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var kekID sql.NullString
		var wrapped []byte
		var tombstone bool
		if err := rows.Scan(&id, &kekID, &wrapped, &tombstone); err != nil {
			return keystore.Unavailable("read keys", err)
		}
		client, err := uuid.Parse(id)
		if err != nil {
			continue // not a client id: no client asks for it
		}
		if _, ok := want[client]; !ok {
			continue
		}
		st := stored[client]
		if tombstone {
			st.Destroyed = true
		} else {
			st.HasKey, st.KEKID, st.Wrapped = true, kekID.String, wrapped
		}
		stored[client] = st
	}
	if err := rows.Err(); err != nil {
		return keystore.Unavailable("read keys", err)
	}
	keystore.ResolveEach(s.kek, clients, stored, report)
	return nil
}
