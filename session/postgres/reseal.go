package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/referral-ledger/ledger/session"
)

// ResealMFA seals every stored secret anew, all or nothing; see
// session.MFAResealer. The rows are locked until the commit, so no node
// can change a second factor in between. A VACUUM afterwards frees the
// rows' old versions (best effort: the rows are resealed whether or not
// it runs).
func (s *Store) ResealMFA(ctx context.Context, reseal session.ResealFunc) (int, error) {
	n := 0
	var resealErr error
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		type row struct {
			user   string
			sealed [2][]byte
		}
		var rows []row
		q, err := tx.Query(ctx, `SELECT user_id, secret, pending FROM ledger_mfa ORDER BY user_id FOR UPDATE`)
		if err != nil {
			return err
		}
		for q.Next() {
			var r row
			if err := q.Scan(&r.user, &r.sealed[0], &r.sealed[1]); err != nil {
				q.Close()
				return err
			}
			rows = append(rows, r)
		}
		q.Close()
		if err := q.Err(); err != nil {
			return err
		}
		for _, r := range rows {
			for i, col := range []string{"secret", "pending"} {
				if r.sealed[i] == nil {
					continue
				}
				next, err := reseal(r.user, r.sealed[i])
				if err != nil {
					resealErr = err
					return err
				}
				if next == nil {
					continue
				}
				if _, err := tx.Exec(ctx, `UPDATE ledger_mfa SET `+col+` = $2 WHERE user_id = $1`, r.user, next); err != nil {
					return err
				}
				n++
			}
		}
		return nil
	})
	if resealErr != nil {
		return 0, resealErr
	}
	if err != nil {
		return 0, sessionsUnavailable("resealing second factors", err)
	}
	if n > 0 {
		_, _ = s.pool.Exec(ctx, `VACUUM ledger_mfa`)
	}
	return n, nil
}
