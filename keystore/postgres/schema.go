package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Advisory lock keys. The migration lock is the one-bigint form; the
// per-client locks are the two-int4 form with lockClass first. PostgreSQL
// keeps the two forms apart, so they cannot collide with each other; the
// values spell "LKS1" (ledger key store) so an operator reading pg_locks can
// tell whose they are.
const (
	migrationLock int64 = 0x4c4b5331_00000001
	lockClass     int32 = 0x4c4b5331
)

// migrations brings the schema from version i to i+1 at index i. Only append
// to this list: databases in the field were created by it.
var migrations = []string{
	// 1: ledger_keys holds each client's data key wrapped under the master
	// key named by kek_id; ledger_key_tombstones is the tombstone of every
	// erased client, holding nothing but the id and when. A client is never
	// in both for longer than one transaction (or, if a backup brings a key
	// back, until the next read of it or the next Open).
	`CREATE TABLE IF NOT EXISTS ledger_keys (
		client_id  uuid        PRIMARY KEY,
		kek_id     text        NOT NULL,
		wrapped    bytea       NOT NULL,
		created_at timestamptz NOT NULL DEFAULT now()
	);
	CREATE TABLE IF NOT EXISTS ledger_key_tombstones (
		client_id    uuid        PRIMARY KEY,
		destroyed_at timestamptz NOT NULL DEFAULT now()
	)`,
}

var schemaVersion = len(migrations)

// migrate brings the schema to schemaVersion in one transaction, holding an
// advisory lock so that nodes starting at once take turns: CREATE TABLE IF
// NOT EXISTS alone is not safe against a concurrent CREATE of the same table.
// It refuses a schema written by a newer program.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
			return fmt.Errorf("lock for migration: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS ledger_keystore_schema (
			version    integer     PRIMARY KEY,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`); err != nil {
			return fmt.Errorf("create schema table: %w", err)
		}
		var have int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM ledger_keystore_schema`).Scan(&have); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		if have > schemaVersion {
			return fmt.Errorf("key store schema version %d is newer than this program's %d", have, schemaVersion)
		}
		for v := have; v < schemaVersion; v++ {
			if _, err := tx.Exec(ctx, migrations[v]); err != nil {
				return fmt.Errorf("migrate schema to version %d: %w", v+1, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO ledger_keystore_schema (version) VALUES ($1)`, v+1); err != nil {
				return fmt.Errorf("record schema version %d: %w", v+1, err)
			}
		}
		return nil
	})
}
