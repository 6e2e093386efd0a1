package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"path/filepath"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/config"
	"github.com/referral-ledger/ledger/keystore"
	keypg "github.com/referral-ledger/ledger/keystore/postgres"
	keysqlite "github.com/referral-ledger/ledger/keystore/sqlite"
	"github.com/referral-ledger/ledger/ledger"
)

// migrateKeys copies data_dir/keys.db into the PostgreSQL key store at
// postgres_url: every wrapped key as it is (still under the master key) and
// every erasure tombstone, then checks each key opens under the configured
// master key. The key of a client the ledger records as erased is never
// copied, whatever keys.db says (R-PRIV-8): it is destroyed in keys.db
// when the file can be written, and skipped and reported when it cannot,
// and the target gets the client's tombstone.
func migrateKeys(ctx context.Context, cfg config.Config, stdout io.Writer) error {
	if cfg.PostgresURL == "" {
		return fmt.Errorf("postgres_url (LEDGER_POSTGRES_URL) is required")
	}
	kek, _, _, err := keystore.ResolveMasterKey(cfg.MasterKey, cfg.MasterKeyFile, cfg.DataDir)
	if err != nil {
		return fmt.Errorf("master key: %w", err)
	}
	events, err := openEventStore(cfg, zerolog.Nop())
	if err != nil {
		return err
	}
	defer events.Close()
	srcPath := filepath.Join(cfg.DataDir, keysqlite.FileName)
	var shredded int64
	var records *ledger.ErasureRecords
	writable, err := keysqlite.Open(srcPath, kek)
	if err != nil {
		fmt.Fprintf(stdout, "keys.db does not open for writing here (%v): keys of erased clients will be skipped, not destroyed\n", err)
	} else {
		var keys *ledger.ClientKeys
		keys, records, err = offlineKeys(ctx, events, writable, io.Discard)
		if err == nil {
			shredded, _ = shredErasedKeys(ctx, keys, records)
		}
		if cerr := writable.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	if records == nil {
		if records, err = ledger.ReadErasureRecords(ctx, events); err != nil {
			return fmt.Errorf("reading the ledger's erasure records: %w", err)
		}
	}

	src, err := sql.Open("sqlite", "file:"+srcPath+"?mode=ro")
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := keypg.Open(ctx, cfg.PostgresURL, kek) // creates the tables
	if err != nil {
		return fmt.Errorf("postgres key store: %w", err)
	}
	defer dst.Close()
	conn, err := pgx.Connect(ctx, cfg.PostgresURL)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	defer conn.Close(ctx)

	tombs, err := src.QueryContext(ctx, `SELECT client_id FROM destroyed`)
	if err != nil {
		return fmt.Errorf("reading keys.db: %w", err)
	}
	destroyed := 0
	for tombs.Next() {
		var id string
		if err := tombs.Scan(&id); err != nil {
			return err
		}
		if _, err := conn.Exec(ctx, `INSERT INTO ledger_key_tombstones (client_id) VALUES ($1) ON CONFLICT DO NOTHING`, id); err != nil {
			return err
		}
		destroyed++
	}
	if err := tombs.Err(); err != nil {
		return err
	}
	rows, err := src.QueryContext(ctx, `SELECT client_id, kek_id, wrapped FROM keys
		WHERE client_id NOT IN (SELECT client_id FROM destroyed)`)
	if err != nil {
		return fmt.Errorf("reading keys.db: %w", err)
	}
	var clients []uuid.UUID
	skipped := 0
	for rows.Next() {
		var id, kekID string
		var wrapped []byte
		if err := rows.Scan(&id, &kekID, &wrapped); err != nil {
			return err
		}
		c, err := uuid.Parse(id)
		if err != nil {
			return fmt.Errorf("keys.db holds a malformed client id")
		}
		if records.IsErased(c) {
			skipped++
			continue
		}
		if _, err := conn.Exec(ctx, `INSERT INTO ledger_keys (client_id, kek_id, wrapped) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING`, id, kekID, wrapped); err != nil {
			return err
		}
		clients = append(clients, c)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	// Every client the ledger records as erased is erased in the target
	// too, including one whose key an earlier run copied.
	for _, c := range records.Erased() {
		if err := dst.Destroy(ctx, c); err != nil {
			return fmt.Errorf("recording an erasure in PostgreSQL: %w", err)
		}
	}
	for _, c := range clients {
		if _, err := dst.Get(ctx, c); err != nil {
			return fmt.Errorf("a copied key does not open under master key %s: %w", kek.ID, err)
		}
	}
	fmt.Fprintf(stdout, "copied %d client keys and %d erasure tombstones to PostgreSQL; every key opens under master key %s\n",
		len(clients), destroyed, kek.ID)
	if shredded > 0 {
		fmt.Fprintf(stdout, "destroyed %d keys in keys.db that had come back for erased clients (a restored backup?); not copied\n", shredded)
	}
	if skipped > 0 {
		fmt.Fprintf(stdout, "skipped %d keys of erased clients that keys.db still holds (it could not be written here); "+
			"not copied: the server destroys them when it next starts\n", skipped)
	}
	return nil
}
