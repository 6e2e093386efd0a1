package sqlite

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/keystore"
)

// Rewrap rewraps every key under next in one transaction, then checkpoints
// so the keys' old wrappings are gone from the WAL, and from then on wraps
// new keys under next. It returns how many keys it rewrapped; keys already
// under next are left alone. Other calls wait while it runs.
//
// Errors: keystore.ErrWrongMasterKey or keystore.ErrCorrupt if any key
// cannot be unwrapped (nothing is changed); keystore.ErrUnavailable. If
// only the final checkpoint fails, the rewrap has happened: Rewrap returns
// the count with the error, and next is in use.
func (s *Store) Rewrap(ctx context.Context, next keystore.MasterKey) (int, error) {
	if next.IsZero() {
		return 0, errors.New("keystore/sqlite: Rewrap needs a master key")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, errClosed
	}
	if s.readOnly {
		return 0, keystore.Unavailable("rewrap", errReadOnly)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, keystore.Unavailable("rewrap", err)
	}
	defer tx.Rollback()

	type stored struct {
		id      string
		kekID   string
		wrapped []byte
	}
	var all []stored
	rows, err := tx.QueryContext(ctx, `SELECT client_id, kek_id, wrapped FROM keys WHERE kek_id <> ?`, next.ID)
	if err != nil {
		return 0, keystore.Unavailable("rewrap", err)
	}
	for rows.Next() {
		var r stored
		if err := rows.Scan(&r.id, &r.kekID, &r.wrapped); err != nil {
			rows.Close()
			return 0, keystore.Unavailable("rewrap", err)
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, keystore.Unavailable("rewrap", err)
	}

	for _, r := range all {
		clientID, err := uuid.Parse(r.id)
		if err != nil {
			return 0, fmt.Errorf("%w: a row's client id is not a UUID", keystore.ErrCorrupt)
		}
		key, err := keystore.Unwrap(s.kek, clientID, r.kekID, r.wrapped)
		if err != nil {
			return 0, err
		}
		wrapped := keystore.Wrap(next, clientID, key)
		clear(key[:])
		if _, err := tx.ExecContext(ctx, `UPDATE keys SET kek_id = ?, wrapped = ? WHERE client_id = ?`,
			next.ID, wrapped, r.id); err != nil {
			return 0, keystore.Unavailable("rewrap", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, keystore.Unavailable("rewrap", err)
	}
	s.kek = next
	return len(all), s.checkpoint(ctx)
}
