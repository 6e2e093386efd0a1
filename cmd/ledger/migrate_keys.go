package main

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

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
//
// Once every key is in PostgreSQL, the same key keys.db holds, and every
// tombstone and erasure is recorded there, keys.db and its journals are
// removed from the data directory, durably (R-PRIV-4): a node on the
// PostgreSQL key store never touches the file again, so a client erased
// later would keep a key there that the master key opens. If anything
// cannot be checked, nothing is removed and the migration fails. A run
// interrupted before the removal is finished by running it again.
func migrateKeys(ctx context.Context, cfg config.Config, stdout io.Writer) error {
	if cfg.PostgresURL == "" {
		return fmt.Errorf("postgres_url (LEDGER_POSTGRES_URL) is required")
	}
	srcPath := filepath.Join(cfg.DataDir, keysqlite.FileName)
	if _, err := os.Lstat(srcPath); errors.Is(err, fs.ErrNotExist) {
		return noKeyStoreToMigrate(cfg.DataDir, stdout)
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
	var tombstones []uuid.UUID
	for tombs.Next() {
		var id string
		if err := tombs.Scan(&id); err != nil {
			return err
		}
		c, err := uuid.Parse(id)
		if err != nil {
			return fmt.Errorf("keys.db holds a malformed client id")
		}
		if _, err := conn.Exec(ctx, `INSERT INTO ledger_key_tombstones (client_id) VALUES ($1) ON CONFLICT DO NOTHING`, id); err != nil {
			return err
		}
		tombstones = append(tombstones, c)
	}
	if err := tombs.Err(); err != nil {
		return err
	}
	rows, err := src.QueryContext(ctx, `SELECT client_id, kek_id, wrapped FROM keys
		WHERE client_id NOT IN (SELECT client_id FROM destroyed)`)
	if err != nil {
		return fmt.Errorf("reading keys.db: %w", err)
	}
	// The key each copied client has in keys.db, unwrapped, to check
	// PostgreSQL holds the same one: a key it held already for the client
	// is kept there (ON CONFLICT DO NOTHING), and it must be this one.
	copied := map[uuid.UUID]keystore.DataKey{}
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
		key, err := keystore.Unwrap(kek, c, kekID, wrapped)
		if err != nil {
			return fmt.Errorf("a key in keys.db does not open under master key %s: %w; nothing was removed", kek.ID, err)
		}
		if _, err := conn.Exec(ctx, `INSERT INTO ledger_keys (client_id, kek_id, wrapped) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING`, id, kekID, wrapped); err != nil {
			return err
		}
		copied[c] = key
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
	if err := checkMigratedKeys(ctx, dst, kek, clients, copied, append(tombstones, records.Erased()...)); err != nil {
		return fmt.Errorf("%w; keys.db was left in place", err)
	}
	fmt.Fprintf(stdout, "copied %d client keys and %d erasure tombstones to PostgreSQL; every key opens under master key %s\n",
		len(clients), len(tombstones), kek.ID)
	if shredded > 0 {
		fmt.Fprintf(stdout, "destroyed %d keys in keys.db that had come back for erased clients (a restored backup?); not copied\n", shredded)
	}
	if skipped > 0 {
		fmt.Fprintf(stdout, "skipped %d keys of erased clients that keys.db still held (it could not be written here); not copied\n", skipped)
	}
	// Everything is in PostgreSQL and checked: keys.db goes, with its
	// journals, before anyone starts a node that would never touch it
	// again (R-PRIV-4).
	if err := src.Close(); err != nil {
		return err
	}
	removed, err := removeKeyStore(cfg.DataDir)
	if err != nil {
		return fmt.Errorf("every key is in PostgreSQL and checked, but removing %s failed: %w. "+
			"Run `ledger migrate --to postgres` again to finish, or remove it yourself", srcPath, err)
	}
	fmt.Fprintf(stdout, "removed %s from %s: the client keys are in PostgreSQL only now; "+
		"run the server with keystore: postgres (LEDGER_KEYSTORE) and this postgres_url\n", strings.Join(removed, ", "), cfg.DataDir)
	return nil
}

// checkMigratedKeys checks the PostgreSQL key store dst holds, for each of
// clients, the key copied for them (want) and opens it under kek, and
// records every client of erased (tombstones and the ledger's erasures)
// as erased.
func checkMigratedKeys(ctx context.Context, dst keystore.Store, kek keystore.MasterKey, clients []uuid.UUID,
	want map[uuid.UUID]keystore.DataKey, erased []uuid.UUID) error {
	for _, c := range clients {
		got, err := dst.Get(ctx, c)
		if err != nil {
			return fmt.Errorf("a copied key does not open under master key %s: %w", kek.ID, err)
		}
		if w := want[c]; subtle.ConstantTimeCompare(got[:], w[:]) != 1 {
			return fmt.Errorf("PostgreSQL already held another key for a client whose key keys.db holds " +
				"(is postgres_url another ledger's key store?)")
		}
	}
	for _, c := range erased {
		if _, err := dst.Get(ctx, c); !errors.Is(err, keystore.ErrDestroyed) {
			return fmt.Errorf("an erasure is not recorded in PostgreSQL (%v)", err)
		}
	}
	return nil
}

// removeKeyStore removes keys.db from dir, its journals first, and fsyncs
// dir, so the removal outlives a crash. It returns what it removed.
func removeKeyStore(dir string) ([]string, error) {
	left := keyStoreFiles(dir)
	if len(left) == 0 {
		return nil, nil
	}
	// The journals before the file: a removal cut short leaves keys.db,
	// which a run again opens and checks, rather than a journal without
	// it.
	if err := removeDatabase(dir, keysqlite.FileName, keyStoreJournals...); err != nil {
		return nil, err
	}
	if err := removeDatabase(dir, keysqlite.FileName, ""); err != nil {
		return nil, err
	}
	return left, nil
}

// noKeyStoreToMigrate answers a migration to PostgreSQL with no keys.db in
// dataDir: a run that finished removed it. Journals a removal cut short left
// behind (the file itself was removed only after every key was checked) are
// removed now; otherwise there is nothing to do, which is an error.
func noKeyStoreToMigrate(dataDir string, stdout io.Writer) error {
	path := filepath.Join(dataDir, keysqlite.FileName)
	if left := keyStoreFiles(dataDir); len(left) > 0 {
		removed, err := removeKeyStore(dataDir)
		if err != nil {
			return fmt.Errorf("removing what is left of %s: %w", path, err)
		}
		fmt.Fprintf(stdout, "removed %s, left from %s, which an earlier run removed once every key was in PostgreSQL\n",
			strings.Join(removed, ", "), path)
		return nil
	}
	return fmt.Errorf("no key store at %s to copy, nothing was changed: a migration that finished removes it once "+
		"every key is in PostgreSQL; if so, run the server with keystore: postgres (LEDGER_KEYSTORE)", path)
}
