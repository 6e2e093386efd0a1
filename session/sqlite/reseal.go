package sqlite

import (
	"context"
	"fmt"

	"github.com/referral-ledger/ledger/session"
)

// sealedColumns are the mfa table's columns holding sealed secrets.
var sealedColumns = []string{"secret", "pending"}

// ResealMFA seals every stored secret anew, all or nothing; see
// session.MFAResealer. The transaction runs with secure_delete on, and a
// TRUNCATE checkpoint follows it, so the old sealed forms are neither left
// in freed space nor in the WAL.
func (s *Store) ResealMFA(ctx context.Context, reseal session.ResealFunc) (int, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("session: resealing second factors: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA secure_delete = ON`); err != nil {
		return 0, fmt.Errorf("session: resealing second factors: %w", err)
	}
	defer func() { _, _ = conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA secure_delete = OFF`) }()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("session: resealing second factors: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	type row struct {
		user   string
		sealed [2][]byte
	}
	var rows []row
	q, err := tx.QueryContext(ctx, `SELECT user_id, secret, pending FROM mfa ORDER BY user_id`)
	if err != nil {
		return 0, fmt.Errorf("session: resealing second factors: %w", err)
	}
	for q.Next() {
		var r row
		if err := q.Scan(&r.user, &r.sealed[0], &r.sealed[1]); err != nil {
			q.Close()
			return 0, fmt.Errorf("session: resealing second factors: %w", err)
		}
		rows = append(rows, r)
	}
	if err := q.Err(); err != nil {
		return 0, fmt.Errorf("session: resealing second factors: %w", err)
	}
	q.Close()
	n := 0
	for _, r := range rows {
		for i, col := range sealedColumns {
			if r.sealed[i] == nil {
				continue
			}
			next, err := reseal(r.user, r.sealed[i])
			if err != nil {
				return 0, err
			}
			if next == nil {
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE mfa SET `+col+` = ? WHERE user_id = ?`, next, r.user); err != nil {
				return 0, fmt.Errorf("session: resealing second factors: %w", err)
			}
			n++
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("session: resealing second factors: %w", err)
	}
	if n > 0 {
		var busy, logged, moved int
		if err := conn.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logged, &moved); err != nil {
			return n, fmt.Errorf("session: resealing second factors: checkpoint: %w", err)
		}
		if busy != 0 {
			return n, fmt.Errorf("session: resealing second factors: the checkpoint was blocked (is a server using the sessions?)")
		}
	}
	return n, nil
}
