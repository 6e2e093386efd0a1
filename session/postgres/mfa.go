package postgres

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/referral-ledger/ledger/session"
)

// postgresMFASchema creates the second factors' tables (issue 17), shared
// by every node: the sealed secrets with their last accepted step, the
// recovery codes' hashes, and the sign-in challenges (tokens hashed).
const postgresMFASchema = `
CREATE TABLE IF NOT EXISTS ledger_mfa (
	user_id    text   PRIMARY KEY,
	secret     bytea,
	last_step  bigint NOT NULL DEFAULT 0,
	pending    bytea,
	pending_at bigint NOT NULL DEFAULT 0
);
ALTER TABLE ledger_mfa ADD COLUMN IF NOT EXISTS secret_epoch bigint NOT NULL DEFAULT 0;
ALTER TABLE ledger_mfa ADD COLUMN IF NOT EXISTS pending_epoch bigint NOT NULL DEFAULT 0;
CREATE TABLE IF NOT EXISTS ledger_mfa_recovery (
	user_id   text  NOT NULL,
	code_hash bytea NOT NULL,
	PRIMARY KEY (user_id, code_hash)
);
CREATE TABLE IF NOT EXISTS ledger_mfa_challenges (
	token_hash bytea  PRIMARY KEY,
	user_id    text   NOT NULL,
	credential text   NOT NULL,
	expires_at bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS ledger_mfa_challenges_expires ON ledger_mfa_challenges (expires_at);
`

func opContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), sessionOpTimeout)
}

// MFA returns a user's second factor; see session.MFAStore. Errors:
// domain.Unavailable.
func (s *Store) MFA(userID string) (session.MFA, error) {
	ctx, cancel := opContext()
	defer cancel()
	var m session.MFA
	var pendingAt int64
	err := s.pool.QueryRow(ctx, `SELECT secret, secret_epoch, last_step, pending, pending_at, pending_epoch
		FROM ledger_mfa WHERE user_id = $1`, userID).
		Scan(&m.Secret, &m.SecretEpoch, &m.LastStep, &m.Pending, &pendingAt, &m.PendingEpoch)
	if errors.Is(err, pgx.ErrNoRows) {
		return session.MFA{}, nil
	}
	if err != nil {
		return session.MFA{}, sessionsUnavailable("reading second factor", err)
	}
	if m.Pending != nil {
		m.PendingAt = session.AttemptTime(pendingAt)
	}
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM ledger_mfa_recovery WHERE user_id = $1`, userID).Scan(&m.RecoveryCodes); err != nil {
		return session.MFA{}, sessionsUnavailable("reading recovery codes", err)
	}
	return m, nil
}

// PutPendingMFA starts an enrolment; see session.MFAStore.
func (s *Store) PutPendingMFA(userID string, sealed []byte, epoch int64, now time.Time) error {
	ctx, cancel := opContext()
	defer cancel()
	_, err := s.pool.Exec(ctx, `INSERT INTO ledger_mfa (user_id, pending, pending_at, pending_epoch) VALUES ($1, $2, $3, $4)
		ON CONFLICT (user_id) DO UPDATE SET pending = excluded.pending, pending_at = excluded.pending_at,
			pending_epoch = excluded.pending_epoch`,
		userID, sealed, session.AttemptNanos(now), epoch)
	if err != nil {
		return sessionsUnavailable("storing pending second factor", err)
	}
	return nil
}

// ActivateMFA makes the pending secret the one in use; see
// session.MFAStore.
func (s *Store) ActivateMFA(userID string, pending []byte, step int64, recoveryHashes [][]byte) (bool, error) {
	ctx, cancel := opContext()
	defer cancel()
	activated := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var current []byte
		err := tx.QueryRow(ctx, `SELECT pending FROM ledger_mfa WHERE user_id = $1 FOR UPDATE`, userID).Scan(&current)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && !bytes.Equal(current, pending)) {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE ledger_mfa SET secret = pending, secret_epoch = pending_epoch, last_step = $2,
			pending = NULL, pending_at = 0, pending_epoch = 0 WHERE user_id = $1`, userID, step); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM ledger_mfa_recovery WHERE user_id = $1`, userID); err != nil {
			return err
		}
		for _, h := range recoveryHashes {
			if _, err := tx.Exec(ctx, `INSERT INTO ledger_mfa_recovery (user_id, code_hash) VALUES ($1, $2)
				ON CONFLICT DO NOTHING`, userID, h); err != nil {
				return err
			}
		}
		activated = true
		return nil
	})
	if err != nil {
		return false, sessionsUnavailable("activating second factor", err)
	}
	return activated, nil
}

// UseMFAStep records an accepted step, refusing a replay; see
// session.MFAStore.
func (s *Store) UseMFAStep(userID string, step int64) (bool, error) {
	ctx, cancel := opContext()
	defer cancel()
	tag, err := s.pool.Exec(ctx, `UPDATE ledger_mfa SET last_step = $2
		WHERE user_id = $1 AND secret IS NOT NULL AND last_step < $2`, userID, step)
	if err != nil {
		return false, sessionsUnavailable("recording a code's step", err)
	}
	return tag.RowsAffected() == 1, nil
}

// UseRecoveryCode spends a recovery code; see session.MFAStore.
func (s *Store) UseRecoveryCode(userID string, hash []byte) (bool, error) {
	ctx, cancel := opContext()
	defer cancel()
	tag, err := s.pool.Exec(ctx, `DELETE FROM ledger_mfa_recovery WHERE user_id = $1 AND code_hash = $2`, userID, hash)
	if err != nil {
		return false, sessionsUnavailable("using a recovery code", err)
	}
	return tag.RowsAffected() == 1, nil
}

// DeleteMFA removes what of a user's second factor was made before an
// epoch; see session.MFAStore.
func (s *Store) DeleteMFA(userID string, before int64) error {
	ctx, cancel := opContext()
	defer cancel()
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var secret, pending []byte
		var secretEpoch, pendingEpoch int64
		err := tx.QueryRow(ctx, `SELECT secret, secret_epoch, pending, pending_epoch FROM ledger_mfa
			WHERE user_id = $1 FOR UPDATE`, userID).Scan(&secret, &secretEpoch, &pending, &pendingEpoch)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		keepSecret := secret != nil && secretEpoch >= before
		keepPending := pending != nil && pendingEpoch >= before
		var qs []string
		switch {
		case !keepSecret && !keepPending:
			qs = append(qs, `DELETE FROM ledger_mfa WHERE user_id = $1`)
		case !keepSecret:
			qs = append(qs, `UPDATE ledger_mfa SET secret = NULL, secret_epoch = 0, last_step = 0 WHERE user_id = $1`)
		case !keepPending:
			qs = append(qs, `UPDATE ledger_mfa SET pending = NULL, pending_at = 0, pending_epoch = 0 WHERE user_id = $1`)
		}
		if !keepSecret {
			qs = append(qs, `DELETE FROM ledger_mfa_recovery WHERE user_id = $1`, `DELETE FROM ledger_mfa_challenges WHERE user_id = $1`)
		}
		for _, q := range qs {
			if _, err := tx.Exec(ctx, q, userID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return sessionsUnavailable("removing second factor", err)
	}
	return nil
}

// CreateChallenge records a sign-in awaiting its second factor; see
// session.MFAStore.
func (s *Store) CreateChallenge(userID, credential string, now time.Time, ttl time.Duration) (string, time.Time, error) {
	token, err := session.NewToken()
	if err != nil {
		return "", time.Time{}, err
	}
	ctx, cancel := opContext()
	defer cancel()
	expires := now.Add(ttl).UTC()
	if _, err := s.pool.Exec(ctx, `INSERT INTO ledger_mfa_challenges (token_hash, user_id, credential, expires_at)
		VALUES ($1, $2, $3, $4)`, session.HashToken(token), userID, credential, session.AttemptNanos(expires)); err != nil {
		return "", time.Time{}, sessionsUnavailable("storing sign-in challenge", err)
	}
	return token, expires, nil
}

// Challenge returns a live challenge; see session.MFAStore.
func (s *Store) Challenge(token string, now time.Time) (string, string, error) {
	if !session.WellFormedToken(token) {
		return "", "", session.ErrInvalid()
	}
	ctx, cancel := opContext()
	defer cancel()
	var userID, credential string
	err := s.pool.QueryRow(ctx, `SELECT user_id, credential FROM ledger_mfa_challenges WHERE token_hash = $1 AND expires_at > $2`,
		session.HashToken(token), session.AttemptNanos(now)).Scan(&userID, &credential)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", session.ErrInvalid()
	}
	if err != nil {
		return "", "", sessionsUnavailable("reading sign-in challenge", err)
	}
	return userID, credential, nil
}

// ConsumeChallenge ends a challenge; see session.MFAStore.
func (s *Store) ConsumeChallenge(token string, now time.Time) (bool, error) {
	ctx, cancel := opContext()
	defer cancel()
	tag, err := s.pool.Exec(ctx, `DELETE FROM ledger_mfa_challenges WHERE token_hash = $1 AND expires_at > $2`,
		session.HashToken(token), session.AttemptNanos(now))
	if err != nil {
		return false, sessionsUnavailable("ending sign-in challenge", err)
	}
	return tag.RowsAffected() == 1, nil
}
