package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/referral-ledger/ledger/domain"
)

// PostgresSessions is a SessionStore in PostgreSQL, shared by every API
// node behind a load balancer: a token issued by one node works on all of
// them, and a logout, account closure or password change through any node
// ends the session everywhere at once, since every node reads the same row.
// Like SQLiteSessions it keeps only the SHA-256 of each token. It is safe
// for concurrent use.
type PostgresSessions struct {
	pool *pgxpool.Pool
	cfg  SessionConfig
}

var _ SessionStore = (*PostgresSessions)(nil)

// sessionsLock is the advisory lock taken while creating the table, so that
// nodes starting at once do not race on CREATE TABLE IF NOT EXISTS.
const sessionsLock int64 = 0x4c534553_00000001 // "LSES"

// postgresSessionSchema creates the sessions table, adding the credential
// column to one made before it existed (its sessions then end, erring on
// the safe side), and the throttle's counters. token_hash is SHA-256 of the
// token, never the token itself; times of the counters are Unix
// nanoseconds, 0 for none.
const postgresSessionSchema = `
CREATE TABLE IF NOT EXISTS ledger_sessions (
	token_hash      bytea       PRIMARY KEY,
	id              text        NOT NULL UNIQUE,
	user_id         text        NOT NULL,
	organisation_id text        NOT NULL,
	created_at      timestamptz NOT NULL,
	last_seen_at    timestamptz NOT NULL,
	expires_at      timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS ledger_sessions_user ON ledger_sessions (user_id);
CREATE INDEX IF NOT EXISTS ledger_sessions_expires ON ledger_sessions (expires_at);
ALTER TABLE ledger_sessions ADD COLUMN IF NOT EXISTS credential text NOT NULL DEFAULT '';
CREATE TABLE IF NOT EXISTS ledger_attempts (
	key          text   PRIMARY KEY,
	attempts     bigint NOT NULL DEFAULT 0,
	window_start bigint NOT NULL DEFAULT 0,
	locked_until bigint NOT NULL DEFAULT 0,
	strikes      bigint NOT NULL DEFAULT 0,
	forget_after bigint NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS ledger_attempts_forget ON ledger_attempts (forget_after);
`

// sessionOpTimeout bounds every call, since SessionStore's methods take no
// context: a database that stops answering fails requests instead of
// hanging them.
const sessionOpTimeout = 10 * time.Second

// errSessionsUnavailable marks every failure to reach, read or write the
// database, so the HTTP layer answers 503 rather than 500 or 401.
var errSessionsUnavailable error = &domain.Error{Code: domain.Unavailable, Message: "the session store is unavailable"}

// sessionsUnavailable wraps err, a database failure during op.
func sessionsUnavailable(op string, err error) error {
	return fmt.Errorf("auth: %s: %w: %w", op, errSessionsUnavailable, err)
}

// OpenPostgresSessions connects to the PostgreSQL database at url (a
// postgres:// URL or key=value string, as pgx reads them) and creates the
// ledger_sessions table if it is absent; several nodes may open one
// database at once. Zero fields of cfg take their defaults; every node
// should use the same cfg. Errors carry domain.Unavailable and never the
// URL's password.
func OpenPostgresSessions(ctx context.Context, url string, cfg SessionConfig) (*PostgresSessions, error) {
	pcfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, sessionsUnavailable("opening sessions", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, sessionsUnavailable("opening sessions", err)
	}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, sessionsLock); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, postgresSessionSchema)
		return err
	})
	if err != nil {
		pool.Close()
		return nil, sessionsUnavailable("creating sessions schema", err)
	}
	return &PostgresSessions{pool: pool, cfg: cfg.withDefaults()}, nil
}

// Close closes the connection pool; later calls fail with
// domain.Unavailable.
func (s *PostgresSessions) Close() error {
	s.pool.Close()
	return nil
}

// Create starts a session; see SessionStore.Create. Times are kept to the
// microsecond, PostgreSQL's resolution, and the Session returned holds them
// as stored. An empty userID or organisationID is a programming error
// (internal).
func (s *PostgresSessions) Create(userID, organisationID, credential string, now time.Time) (string, Session, error) {
	if userID == "" || organisationID == "" {
		return "", Session{}, errors.New("auth: a session needs a user and an organisation")
	}
	token, err := newToken()
	if err != nil {
		return "", Session{}, err
	}
	now = micros(now)
	sess := Session{
		ID:             uuid.NewString(),
		UserID:         userID,
		OrganisationID: organisationID,
		Credential:     credential,
		CreatedAt:      now,
		LastSeenAt:     now,
		ExpiresAt:      micros(now.Add(s.cfg.AbsoluteTimeout)),
	}
	ctx, cancel := context.WithTimeout(context.Background(), sessionOpTimeout)
	defer cancel()
	_, err = s.pool.Exec(ctx, `INSERT INTO ledger_sessions
		(token_hash, id, user_id, organisation_id, credential, created_at, last_seen_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		hashToken(token), sess.ID, sess.UserID, sess.OrganisationID, sess.Credential,
		sess.CreatedAt, sess.LastSeenAt, sess.ExpiresAt)
	if err != nil {
		return "", Session{}, sessionsUnavailable("storing session", err)
	}
	return token, sess, nil
}

// sessionColumns are the columns scanPgSession reads, in its order.
const sessionColumns = `id, user_id, organisation_id, credential, created_at, last_seen_at, expires_at`

// Lookup returns the live session of token; see SessionStore.Lookup. It
// writes LastSeenAt only when the stored value is older than touchInterval.
// Errors: domain.Unauthorized as SessionStore says; domain.Unavailable when
// the database cannot be reached.
func (s *PostgresSessions) Lookup(token string, now time.Time) (Session, error) {
	if !wellFormedToken(token) {
		return Session{}, errInvalidSession()
	}
	ctx, cancel := context.WithTimeout(context.Background(), sessionOpTimeout)
	defer cancel()
	hash := hashToken(token)
	sess, err := scanPgSession(s.pool.QueryRow(ctx,
		`SELECT `+sessionColumns+` FROM ledger_sessions WHERE token_hash = $1`, hash))
	if errors.Is(err, pgx.ErrNoRows) {
		return Session{}, errInvalidSession()
	}
	if err != nil {
		return Session{}, sessionsUnavailable("looking up session", err)
	}
	if !s.live(sess, now) {
		// Best effort: Purge removes it later if this fails.
		_, _ = s.pool.Exec(ctx, `DELETE FROM ledger_sessions WHERE token_hash = $1`, hash)
		return Session{}, errInvalidSession()
	}
	if now.Sub(sess.LastSeenAt) < touchInterval(s.cfg.IdleTimeout) {
		return sess, nil
	}
	// Touch and re-check in one statement, so a session ended by Delete or
	// DeleteForUser on any node since the SELECT is not revived or honoured.
	seen := micros(now)
	sess, err = scanPgSession(s.pool.QueryRow(ctx, `UPDATE ledger_sessions
		SET last_seen_at = greatest(last_seen_at, $1)
		WHERE token_hash = $2 AND expires_at > $1 AND last_seen_at >= $3
		RETURNING `+sessionColumns,
		seen, hash, now.Add(-s.cfg.IdleTimeout)))
	if errors.Is(err, pgx.ErrNoRows) {
		return Session{}, errInvalidSession()
	}
	if err != nil {
		return Session{}, sessionsUnavailable("touching session", err)
	}
	return sess, nil
}

// live reports whether sess is neither past its absolute expiry nor idle for
// longer than the idle timeout at now.
func (s *PostgresSessions) live(sess Session, now time.Time) bool {
	return now.Before(sess.ExpiresAt) && now.Sub(sess.LastSeenAt) <= s.cfg.IdleTimeout
}

// Delete ends the session of token on every node; see
// SessionStore.Delete. Errors: domain.Unavailable.
func (s *PostgresSessions) Delete(token string) error {
	ctx, cancel := context.WithTimeout(context.Background(), sessionOpTimeout)
	defer cancel()
	if _, err := s.pool.Exec(ctx, `DELETE FROM ledger_sessions WHERE token_hash = $1`, hashToken(token)); err != nil {
		return sessionsUnavailable("deleting session", err)
	}
	return nil
}

// DeleteForUser ends every session of userID on every node; see
// SessionStore.DeleteForUser. Errors: domain.Unavailable.
func (s *PostgresSessions) DeleteForUser(userID string) error {
	ctx, cancel := context.WithTimeout(context.Background(), sessionOpTimeout)
	defer cancel()
	if _, err := s.pool.Exec(ctx, `DELETE FROM ledger_sessions WHERE user_id = $1`, userID); err != nil {
		return sessionsUnavailable("deleting sessions of user", err)
	}
	return nil
}

// Purge removes expired sessions and stale throttle counters; see
// SessionStore.Purge. Any one node may run it. Errors: domain.Unavailable.
func (s *PostgresSessions) Purge(now time.Time) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), sessionOpTimeout)
	defer cancel()
	if _, err := s.pool.Exec(ctx, `DELETE FROM ledger_attempts WHERE forget_after <= $1`, attemptNanos(now)); err != nil {
		return 0, sessionsUnavailable("purging throttle counters", err)
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM ledger_sessions WHERE expires_at <= $1 OR last_seen_at < $2`,
		now, now.Add(-s.cfg.IdleTimeout))
	if err != nil {
		return 0, sessionsUnavailable("purging sessions", err)
	}
	return int(tag.RowsAffected()), nil
}

// UpdateAttempts updates throttle counters in one transaction that locks
// their rows (created first if need be, in key order so that two calls
// cannot deadlock) from the read to the commit, so it is atomic across
// every node sharing the database; see AttemptStore.UpdateAttempts.
// Errors: domain.Unavailable.
func (s *PostgresSessions) UpdateAttempts(keys []string, update func([]AttemptCounter) []AttemptCounter) error {
	ctx, cancel := context.WithTimeout(context.Background(), sessionOpTimeout)
	defer cancel()
	sorted := slices.Sorted(slices.Values(keys))
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, k := range sorted {
			if _, err := tx.Exec(ctx, `INSERT INTO ledger_attempts (key) VALUES ($1) ON CONFLICT (key) DO NOTHING`, k); err != nil {
				return err
			}
		}
		byKey := make(map[string]AttemptCounter, len(keys))
		rows, err := tx.Query(ctx, `SELECT key, attempts, window_start, locked_until, strikes, forget_after
			FROM ledger_attempts WHERE key = ANY($1) ORDER BY key FOR UPDATE`, sorted)
		if err != nil {
			return err
		}
		for rows.Next() {
			var c AttemptCounter
			var attempts, strikes, window, locked, forget int64
			if err := rows.Scan(&c.Key, &attempts, &window, &locked, &strikes, &forget); err != nil {
				rows.Close()
				return err
			}
			c.Attempts, c.Strikes = int(attempts), int(strikes)
			c.WindowStart, c.LockedUntil, c.ForgetAfter = attemptTime(window), attemptTime(locked), attemptTime(forget)
			byKey[c.Key] = c
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		cs := make([]AttemptCounter, len(keys))
		for i, k := range keys {
			cs[i] = byKey[k]
			cs[i].Key = k
		}
		for _, c := range update(cs) {
			_, err := tx.Exec(ctx, `UPDATE ledger_attempts SET attempts = $2, window_start = $3, locked_until = $4,
				strikes = $5, forget_after = $6 WHERE key = $1`,
				c.Key, c.Attempts, attemptNanos(c.WindowStart), attemptNanos(c.LockedUntil), c.Strikes, attemptNanos(c.ForgetAfter))
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return sessionsUnavailable("updating throttle counters", err)
	}
	return nil
}

// scanPgSession reads one row of sessionColumns.
func scanPgSession(row pgx.Row) (Session, error) {
	var sess Session
	if err := row.Scan(&sess.ID, &sess.UserID, &sess.OrganisationID, &sess.Credential,
		&sess.CreatedAt, &sess.LastSeenAt, &sess.ExpiresAt); err != nil {
		return Session{}, err
	}
	sess.CreatedAt, sess.LastSeenAt, sess.ExpiresAt = micros(sess.CreatedAt), micros(sess.LastSeenAt), micros(sess.ExpiresAt)
	return sess, nil
}

// micros returns t in UTC at PostgreSQL's resolution, a microsecond, so a
// time compares equal to itself after a round trip through the database.
func micros(t time.Time) time.Time { return time.UnixMicro(t.UnixMicro()).UTC() }
