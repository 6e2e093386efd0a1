package http

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
)

// idempotencySchema: status is NULL while the first request is in flight.
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

// sqliteIdempotencyStore is the IdempotencyStore in a SQLite file.
type sqliteIdempotencyStore struct {
	db *sql.DB
}

// OpenIdempotencyStore opens, creating it if need be, the SQLite file at
// path as an IdempotencyStore: WAL journal, synchronous=FULL so a stored
// response survives a power cut, and secure_delete so purged responses are
// overwritten on disk. The file belongs to one process: opening it drops the
// claims of requests that were in flight when a previous process stopped.
func OpenIdempotencyStore(path string) (IdempotencyStore, error) {
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
	s := &sqliteIdempotencyStore{db: db}
	if err := s.init(); err != nil {
		db.Close()
		return nil, fmt.Errorf("idempotency store: %w", err)
	}
	return s, nil
}

func (s *sqliteIdempotencyStore) init() error {
	if _, err := s.db.Exec(idempotencySchema); err != nil {
		return err
	}
	_, err := s.db.Exec(`DELETE FROM idempotency_keys WHERE status IS NULL`)
	return err
}

// Claim implements IdempotencyStore.
func (s *sqliteIdempotencyStore) Claim(ctx context.Context, scope, key string, fingerprint [32]byte, now time.Time) (*IdempotentResponse, error) {
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
		resp   IdempotentResponse
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
	case !status.Valid:
		return nil, domain.Errorf(domain.Conflict, "the first request with this Idempotency-Key is still being processed; retry later")
	}
	if err := tx.Commit(); err != nil { // keeps the purge
		return nil, fmt.Errorf("idempotency store: claim: %w", err)
	}
	resp.Status = int(status.Int64)
	return &resp, nil
}

// Complete implements IdempotencyStore. It fails if the key is no longer
// claimed (it expired, or was released).
func (s *sqliteIdempotencyStore) Complete(ctx context.Context, scope, key string, resp IdempotentResponse) error {
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

// Release implements IdempotencyStore; a completed entry is left alone.
func (s *sqliteIdempotencyStore) Release(ctx context.Context, scope, key string) error {
	_, err := s.db.ExecContext(ctx, `
		DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND status IS NULL`, scope, key)
	if err != nil {
		return fmt.Errorf("idempotency store: release: %w", err)
	}
	return nil
}

// Purge implements IdempotencyStore.
func (s *sqliteIdempotencyStore) Purge(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE created_at <= ?`, expiry(now))
	if err != nil {
		return 0, fmt.Errorf("idempotency store: purge: %w", err)
	}
	return res.RowsAffected()
}

// Close implements IdempotencyStore.
func (s *sqliteIdempotencyStore) Close() error { return s.db.Close() }

// expiry is the created_at at or before which entries have expired at now.
func expiry(now time.Time) int64 { return now.Add(-IdempotencyTTL).UnixNano() }
