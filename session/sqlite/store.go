package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/referral-ledger/ledger/datadir"
	"github.com/referral-ledger/ledger/session"
)

// Store is a session.Store in its own SQLite file, kept apart from
// the event store because sessions are short-lived, per node and written on
// every login. The file also holds the sign-in throttle's counters, so they
// survive a restart. It is safe for concurrent use.
type Store struct {
	db  *sql.DB
	cfg session.Config
	// attemptsMu queues this process's throttle updates, so a burst of
	// sign-ins waits its turn here rather than in SQLite's busy handler,
	// whose timeout it could outlast. The file lock still orders them
	// against other processes.
	attemptsMu sync.Mutex
	// readAttempts and writeAttempts are readAttemptsSQL and
	// writeAttemptsSQL, prepared.
	readAttempts, writeAttempts *sql.Stmt
}

var _ session.Store = (*Store)(nil)

// sessionSchema creates the sessions table. Times are Unix nanoseconds in
// UTC; token_hash is SHA-256 of the token, never the token itself.
const sessionSchema = `
CREATE TABLE IF NOT EXISTS sessions (
	token_hash      BLOB PRIMARY KEY,
	id              TEXT NOT NULL UNIQUE,
	user_id         TEXT NOT NULL,
	organisation_id TEXT NOT NULL,
	created_at      INTEGER NOT NULL,
	last_seen_at    INTEGER NOT NULL,
	expires_at      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_id);
CREATE INDEX IF NOT EXISTS sessions_expires ON sessions (expires_at);
CREATE TABLE IF NOT EXISTS attempts (
	key           TEXT PRIMARY KEY,
	attempts      INTEGER NOT NULL,
	window_start  INTEGER NOT NULL,
	locked_until  INTEGER NOT NULL,
	strikes       INTEGER NOT NULL,
	forget_after  INTEGER NOT NULL,
	pending       INTEGER NOT NULL DEFAULT 0,
	pending_until INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS attempts_forget ON attempts (forget_after);
CREATE TABLE IF NOT EXISTS sign_ins (
	user_id TEXT PRIMARY KEY,
	last_at INTEGER NOT NULL
) WITHOUT ROWID;
`

// sessionCredentialColumn adds the credential column to a sessions table
// made before it existed; its sessions then match no account's credential
// and end, which only ever errs on the safe side.
const sessionCredentialColumn = `ALTER TABLE sessions ADD COLUMN credential TEXT NOT NULL DEFAULT ''`

// attemptsPendingColumns add the in-flight count of the throttle's
// counters to an attempts table made before it existed; its attempts then
// all count as failed, which only ever errs on the safe side.
var attemptsPendingColumns = []struct{ name, add string }{
	{"pending", `ALTER TABLE attempts ADD COLUMN pending INTEGER NOT NULL DEFAULT 0`},
	{"pending_until", `ALTER TABLE attempts ADD COLUMN pending_until INTEGER NOT NULL DEFAULT 0`},
}

// Open opens (creating if need be) the session database at path
// with the default timeouts. Errors are unclassified (internal).
func Open(path string) (*Store, error) {
	return OpenWithConfig(path, session.DefaultConfig())
}

// OpenWithConfig is Open with the timeouts of cfg; zero
// fields take their defaults. The database runs in WAL mode with
// synchronous=FULL, so a logout or account closure that returned survives a
// power cut.
func OpenWithConfig(path string, cfg session.Config) (*Store, error) {
	// A file: URI with an escaped path, so that '?' or '#' in a directory
	// name cannot be mistaken for the start of the parameters.
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?_busy_timeout=5000&_journal_mode=WAL&_synchronous=FULL&_txlock=immediate"
	// Created 0600 whatever the umask, like every file of the data directory.
	if err := datadir.PrepareSQLite(path); err != nil {
		return nil, fmt.Errorf("session: opening sessions: %w", err)
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("session: opening sessions %s: %w", path, err)
	}
	if _, err := db.Exec(sessionSchema + mfaSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("session: creating sessions schema in %s: %w", path, err)
	}
	var hasCredential bool
	if err := db.QueryRow(`SELECT count(*) > 0 FROM pragma_table_info('sessions') WHERE name = 'credential'`).Scan(&hasCredential); err != nil {
		db.Close()
		return nil, fmt.Errorf("session: reading sessions schema in %s: %w", path, err)
	}
	if !hasCredential {
		if _, err := db.Exec(sessionCredentialColumn); err != nil {
			db.Close()
			return nil, fmt.Errorf("session: updating sessions schema in %s: %w", path, err)
		}
	}
	for _, col := range attemptsPendingColumns {
		var has bool
		if err := db.QueryRow(`SELECT count(*) > 0 FROM pragma_table_info('attempts') WHERE name = ?`, col.name).Scan(&has); err != nil {
			db.Close()
			return nil, fmt.Errorf("session: reading throttle schema in %s: %w", path, err)
		}
		if !has {
			if _, err := db.Exec(col.add); err != nil {
				db.Close()
				return nil, fmt.Errorf("session: updating throttle schema in %s: %w", path, err)
			}
		}
	}
	for _, col := range mfaEpochColumns {
		var has bool
		if err := db.QueryRow(`SELECT count(*) > 0 FROM pragma_table_info('mfa') WHERE name = ?`, col.name).Scan(&has); err != nil {
			db.Close()
			return nil, fmt.Errorf("session: reading second factors' schema in %s: %w", path, err)
		}
		if !has {
			if _, err := db.Exec(col.add); err != nil {
				db.Close()
				return nil, fmt.Errorf("session: updating second factors' schema in %s: %w", path, err)
			}
		}
	}
	st := &Store{db: db, cfg: cfg.WithDefaults()}
	if st.readAttempts, err = db.Prepare(readAttemptsSQL); err == nil {
		st.writeAttempts, err = db.Prepare(writeAttemptsSQL)
	}
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("session: preparing throttle statements in %s: %w", path, err)
	}
	return st, nil
}

// The throttle's statements, prepared once: every sign-in attempt runs
// them (R-AUTH-5).
const (
	readAttemptsSQL = `SELECT attempts, window_start, locked_until, strikes, forget_after, pending, pending_until
		FROM attempts WHERE key = ?`
	writeAttemptsSQL = `INSERT INTO attempts (key, attempts, window_start, locked_until, strikes, forget_after, pending, pending_until)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET attempts = excluded.attempts, window_start = excluded.window_start,
			locked_until = excluded.locked_until, strikes = excluded.strikes, forget_after = excluded.forget_after,
			pending = excluded.pending, pending_until = excluded.pending_until`
)

// Close closes the database.
func (s *Store) Close() error {
	for _, st := range []*sql.Stmt{s.readAttempts, s.writeAttempts} {
		if st != nil {
			st.Close()
		}
	}
	return datadir.CloseSQLite(s.db)
}

// Create starts a session; see session.Store.Create. An empty userID or
// organisationID is a programming error (internal).
func (s *Store) Create(userID, organisationID, credential string, now time.Time) (string, session.Session, error) {
	token, sess, err := session.Begin(userID, organisationID, credential, now, s.cfg.AbsoluteTimeout,
		func(t time.Time) time.Time { return fromNanos(nanos(t)) })
	if err != nil {
		return "", session.Session{}, err
	}
	tx, err := s.db.Begin()
	if err != nil {
		return "", session.Session{}, fmt.Errorf("session: storing session: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	_, err = tx.Exec(`INSERT INTO sessions
		(token_hash, id, user_id, organisation_id, credential, created_at, last_seen_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		session.HashToken(token), sess.ID, sess.UserID, sess.OrganisationID, sess.Credential,
		nanos(sess.CreatedAt), nanos(sess.LastSeenAt), nanos(sess.ExpiresAt))
	if err == nil {
		_, err = tx.Exec(`INSERT INTO sign_ins (user_id, last_at) VALUES (?, ?)
			ON CONFLICT (user_id) DO UPDATE SET last_at = max(last_at, excluded.last_at)`, sess.UserID, nanos(sess.CreatedAt))
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		return "", session.Session{}, fmt.Errorf("session: storing session: %w", err)
	}
	return token, sess, nil
}

// Lookup returns the live session of token; see session.Store.Lookup. It
// writes LastSeenAt only when the stored value is older than touchInterval.
func (s *Store) Lookup(token string, now time.Time) (session.Session, error) {
	if !session.WellFormedToken(token) {
		return session.Session{}, session.ErrInvalid()
	}
	hash := session.HashToken(token)
	sess, err := s.find(hash, now)
	if err != nil {
		return session.Session{}, err
	}
	if now.Sub(sess.LastSeenAt) < session.TouchInterval(s.cfg.IdleTimeout) {
		return sess, nil
	}
	// Touch and re-check in one statement, so a session ended by Delete or
	// DeleteForUser since the SELECT is not revived or honoured.
	seen := nanos(now)
	sess, err = scanSession(s.db.QueryRow(`UPDATE sessions SET last_seen_at = max(last_seen_at, ?)
		WHERE token_hash = ? AND expires_at > ? AND last_seen_at >= ?
		RETURNING `+sqliteSessionColumns,
		seen, hash, seen, nanos(now.Add(-s.cfg.IdleTimeout))))
	if errors.Is(err, sql.ErrNoRows) {
		return session.Session{}, session.ErrInvalid()
	}
	if err != nil {
		return session.Session{}, fmt.Errorf("session: touching session: %w", err)
	}
	return sess, nil
}

// Peek returns the live session of token and when it ends, without
// recording that it was seen; see session.Store.Peek.
func (s *Store) Peek(token string, now time.Time) (session.Session, time.Time, error) {
	if !session.WellFormedToken(token) {
		return session.Session{}, time.Time{}, session.ErrInvalid()
	}
	sess, err := s.find(session.HashToken(token), now)
	if err != nil {
		return session.Session{}, time.Time{}, err
	}
	return sess, session.EndsAt(sess, s.cfg.IdleTimeout), nil
}

// find reads the session of the token hashed as hash, live at now; an
// expired one is deleted.
func (s *Store) find(hash []byte, now time.Time) (session.Session, error) {
	sess, err := scanSession(s.db.QueryRow(`SELECT `+sqliteSessionColumns+`
		FROM sessions WHERE token_hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return session.Session{}, session.ErrInvalid()
	}
	if err != nil {
		return session.Session{}, fmt.Errorf("session: looking up session: %w", err)
	}
	if !s.live(sess, now) {
		// Best effort: Purge removes it later if this fails.
		_, _ = s.db.Exec(`DELETE FROM sessions WHERE token_hash = ?`, hash)
		return session.Session{}, session.ErrInvalid()
	}
	return sess, nil
}

// live reports whether sess is neither past its absolute expiry nor idle for
// longer than the idle timeout at now.
func (s *Store) live(sess session.Session, now time.Time) bool {
	return now.Before(sess.ExpiresAt) && now.Sub(sess.LastSeenAt) <= s.cfg.IdleTimeout
}

// Delete ends the session of token; see session.Store.Delete.
func (s *Store) Delete(token string) error {
	if _, err := s.db.Exec(`DELETE FROM sessions WHERE token_hash = ?`, session.HashToken(token)); err != nil {
		return fmt.Errorf("session: deleting session: %w", err)
	}
	return nil
}

// LastSignIns returns when each user last signed in; see
// session.Store.LastSignIns.
func (s *Store) LastSignIns(userIDs []string) (map[string]time.Time, error) {
	out := make(map[string]time.Time, len(userIDs))
	for chunk := range slices.Chunk(userIDs, 500) {
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := s.db.Query(`SELECT user_id, last_at FROM sign_ins WHERE user_id IN (?`+
			strings.Repeat(", ?", len(chunk)-1)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("session: reading sign-ins: %w", err)
		}
		for rows.Next() {
			var id string
			var at int64
			if err := rows.Scan(&id, &at); err != nil {
				rows.Close()
				return nil, fmt.Errorf("session: reading sign-ins: %w", err)
			}
			out[id] = fromNanos(at)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("session: reading sign-ins: %w", err)
		}
	}
	return out, nil
}

// DeleteForUser ends every session of userID; see session.Store.DeleteForUser.
// KeepOnly ends the user's other sessions and records credential on the
// one of token, in one transaction; see session.Store.KeepOnly.
func (s *Store) KeepOnly(token, userID, credential string) error {
	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("session: keeping one session: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	hash := session.HashToken(token)
	if _, err := tx.Exec(`DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?`, userID, hash); err != nil {
		return fmt.Errorf("session: keeping one session: %w", err)
	}
	if _, err := tx.Exec(`UPDATE sessions SET credential = ? WHERE token_hash = ? AND user_id = ?`, credential, hash, userID); err != nil {
		return fmt.Errorf("session: keeping one session: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("session: keeping one session: %w", err)
	}
	return nil
}

func (s *Store) DeleteForUser(userID string) error {
	if _, err := s.db.Exec(`DELETE FROM sessions WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("session: deleting sessions of user: %w", err)
	}
	return nil
}

// Purge removes expired sessions and stale throttle counters; see
// session.Store.Purge.
func (s *Store) Purge(now time.Time) (int, error) {
	if _, err := s.db.Exec(`DELETE FROM attempts WHERE forget_after <= ?`, nanos(now)); err != nil {
		return 0, fmt.Errorf("session: purging throttle counters: %w", err)
	}
	if _, err := s.db.Exec(`DELETE FROM mfa_challenges WHERE expires_at <= ?`, nanos(now)); err != nil {
		return 0, fmt.Errorf("session: purging sign-in challenges: %w", err)
	}
	res, err := s.db.Exec(`DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at < ?`,
		nanos(now), nanos(now.Add(-s.cfg.IdleTimeout)))
	if err != nil {
		return 0, fmt.Errorf("session: purging sessions: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("session: purging sessions: %w", err)
	}
	return int(n), nil
}

// UpdateAttempts updates throttle counters in one immediate transaction,
// which holds the file's write lock from the read to the commit, so it is
// atomic across every process using the file; see
// AttemptStore.UpdateAttempts.
func (s *Store) UpdateAttempts(keys []string, update func([]session.AttemptCounter) []session.AttemptCounter) error {
	s.attemptsMu.Lock()
	defer s.attemptsMu.Unlock()
	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("session: updating throttle counters: %w", err)
	}
	defer tx.Rollback()
	cs := make([]session.AttemptCounter, len(keys))
	for i, k := range keys {
		cs[i].Key = k
		var window, locked, forget, pendingUntil int64
		err := tx.Stmt(s.readAttempts).QueryRow(k).Scan(&cs[i].Attempts, &window, &locked, &cs[i].Strikes, &forget, &cs[i].Pending, &pendingUntil)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("session: reading throttle counters: %w", err)
		}
		cs[i].WindowStart, cs[i].LockedUntil, cs[i].ForgetAfter = session.AttemptTime(window), session.AttemptTime(locked), session.AttemptTime(forget)
		cs[i].PendingUntil = session.AttemptTime(pendingUntil)
	}
	for _, c := range update(cs) {
		_, err := tx.Stmt(s.writeAttempts).Exec(
			c.Key, c.Attempts, session.AttemptNanos(c.WindowStart), session.AttemptNanos(c.LockedUntil), c.Strikes, session.AttemptNanos(c.ForgetAfter),
			c.Pending, session.AttemptNanos(c.PendingUntil))
		if err != nil {
			return fmt.Errorf("session: writing throttle counters: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("session: writing throttle counters: %w", err)
	}
	return nil
}

// sqliteSessionColumns are the columns scanSession reads, in its order.
const sqliteSessionColumns = `id, user_id, organisation_id, credential, created_at, last_seen_at, expires_at`

// scanSession reads one row of sqliteSessionColumns.
func scanSession(row *sql.Row) (session.Session, error) {
	var sess session.Session
	var created, seen, expires int64
	if err := row.Scan(&sess.ID, &sess.UserID, &sess.OrganisationID, &sess.Credential, &created, &seen, &expires); err != nil {
		return session.Session{}, err
	}
	sess.CreatedAt, sess.LastSeenAt, sess.ExpiresAt = fromNanos(created), fromNanos(seen), fromNanos(expires)
	return sess, nil
}

// nanos and fromNanos convert between times and the stored Unix nanoseconds.
func nanos(t time.Time) int64     { return t.UnixNano() }
func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

// EndSessions ends every session and every second-factor challenge in the
// session store at path, and keeps the rest: the second factors, their
// recovery codes, the throttle's counters and the last sign-ins. It is
// what ledger restore puts back of a backup's session store: a session
// may have ended since the backup (a sign-out, a password change, a
// closed account), but the restored event log still says who set up a
// second factor, whose secret only this store holds.
func EndSessions(path string) error {
	s, err := Open(path)
	if err != nil {
		return err
	}
	if _, err := s.db.Exec(`DELETE FROM sessions; DELETE FROM mfa_challenges`); err != nil {
		_ = s.Close()
		return fmt.Errorf("ending the sessions of %s: %w", path, err)
	}
	return s.Close()
}
