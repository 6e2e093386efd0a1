package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/idempotency"
)

// postgresIdempotencySchema: status is NULL while the first request is in
// flight. Bodies arrive sealed.
const postgresIdempotencySchema = `
CREATE TABLE IF NOT EXISTS ledger_idempotency_keys (
	scope        text        NOT NULL,
	key          text        NOT NULL,
	fingerprint  bytea       NOT NULL,
	status       integer,
	content_type text        NOT NULL DEFAULT '',
	location     text        NOT NULL DEFAULT '',
	etag         text        NOT NULL DEFAULT '',
	body         bytea,
	created_at   timestamptz NOT NULL,
	PRIMARY KEY (scope, key)
);
CREATE INDEX IF NOT EXISTS ledger_idempotency_keys_created_at ON ledger_idempotency_keys (created_at);
`

// idempotencyLock is the advisory lock taken while creating the table, so
// that nodes starting at once do not race on CREATE TABLE IF NOT EXISTS.
const idempotencyLock int64 = 0x4c49444d_00000001 // "LIDM"

// abandonedClaimAfter is how long a claim with no response blocks its key.
// A node that dies mid-request never releases its claims, and unlike the
// SQLite store, which belongs to one process and drops them when it
// reopens, a shared store cannot tell a dead node's claim from a live one;
// no request runs this long, so an older claim is taken to be abandoned and
// the same request may claim the key again (its ids derived from the
// request, it finds what the first run wrote: R-OPS-1); another request
// under the key is still refused.
const abandonedClaimAfter = 10 * time.Minute

// idempotencyOpTimeout bounds the bookkeeping calls that run after the
// client has gone (Complete, Release), whose contexts never end.
const idempotencyOpTimeout = 10 * time.Second

// errIdempotencyUnavailable marks every failure to reach, read or write the
// database, so the HTTP layer answers 503.
var errIdempotencyUnavailable error = &domain.Error{Code: domain.Unavailable, Message: "the idempotency store is unavailable"}

func idempotencyUnavailable(op string, err error) error {
	return fmt.Errorf("idempotency store: %s: %w: %w", op, errIdempotencyUnavailable, err)
}

// Store is an idempotency.Store in PostgreSQL, shared by
// every API node: a retry that the load balancer sends to another node is
// still answered from the first result.
type Store struct {
	pool *pgxpool.Pool
}

var _ idempotency.Store = (*Store)(nil)

// Open connects to the PostgreSQL database at url (a
// postgres:// URL or key=value string, as pgx reads them) and creates the
// ledger_idempotency_keys table if it is absent; several nodes may open one
// database at once. A claim left by a node that stopped mid-request blocks
// its key for ten minutes, then counts as abandoned. Backend failures,
// from Open and every method, carry domain.Unavailable and never the URL's
// password.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, idempotencyUnavailable("open", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, idempotencyUnavailable("open", err)
	}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, idempotencyLock); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, postgresIdempotencySchema)
		return err
	})
	if err != nil {
		pool.Close()
		return nil, idempotencyUnavailable("create schema", err)
	}
	return &Store{pool: pool}, nil
}

// Claim implements idempotency.Store. The key is claimed by one INSERT … ON
// CONFLICT, so of the requests racing for it on any number of nodes exactly
// one wins. An expired entry, or an abandoned claim, is taken over by that
// same statement; any other entry stays locked for the rest of the
// transaction while it is read, so a Release or Complete cannot change it
// under the answer.
func (s *Store) Claim(ctx context.Context, scope, key string, fingerprint [32]byte, now time.Time) (*idempotency.Response, error) {
	// Expired entries go first, in a statement of their own, so the purge
	// holds no row locks while the claim below waits for one.
	if _, err := s.pool.Exec(ctx, `DELETE FROM ledger_idempotency_keys WHERE created_at <= $1`,
		now.Add(-idempotency.TTL)); err != nil {
		return nil, idempotencyUnavailable("purge", err)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, idempotencyUnavailable("claim", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	var claimed bool
	err = tx.QueryRow(ctx, `
		INSERT INTO ledger_idempotency_keys AS k (scope, key, fingerprint, created_at)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (scope, key) DO UPDATE
			SET fingerprint = excluded.fingerprint, created_at = excluded.created_at, status = NULL,
				content_type = '', location = '', etag = '', body = NULL
			WHERE k.created_at <= $5
				OR (k.status IS NULL AND k.created_at <= $6 AND k.fingerprint = excluded.fingerprint)
		RETURNING true`,
		scope, key, fingerprint[:], now, now.Add(-idempotency.TTL), now.Add(-abandonedClaimAfter)).Scan(&claimed)
	switch {
	case err == nil:
		if err := tx.Commit(ctx); err != nil {
			return nil, idempotencyUnavailable("claim", err)
		}
		return nil, nil
	case !errors.Is(err, pgx.ErrNoRows):
		return nil, idempotencyUnavailable("claim", err)
	}
	// The key is held by a live entry, which ON CONFLICT has locked.
	var (
		fp     []byte
		status *int32
		body   []byte
		resp   idempotency.Response
	)
	if err := tx.QueryRow(ctx, `
		SELECT fingerprint, status, content_type, location, etag, body
		FROM ledger_idempotency_keys WHERE scope = $1 AND key = $2`, scope, key).
		Scan(&fp, &status, &resp.ContentType, &resp.Location, &resp.ETag, &body); err != nil {
		return nil, idempotencyUnavailable("claim", err)
	}
	switch {
	case !bytes.Equal(fp, fingerprint[:]):
		return nil, domain.Errorf(domain.Invalid, "this Idempotency-Key was already used with a different request")
	case status == nil:
		return nil, idempotency.ErrInFlight()
	}
	resp.Status, resp.Body = int(*status), body
	return &resp, nil
}

// Complete implements idempotency.Store. It fails if the key is no longer
// claimed (it expired, was released or was taken over as abandoned).
func (s *Store) Complete(ctx context.Context, scope, key string, resp idempotency.Response) error {
	ctx, cancel := context.WithTimeout(ctx, idempotencyOpTimeout)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `
		UPDATE ledger_idempotency_keys SET status = $1, content_type = $2, location = $3, etag = $4, body = $5
		WHERE scope = $6 AND key = $7 AND status IS NULL`,
		resp.Status, resp.ContentType, resp.Location, resp.ETag, resp.Body, scope, key)
	if err != nil {
		return idempotencyUnavailable("complete", err)
	}
	if tag.RowsAffected() != 1 {
		return errors.New("idempotency store: complete: the key is no longer claimed")
	}
	return nil
}

// Release implements idempotency.Store; a completed entry is left alone.
func (s *Store) Release(ctx context.Context, scope, key string) error {
	ctx, cancel := context.WithTimeout(ctx, idempotencyOpTimeout)
	defer cancel()
	if _, err := s.pool.Exec(ctx, `
		DELETE FROM ledger_idempotency_keys WHERE scope = $1 AND key = $2 AND status IS NULL`, scope, key); err != nil {
		return idempotencyUnavailable("release", err)
	}
	return nil
}

// Purge implements idempotency.Store. Any one node may run it.
func (s *Store) Purge(ctx context.Context, now time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM ledger_idempotency_keys WHERE created_at <= $1`, now.Add(-idempotency.TTL))
	if err != nil {
		return 0, idempotencyUnavailable("purge", err)
	}
	return tag.RowsAffected(), nil
}

// Close implements idempotency.Store: it closes the connection pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}
