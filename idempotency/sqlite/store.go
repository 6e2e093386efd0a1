package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, pure Go

	"github.com/referral-ledger/ledger/datadir"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/idempotency"
)

// idempotencySchema: status is NULL while the first request is in flight,
// abandoned (0) once its process has stopped without an answer.
// created_at is in Unix nanoseconds.
const idempotencySchema = `
CREATE TABLE IF NOT EXISTS idempotency_keys (
	scope        TEXT    NOT NULL,
	key          TEXT    NOT NULL,
	fingerprint  BLOB    NOT NULL,
	status       INTEGER,
	content_type TEXT    NOT NULL DEFAULT '',
	location     TEXT    NOT NULL DEFAULT '',
	etag         TEXT    NOT NULL DEFAULT '',
	body         BLOB,
	created_at   INTEGER NOT NULL,
	PRIMARY KEY (scope, key)
);
CREATE INDEX IF NOT EXISTS idempotency_keys_created_at ON idempotency_keys (created_at);
`

// Store is an idempotency.Store in a SQLite file.
type Store struct {
	db *sql.DB
}

var _ idempotency.Store = (*Store)(nil)

// Open opens, creating it if need be, the SQLite file at
// path as an idempotency.Store: WAL journal, synchronous=FULL so a stored
// response survives a power cut, and secure_delete so purged responses are
// overwritten on disk. The file belongs to one process: opening it marks
// the claims of requests that were in flight when a previous process
// stopped as abandoned; a retry of the same request takes such a claim
// over (and, its ids derived from the request, finds what the first run
// wrote: R-OPS-1), and another request under the key is still refused.
func Open(path string) (*Store, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("idempotency store: unusable path %q", path)
	}
	dsn := path + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(FULL)&_pragma=secure_delete(ON)&_txlock=immediate"
	// Created 0600 whatever the umask, like every file of the data
	// directory.
	if err := datadir.PrepareSQLite(path); err != nil {
		return nil, fmt.Errorf("idempotency store: %w", err)
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("idempotency store: %w", err)
	}
	db.SetMaxOpenConns(1) // one writer anyway; no SQLITE_BUSY between our own connections
	s := &Store{db: db}
	if err := s.init(); err != nil {
		db.Close()
		return nil, fmt.Errorf("idempotency store: %w", err)
	}
	return s, nil
}

func (s *Store) init() error {
	if _, err := s.db.Exec(idempotencySchema); err != nil {
		return err
	}
	_, err := s.db.Exec(`UPDATE idempotency_keys SET status = ? WHERE status IS NULL`, abandoned)
	return err
}

// abandoned is the status of a claim whose process stopped before
// completing or releasing it; never an HTTP status.
const abandoned = 0

// Claim implements idempotency.Store.
func (s *Store) Claim(ctx context.Context, scope, key string, fingerprint [32]byte, now time.Time) (*idempotency.Response, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("idempotency store: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE created_at <= ?`, expiry(now)); err != nil {
		return nil, fmt.Errorf("idempotency store: purge: %w", err)
	}
	var (
		fp     []byte
		status sql.NullInt64
		resp   idempotency.Response
	)
	err = tx.QueryRowContext(ctx, `
		SELECT fingerprint, status, content_type, location, etag, body
		FROM idempotency_keys WHERE scope = ? AND key = ?`, scope, key).
		Scan(&fp, &status, &resp.ContentType, &resp.Location, &resp.ETag, &resp.Body)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO idempotency_keys (scope, key, fingerprint, created_at) VALUES (?, ?, ?, ?)`,
			scope, key, fingerprint[:], now.UnixNano()); err != nil {
			return nil, fmt.Errorf("idempotency store: claim: %w", err)
		}
		if err := tx.Commit(); err != nil {
			return nil, fmt.Errorf("idempotency store: claim: %w", err)
		}
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("idempotency store: claim: %w", err)
	case !bytes.Equal(fp, fingerprint[:]):
		return nil, domain.Errorf(domain.Invalid, "this Idempotency-Key was already used with a different request")
	case status.Valid && status.Int64 == abandoned:
		// The same request again, after a restart: it holds the key now.
		if _, err := tx.ExecContext(ctx, `UPDATE idempotency_keys SET status = NULL
			WHERE scope = ? AND key = ?`, scope, key); err != nil {
			return nil, fmt.Errorf("idempotency store: claim: %w", err)
		}
		if err := tx.Commit(); err != nil {
			return nil, fmt.Errorf("idempotency store: claim: %w", err)
		}
		return nil, nil
	case !status.Valid:
		return nil, idempotency.ErrInFlight()
	}
	if err := tx.Commit(); err != nil { // keeps the purge
		return nil, fmt.Errorf("idempotency store: claim: %w", err)
	}
	resp.Status = int(status.Int64)
	return &resp, nil
}

// Complete implements idempotency.Store. It fails if the key is no longer
// claimed (it expired, or was released).
func (s *Store) Complete(ctx context.Context, scope, key string, resp idempotency.Response) error {
	res, err := s.db.ExecContext(ctx, `
		UPDATE idempotency_keys SET status = ?, content_type = ?, location = ?, etag = ?, body = ?
		WHERE scope = ? AND key = ? AND status IS NULL`,
		resp.Status, resp.ContentType, resp.Location, resp.ETag, resp.Body, scope, key)
	if err != nil {
		return fmt.Errorf("idempotency store: complete: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("idempotency store: complete: the key is no longer claimed")
	}
	return nil
}

// Release implements idempotency.Store; a completed entry is left alone.
func (s *Store) Release(ctx context.Context, scope, key string) error {
	_, err := s.db.ExecContext(ctx, `
		DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND status IS NULL`, scope, key)
	if err != nil {
		return fmt.Errorf("idempotency store: release: %w", err)
	}
	return nil
}

// Purge implements idempotency.Store.
func (s *Store) Purge(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE created_at <= ?`, expiry(now))
	if err != nil {
		return 0, fmt.Errorf("idempotency store: purge: %w", err)
	}
	return res.RowsAffected()
}

// Close implements idempotency.Store.
func (s *Store) Close() error { return datadir.CloseSQLite(s.db) }

// expiry is the created_at at or before which entries have expired at now.
func expiry(now time.Time) int64 { return now.Add(-idempotency.TTL).UnixNano() }
