package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/session"
)

// Store is a session.Store in PostgreSQL, shared by every API
// node behind a load balancer: a token issued by one node works on all of
// them, and a logout, account closure or password change through any node
// ends the session everywhere at once, since every node reads the same row.
// Like SQLiteSessions it keeps only the SHA-256 of each token. It is safe
// for concurrent use.
type Store struct {
	pool *pgxpool.Pool
	cfg  session.Config
}

var _ session.Store = (*Store)(nil)

// sessionsLock is the advisory lock taken while creating the table, so that
// nodes starting at once do not race on CREATE TABLE IF NOT EXISTS.
const sessionsLock int64 = 0x4c534553_00000001 // "LSES"

// postgresSessionSchema creates the sessions table, adding the credential
// column to one made before it existed (its sessions then end, erring on
// the safe side), and the throttle's counters, adding their in-flight
// count to a table made before it existed (its attempts then all count as
// failed, erring on the safe side too). token_hash is SHA-256 of the
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
ALTER TABLE ledger_attempts ADD COLUMN IF NOT EXISTS pending bigint NOT NULL DEFAULT 0;
ALTER TABLE ledger_attempts ADD COLUMN IF NOT EXISTS pending_until bigint NOT NULL DEFAULT 0;
CREATE TABLE IF NOT EXISTS ledger_sign_ins (
	user_id text        PRIMARY KEY,
	last_at timestamptz NOT NULL
);
`

// sessionOpTimeout bounds every call, since session.Store's methods take no
// context: a database that stops answering fails requests instead of
// hanging them.
const sessionOpTimeout = 10 * time.Second

// errSessionsUnavailable marks every failure to reach, read or write the
// database, so the HTTP layer answers 503 rather than 500 or 401.
var errSessionsUnavailable error = &domain.Error{Code: domain.Unavailable, Message: "the session store is unavailable"}

// sessionsUnavailable wraps err, a database failure during op.
func sessionsUnavailable(op string, err error) error {
	return fmt.Errorf("session: %s: %w: %w", op, errSessionsUnavailable, err)
}

// Open connects to the PostgreSQL database at url (a
// postgres:// URL or key=value string, as pgx reads them) and creates the
// ledger_sessions table if it is absent; several nodes may open one
// database at once. Zero fields of cfg take their defaults; every node
// should use the same cfg. Errors carry domain.Unavailable and never the
// URL's password.
func Open(ctx context.Context, url string, cfg session.Config) (*Store, error) {
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
		_, err := tx.Exec(ctx, postgresSessionSchema+postgresMFASchema)
		return err
	})
	if err != nil {
		pool.Close()
		return nil, sessionsUnavailable("creating sessions schema", err)
	}
	return &Store{pool: pool, cfg: cfg.WithDefaults()}, nil
}

// Close closes the connection pool; later calls fail with
// domain.Unavailable.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Create starts a session; see session.Store.Create. Times are kept to the
// microsecond, PostgreSQL's resolution, and the Session returned holds them
// as stored. An empty userID or organisationID is a programming error
// (internal).
func (s *Store) Create(userID, organisationID, credential string, now time.Time) (string, session.Session, error) {
	token, sess, err := session.Begin(userID, organisationID, credential, now, s.cfg.AbsoluteTimeout, micros)
	if err != nil {
		return "", session.Session{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), sessionOpTimeout)
	defer cancel()
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO ledger_sessions
			(token_hash, id, user_id, organisation_id, credential, created_at, last_seen_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			session.HashToken(token), sess.ID, sess.UserID, sess.OrganisationID, sess.Credential,
			sess.CreatedAt, sess.LastSeenAt, sess.ExpiresAt); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO ledger_sign_ins (user_id, last_at) VALUES ($1, $2)
			ON CONFLICT (user_id) DO UPDATE SET last_at = GREATEST(ledger_sign_ins.last_at, excluded.last_at)`,
			sess.UserID, sess.CreatedAt)
		return err
	})
	if err != nil {
		return "", session.Session{}, sessionsUnavailable("storing session", err)
	}
	return token, sess, nil
}

// sessionColumns are the columns scanPgSession reads, in its order.
const sessionColumns = `id, user_id, organisation_id, credential, created_at, last_seen_at, expires_at`

// Lookup returns the live session of token; see session.Store.Lookup. It
// writes LastSeenAt only when the stored value is older than touchInterval.
// Errors: domain.Unauthorized as session.Store says; domain.Unavailable when
// the database cannot be reached.
func (s *Store) Lookup(token string, now time.Time) (session.Session, error) {
	if !session.WellFormedToken(token) {
		return session.Session{}, session.ErrInvalid()
	}
	ctx, cancel := context.WithTimeout(context.Background(), sessionOpTimeout)
	defer cancel()
	hash := session.HashToken(token)
	sess, err := s.find(ctx, hash, now)
	if err != nil {
		return session.Session{}, err
	}
	if now.Sub(sess.LastSeenAt) < session.TouchInterval(s.cfg.IdleTimeout) {
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
		return session.Session{}, session.ErrInvalid()
	}
	if err != nil {
		return session.Session{}, sessionsUnavailable("touching session", err)
	}
	return sess, nil
}

// Peek returns the live session of token and when it ends, without
// recording that it was seen; see session.Store.Peek.
func (s *Store) Peek(token string, now time.Time) (session.Session, time.Time, error) {
	if !session.WellFormedToken(token) {
		return session.Session{}, time.Time{}, session.ErrInvalid()
	}
	ctx, cancel := context.WithTimeout(context.Background(), sessionOpTimeout)
	defer cancel()
	sess, err := s.find(ctx, session.HashToken(token), now)
	if err != nil {
		return session.Session{}, time.Time{}, err
	}
	return sess, session.EndsAt(sess, s.cfg.IdleTimeout), nil
}

// find reads the session of the token hashed as hash, live at now; an
// expired one is deleted.
func (s *Store) find(ctx context.Context, hash []byte, now time.Time) (session.Session, error) {
	sess, err := scanPgSession(s.pool.QueryRow(ctx,
		`SELECT `+sessionColumns+` FROM ledger_sessions WHERE token_hash = $1`, hash))
	if errors.Is(err, pgx.ErrNoRows) {
		return session.Session{}, session.ErrInvalid()
	}
	if err != nil {
		return session.Session{}, sessionsUnavailable("looking up session", err)
	}
	if !s.live(sess, now) {
		// Best effort: Purge removes it later if this fails.
		_, _ = s.pool.Exec(ctx, `DELETE FROM ledger_sessions WHERE token_hash = $1`, hash)
		return session.Session{}, session.ErrInvalid()
	}
	return sess, nil
}

// live reports whether sess is neither past its absolute expiry nor idle for
// longer than the idle timeout at now.
func (s *Store) live(sess session.Session, now time.Time) bool {
	return now.Before(sess.ExpiresAt) && now.Sub(sess.LastSeenAt) <= s.cfg.IdleTimeout
}

// Delete ends the session of token on every node; see
// session.Store.Delete. Errors: domain.Unavailable.
func (s *Store) Delete(token string) error {
	ctx, cancel := context.WithTimeout(context.Background(), sessionOpTimeout)
	defer cancel()
	if _, err := s.pool.Exec(ctx, `DELETE FROM ledger_sessions WHERE token_hash = $1`, session.HashToken(token)); err != nil {
		return sessionsUnavailable("deleting session", err)
	}
	return nil
}

// LastSignIns returns when each user last signed in; see
// session.Store.LastSignIns. Errors: domain.Unavailable.
func (s *Store) LastSignIns(userIDs []string) (map[string]time.Time, error) {
	ctx, cancel := context.WithTimeout(context.Background(), sessionOpTimeout)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT user_id, last_at FROM ledger_sign_ins WHERE user_id = ANY($1)`, userIDs)
	if err != nil {
		return nil, sessionsUnavailable("reading sign-ins", err)
	}
	defer rows.Close()
	out := make(map[string]time.Time, len(userIDs))
	for rows.Next() {
		var id string
		var at time.Time
		if err := rows.Scan(&id, &at); err != nil {
			return nil, sessionsUnavailable("reading sign-ins", err)
		}
		out[id] = at.UTC()
	}
	if err := rows.Err(); err != nil {
		return nil, sessionsUnavailable("reading sign-ins", err)
	}
	return out, nil
}

// KeepOnly ends the user's other sessions on every node and records
// credential on the one of token, in one transaction; see
// session.Store.KeepOnly. Errors: domain.Unavailable.
func (s *Store) KeepOnly(token, userID, credential string) error {
	ctx, cancel := context.WithTimeout(context.Background(), sessionOpTimeout)
	defer cancel()
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return sessionsUnavailable("keeping one session", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	hash := session.HashToken(token)
	if _, err := tx.Exec(ctx, `DELETE FROM ledger_sessions WHERE user_id = $1 AND token_hash <> $2`, userID, hash); err != nil {
		return sessionsUnavailable("keeping one session", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE ledger_sessions SET credential = $1 WHERE token_hash = $2 AND user_id = $3`,
		credential, hash, userID); err != nil {
		return sessionsUnavailable("keeping one session", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return sessionsUnavailable("keeping one session", err)
	}
	return nil
}

// DeleteForUser ends every session of userID on every node; see
// session.Store.DeleteForUser. Errors: domain.Unavailable.
func (s *Store) DeleteForUser(userID string) error {
	ctx, cancel := context.WithTimeout(context.Background(), sessionOpTimeout)
	defer cancel()
	if _, err := s.pool.Exec(ctx, `DELETE FROM ledger_sessions WHERE user_id = $1`, userID); err != nil {
		return sessionsUnavailable("deleting sessions of user", err)
	}
	return nil
}

// Purge removes expired sessions and stale throttle counters; see
// session.Store.Purge. Any one node may run it. Errors: domain.Unavailable.
func (s *Store) Purge(now time.Time) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), sessionOpTimeout)
	defer cancel()
	if _, err := s.pool.Exec(ctx, `DELETE FROM ledger_attempts WHERE forget_after <= $1`, session.AttemptNanos(now)); err != nil {
		return 0, sessionsUnavailable("purging throttle counters", err)
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM ledger_mfa_challenges WHERE expires_at <= $1`, session.AttemptNanos(now)); err != nil {
		return 0, sessionsUnavailable("purging sign-in challenges", err)
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
func (s *Store) UpdateAttempts(keys []string, update func([]session.AttemptCounter) []session.AttemptCounter) error {
	ctx, cancel := context.WithTimeout(context.Background(), sessionOpTimeout)
	defer cancel()
	sorted := slices.Sorted(slices.Values(keys))
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, k := range sorted {
			if _, err := tx.Exec(ctx, `INSERT INTO ledger_attempts (key) VALUES ($1) ON CONFLICT (key) DO NOTHING`, k); err != nil {
				return err
			}
		}
		byKey := make(map[string]session.AttemptCounter, len(keys))
		rows, err := tx.Query(ctx, `SELECT key, attempts, window_start, locked_until, strikes, forget_after, pending, pending_until
			FROM ledger_attempts WHERE key = ANY($1) ORDER BY key FOR UPDATE`, sorted)
		if err != nil {
			return err
		}
		for rows.Next() {
			var c session.AttemptCounter
			var attempts, strikes, window, locked, forget, pending, pendingUntil int64
			if err := rows.Scan(&c.Key, &attempts, &window, &locked, &strikes, &forget, &pending, &pendingUntil); err != nil {
				rows.Close()
				return err
			}
			c.Attempts, c.Strikes, c.Pending = int(attempts), int(strikes), int(pending)
			c.WindowStart, c.LockedUntil, c.ForgetAfter = session.AttemptTime(window), session.AttemptTime(locked), session.AttemptTime(forget)
			c.PendingUntil = session.AttemptTime(pendingUntil)
			byKey[c.Key] = c
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		cs := make([]session.AttemptCounter, len(keys))
		for i, k := range keys {
			cs[i] = byKey[k]
			cs[i].Key = k
		}
		for _, c := range update(cs) {
			_, err := tx.Exec(ctx, `UPDATE ledger_attempts SET attempts = $2, window_start = $3, locked_until = $4,
				strikes = $5, forget_after = $6, pending = $7, pending_until = $8 WHERE key = $1`,
				c.Key, c.Attempts, session.AttemptNanos(c.WindowStart), session.AttemptNanos(c.LockedUntil), c.Strikes, session.AttemptNanos(c.ForgetAfter),
				c.Pending, session.AttemptNanos(c.PendingUntil))
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
func scanPgSession(row pgx.Row) (session.Session, error) {
	var sess session.Session
	if err := row.Scan(&sess.ID, &sess.UserID, &sess.OrganisationID, &sess.Credential,
		&sess.CreatedAt, &sess.LastSeenAt, &sess.ExpiresAt); err != nil {
		return session.Session{}, err
	}
	sess.CreatedAt, sess.LastSeenAt, sess.ExpiresAt = micros(sess.CreatedAt), micros(sess.LastSeenAt), micros(sess.ExpiresAt)
	return sess, nil
}

// micros returns t in UTC at PostgreSQL's resolution, a microsecond, so a
// time compares equal to itself after a round trip through the database.
func micros(t time.Time) time.Time { return time.UnixMicro(t.UnixMicro()).UTC() }
