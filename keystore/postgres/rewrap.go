package postgres

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/keystore"
)

// Rewrap rewraps every key under next in one transaction, then vacuums so
// the keys' old wrappings leave the table's files, and from then on wraps
// new keys under next. It returns how many keys it rewrapped; keys already
// under next are left alone. Other calls on this Store wait while it runs;
// on other nodes reads go on and key creation waits for it (the table is
// locked against writes), but those nodes must be stopped before it and
// restarted with next after it: see Store.
//
// Errors: keystore.ErrWrongMasterKey or keystore.ErrCorrupt if any key
// cannot be unwrapped (nothing is changed); keystore.ErrUnavailable. If
// only the final vacuum fails, the rewrap has happened: Rewrap returns the
// count with the error, and next is in use.
func (s *Store) Rewrap(ctx context.Context, next keystore.MasterKey) (int, error) {
	if next.IsZero() {
		return 0, errors.New("keystore/postgres: Rewrap needs a master key")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, errClosed
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, keystore.Unavailable("rewrap", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	// EXCLUSIVE lets reads through but holds back every insert, update and
	// delete until commit, so no key created meanwhile is missed by the
	// SELECT below and left under the old master key.
	if _, err := tx.Exec(ctx, `LOCK TABLE ledger_keys IN EXCLUSIVE MODE`); err != nil {
		return 0, keystore.Unavailable("rewrap", err)
	}
	rows, err := tx.Query(ctx, `SELECT client_id, kek_id, wrapped FROM ledger_keys WHERE kek_id <> $1`, next.ID)
	if err != nil {
		return 0, keystore.Unavailable("rewrap", err)
	}
	var ids []uuid.UUID
	var rewrapped [][]byte
	for rows.Next() {
		var id uuid.UUID
		var kekID string
		var wrapped []byte
		if err := rows.Scan(&id, &kekID, &wrapped); err != nil {
			rows.Close()
			return 0, keystore.Unavailable("rewrap", err)
		}
		key, err := keystore.Unwrap(s.kek, id, kekID, wrapped)
		if err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
		rewrapped = append(rewrapped, keystore.Wrap(next, id, key))
		clear(key[:])
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, keystore.Unavailable("rewrap", err)
	}
	if len(ids) > 0 {
		// One statement for every key: a round trip per key would hold the
		// table lock for as long as the network takes.
		if _, err := tx.Exec(ctx, `UPDATE ledger_keys k SET kek_id = $1, wrapped = n.wrapped
			FROM unnest($2::uuid[], $3::bytea[]) AS n(client_id, wrapped)
			WHERE k.client_id = n.client_id`, next.ID, ids, rewrapped); err != nil {
			return 0, keystore.Unavailable("rewrap", err)
		}
	}
	var xid int64
	if err := tx.QueryRow(ctx, xidSQL).Scan(&xid); err != nil {
		return 0, keystore.Unavailable("rewrap", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, keystore.Unavailable("rewrap", err)
	}
	s.kek = next
	return len(ids), s.scrubs.scrub(ctx, xid)
}
