package sqlite

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/referral-ledger/ledger/session"
)

// mfaSchema creates the second factors' tables (issue 17): the sealed
// secrets with their last accepted step, the recovery codes' hashes, and
// the sign-in challenges awaiting a code (their tokens hashed).
const mfaSchema = `
CREATE TABLE IF NOT EXISTS mfa (
	user_id    TEXT PRIMARY KEY,
	secret     BLOB,
	last_step  INTEGER NOT NULL DEFAULT 0,
	pending    BLOB,
	pending_at INTEGER NOT NULL DEFAULT 0,
	secret_epoch  INTEGER NOT NULL DEFAULT 0,
	pending_epoch INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS mfa_recovery (
	user_id   TEXT NOT NULL,
	code_hash BLOB NOT NULL,
	PRIMARY KEY (user_id, code_hash)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS mfa_challenges (
	token_hash BLOB PRIMARY KEY,
	user_id    TEXT NOT NULL,
	credential TEXT NOT NULL,
	expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS mfa_challenges_expires ON mfa_challenges (expires_at);
`

// mfaEpochColumns add the epochs to an mfa table made before them: what it
// holds then counts as made before any reset, so the next reset removes
// it, and a pending secret of a user reset before is not confirmed.
var mfaEpochColumns = []struct{ name, add string }{
	{"secret_epoch", `ALTER TABLE mfa ADD COLUMN secret_epoch INTEGER NOT NULL DEFAULT 0`},
	{"pending_epoch", `ALTER TABLE mfa ADD COLUMN pending_epoch INTEGER NOT NULL DEFAULT 0`},
}

// MFA returns a user's second factor; see session.MFAStore.
func (s *Store) MFA(userID string) (session.MFA, error) {
	var m session.MFA
	var pendingAt int64
	err := s.db.QueryRow(`SELECT secret, secret_epoch, last_step, pending, pending_at, pending_epoch FROM mfa WHERE user_id = ?`, userID).
		Scan(&m.Secret, &m.SecretEpoch, &m.LastStep, &m.Pending, &pendingAt, &m.PendingEpoch)
	if errors.Is(err, sql.ErrNoRows) {
		return session.MFA{}, nil
	}
	if err != nil {
		return session.MFA{}, fmt.Errorf("session: reading second factor: %w", err)
	}
	if m.Pending != nil {
		m.PendingAt = fromNanos(pendingAt)
	}
	if err := s.db.QueryRow(`SELECT count(*) FROM mfa_recovery WHERE user_id = ?`, userID).Scan(&m.RecoveryCodes); err != nil {
		return session.MFA{}, fmt.Errorf("session: reading recovery codes: %w", err)
	}
	return m, nil
}

// PutPendingMFA starts an enrolment; see session.MFAStore.
func (s *Store) PutPendingMFA(userID string, sealed []byte, epoch int64, now time.Time) error {
	_, err := s.db.Exec(`INSERT INTO mfa (user_id, pending, pending_at, pending_epoch) VALUES (?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET pending = excluded.pending, pending_at = excluded.pending_at,
			pending_epoch = excluded.pending_epoch`,
		userID, sealed, nanos(now), epoch)
	if err != nil {
		return fmt.Errorf("session: storing pending second factor: %w", err)
	}
	return nil
}

// ActivateMFA makes the pending secret the one in use; see
// session.MFAStore.
func (s *Store) ActivateMFA(userID string, pending []byte, step int64, recoveryHashes [][]byte) (bool, error) {
	tx, err := s.db.Begin()
	if err != nil {
		return false, fmt.Errorf("session: activating second factor: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	var current []byte
	err = tx.QueryRow(`SELECT pending FROM mfa WHERE user_id = ?`, userID).Scan(&current)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !bytes.Equal(current, pending)) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("session: activating second factor: %w", err)
	}
	if _, err := tx.Exec(`UPDATE mfa SET secret = pending, secret_epoch = pending_epoch, last_step = ?,
		pending = NULL, pending_at = 0, pending_epoch = 0 WHERE user_id = ?`,
		step, userID); err != nil {
		return false, fmt.Errorf("session: activating second factor: %w", err)
	}
	if _, err := tx.Exec(`DELETE FROM mfa_recovery WHERE user_id = ?`, userID); err != nil {
		return false, fmt.Errorf("session: replacing recovery codes: %w", err)
	}
	for _, h := range recoveryHashes {
		if _, err := tx.Exec(`INSERT INTO mfa_recovery (user_id, code_hash) VALUES (?, ?) ON CONFLICT DO NOTHING`, userID, h); err != nil {
			return false, fmt.Errorf("session: storing recovery codes: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("session: activating second factor: %w", err)
	}
	return true, nil
}

// UseMFAStep records an accepted step, refusing a replay; see
// session.MFAStore.
func (s *Store) UseMFAStep(userID string, step int64) (bool, error) {
	res, err := s.db.Exec(`UPDATE mfa SET last_step = ? WHERE user_id = ? AND secret IS NOT NULL AND last_step < ?`,
		step, userID, step)
	if err != nil {
		return false, fmt.Errorf("session: recording a code's step: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("session: recording a code's step: %w", err)
	}
	return n == 1, nil
}

// UseRecoveryCode spends a recovery code; see session.MFAStore.
func (s *Store) UseRecoveryCode(userID string, hash []byte) (bool, error) {
	res, err := s.db.Exec(`DELETE FROM mfa_recovery WHERE user_id = ? AND code_hash = ?`, userID, hash)
	if err != nil {
		return false, fmt.Errorf("session: using a recovery code: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("session: using a recovery code: %w", err)
	}
	return n == 1, nil
}

// DeleteMFA removes what of a user's second factor was made before an
// epoch; see session.MFAStore.
func (s *Store) DeleteMFA(userID string, before int64) error {
	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("session: removing second factor: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	var secret, pending []byte
	var secretEpoch, pendingEpoch int64
	err = tx.QueryRow(`SELECT secret, secret_epoch, pending, pending_epoch FROM mfa WHERE user_id = ?`, userID).
		Scan(&secret, &secretEpoch, &pending, &pendingEpoch)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("session: removing second factor: %w", err)
	}
	keepSecret := secret != nil && secretEpoch >= before
	keepPending := pending != nil && pendingEpoch >= before
	var qs []string
	switch {
	case !keepSecret && !keepPending:
		qs = append(qs, `DELETE FROM mfa WHERE user_id = ?`)
	case !keepSecret:
		qs = append(qs, `UPDATE mfa SET secret = NULL, secret_epoch = 0, last_step = 0 WHERE user_id = ?`)
	case !keepPending:
		qs = append(qs, `UPDATE mfa SET pending = NULL, pending_at = 0, pending_epoch = 0 WHERE user_id = ?`)
	}
	if !keepSecret {
		qs = append(qs, `DELETE FROM mfa_recovery WHERE user_id = ?`, `DELETE FROM mfa_challenges WHERE user_id = ?`)
	}
	for _, q := range qs {
		if _, err := tx.Exec(q, userID); err != nil {
			return fmt.Errorf("session: removing second factor: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("session: removing second factor: %w", err)
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
	expires := fromNanos(nanos(now.Add(ttl)))
	if _, err := s.db.Exec(`INSERT INTO mfa_challenges (token_hash, user_id, credential, expires_at) VALUES (?, ?, ?, ?)`,
		session.HashToken(token), userID, credential, nanos(expires)); err != nil {
		return "", time.Time{}, fmt.Errorf("session: storing sign-in challenge: %w", err)
	}
	return token, expires, nil
}

// Challenge returns a live challenge; see session.MFAStore.
func (s *Store) Challenge(token string, now time.Time) (string, string, error) {
	if !session.WellFormedToken(token) {
		return "", "", session.ErrInvalid()
	}
	var userID, credential string
	err := s.db.QueryRow(`SELECT user_id, credential FROM mfa_challenges WHERE token_hash = ? AND expires_at > ?`,
		session.HashToken(token), nanos(now)).Scan(&userID, &credential)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", session.ErrInvalid()
	}
	if err != nil {
		return "", "", fmt.Errorf("session: reading sign-in challenge: %w", err)
	}
	return userID, credential, nil
}

// ConsumeChallenge ends a challenge; see session.MFAStore.
func (s *Store) ConsumeChallenge(token string, now time.Time) (bool, error) {
	res, err := s.db.Exec(`DELETE FROM mfa_challenges WHERE token_hash = ? AND expires_at > ?`, session.HashToken(token), nanos(now))
	if err != nil {
		return false, fmt.Errorf("session: ending sign-in challenge: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("session: ending sign-in challenge: %w", err)
	}
	return n == 1, nil
}
