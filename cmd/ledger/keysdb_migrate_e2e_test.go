package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/referral-ledger/ledger/internal/pgtest"
	"github.com/referral-ledger/ledger/keystore"
	keypg "github.com/referral-ledger/ledger/keystore/postgres"
	keysqlite "github.com/referral-ledger/ledger/keystore/sqlite"
	"github.com/referral-ledger/ledger/projections"
)

// TestMigrateToPostgresRemovesKeysDB_PRIV4: `ledger migrate --to postgres`
// copies the keys, checks them in PostgreSQL and then removes keys.db and
// its journals from the data directory; run again it finds nothing to copy
// and makes no keys.db. A node on the PostgreSQL key store then reads the
// client, and once retention has shredded them no file in the data
// directory holds the client's key (R-PRIV-4).
func TestMigrateToPostgresRemovesKeysDB_PRIV4(t *testing.T) {
	dir := t.TempDir()
	var id string
	t.Run("a ledger on the embedded key store", func(t *testing.T) { id = lifecycle(t, startNode(t, dir)) })
	client, wrapped := onlyKey(t, filepath.Join(dir, keysqlite.FileName))
	t.Setenv("LEDGER_DATA_DIR", dir)
	pg := pgtest.URL(t)
	t.Setenv("LEDGER_POSTGRES_URL", pg)
	t.Setenv("LEDGER_MASTER_KEY_FILE", masterKeyOutside(t, dir))

	t.Run("migrate removes keys.db and its journals once the keys are checked", func(t *testing.T) {
		var out bytes.Buffer
		if err := run2(t, []string{"migrate", "--to", "postgres"}, &out); err != nil {
			t.Fatalf("migrate: %v\n%s", err, out.String())
		}
		if !strings.Contains(out.String(), "copied 1 client keys") || !strings.Contains(out.String(), "removed keys.db") {
			t.Fatalf("migrate should copy the key and say it removed keys.db:\n%s", out.String())
		}
		if left := keyStoreFiles(dir); len(left) > 0 {
			t.Fatalf("after migrate the data directory still holds %v", left)
		}
		if keys, _ := pgKeys(t, pg, client); keys != 1 {
			t.Fatalf("PostgreSQL holds %d keys, want 1", keys)
		}
	})
	for _, ks := range []string{"sqlite", "postgres"} {
		t.Run("run again with keystore "+ks+", it has nothing to copy and makes no keys.db", func(t *testing.T) {
			t.Setenv("LEDGER_KEYSTORE", ks)
			var out bytes.Buffer
			err := run2(t, []string{"migrate", "--to", "postgres"}, &out)
			if err == nil || !strings.Contains(err.Error(), "no key store at "+filepath.Join(dir, keysqlite.FileName)) ||
				!strings.Contains(err.Error(), "keystore: postgres") {
				t.Fatalf("migrate again: %v\n%s; want a refusal saying keys.db is gone and naming keystore: postgres", err, out.String())
			}
			if left := keyStoreFiles(dir); len(left) > 0 {
				t.Fatalf("migrate again made %v", left)
			}
		})
	}
	t.Setenv("LEDGER_KEYSTORE", "postgres")
	t.Run("a node on the PostgreSQL key store reads the client", func(t *testing.T) {
		n := startNode(t, dir)
		r := n.must(t, 200, "GET", "/v1/referrals/"+id, n.signIn(t, "admin", adminPassword), nil)
		if r["client"].(map[string]any)["name"] != "Client Person" {
			t.Fatalf("after migration: %v", r)
		}
	})
	t.Setenv("LEDGER_PRIVACY_RETENTION", "1ms")
	t.Run("once retention has shredded the client no file holds their key", func(t *testing.T) {
		var out bytes.Buffer
		if err := run2(t, []string{"retention"}, &out); err != nil {
			t.Fatalf("retention: %v\n%s", err, out.String())
		}
		if keys, tombstones := pgKeys(t, pg, client); keys != 0 || tombstones != 1 {
			t.Fatalf("PostgreSQL holds %d keys and %d tombstones for the shredded client; want 0 and 1", keys, tombstones)
		}
		noFileHolds(t, dir, wrapped)
	})
}

// TestLeftoverKeysDBIsRefused_PRIV4: with keystore: postgres, a keys.db (or
// only a journal of it) in the data directory, left by a migration
// interrupted before it removed it or put back by hand, stops the server
// and every writing tool, naming the file and the way out, and nothing
// deletes it silently; `ledger migrate --to postgres` run again finishes
// the job and the server starts. A migration whose copy does not check out
// (PostgreSQL holding another key for the client) removes nothing.
func TestLeftoverKeysDBIsRefused_PRIV4(t *testing.T) {
	dir := t.TempDir()
	var id string
	t.Run("a ledger on the embedded key store", func(t *testing.T) { id = lifecycle(t, startNode(t, dir)) })
	keysDB := filepath.Join(dir, keysqlite.FileName)
	saved := filepath.Join(t.TempDir(), keysqlite.FileName)
	copyDataFile(t, keysDB, saved)
	client, _ := onlyKey(t, keysDB)
	t.Setenv("LEDGER_DATA_DIR", dir)
	keyFile := masterKeyOutside(t, dir)
	t.Setenv("LEDGER_MASTER_KEY_FILE", keyFile)

	t.Run("a copy that does not check out removes nothing", func(t *testing.T) {
		other := pgtest.URL(t)
		anotherKeyFor(t, other, keyFile, client)
		t.Setenv("LEDGER_POSTGRES_URL", other)
		var out bytes.Buffer
		err := run2(t, []string{"migrate", "--to", "postgres"}, &out)
		if err == nil || !strings.Contains(err.Error(), "another key") || !strings.Contains(err.Error(), "keys.db was left in place") {
			t.Fatalf("migrate onto another key: %v\n%s; want a failure saying keys.db was left", err, out.String())
		}
		if _, err := os.Stat(keysDB); err != nil || strings.Contains(out.String(), "removed") {
			t.Fatalf("a failed migration removed keys.db: %v\n%s", err, out.String())
		}
	})

	pg := pgtest.URL(t)
	t.Setenv("LEDGER_POSTGRES_URL", pg)
	t.Run("migrate", func(t *testing.T) {
		var out bytes.Buffer
		if err := run2(t, []string{"migrate", "--to", "postgres"}, &out); err != nil || keyStoreFiles(dir) != nil {
			t.Fatalf("migrate: %v, %v left\n%s", err, keyStoreFiles(dir), out.String())
		}
	})
	t.Setenv("LEDGER_KEYSTORE", "postgres")
	t.Setenv("LEDGER_HTTP_ADDR", "127.0.0.1:0")
	t.Setenv("LEDGER_BOOTSTRAP_PASSWORD", adminPassword)

	// refusedWith checks every writer refuses the data directory, naming
	// the files left and the way out, and changes nothing in it.
	refusedWith := func(t *testing.T, left ...string) {
		t.Helper()
		events, err := os.ReadFile(filepath.Join(dir, eventsFile))
		if err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{
			{"serve"},
			{"retention"},
			{"rebuild-views"},
			{"admin", "reset-password", "ann"},
			{"rotate-master-key"},
			{"migrate", "--to", "kurrentdb", "--kurrentdb-url", "esdb://127.0.0.1:1?tls=false"},
			{"restore", "--from", filepath.Join(t.TempDir(), "backup"), "--no-keys"},
		} {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			var out bytes.Buffer
			err := run(ctx, args, &out, io.Discard)
			cancel()
			what := strings.Join(args[:1], " ")
			if err == nil {
				t.Errorf("ledger %s ran beside %v:\n%s", what, left, out.String())
				continue
			}
			for _, name := range left {
				if !strings.Contains(err.Error(), filepath.Join(dir, name)) {
					t.Errorf("ledger %s: %v; want the refusal to name %s", what, err, filepath.Join(dir, name))
				}
			}
			if !strings.Contains(err.Error(), "keystore: postgres") || !strings.Contains(err.Error(), "ledger migrate --to postgres") {
				t.Errorf("ledger %s: %v; want the refusal to say why and what to run", what, err)
			}
		}
		for _, name := range left {
			if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
				t.Errorf("a refused writer removed %s: %v", name, err)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, projections.ViewsFile)); err != nil {
			t.Errorf("a refused writer removed the views: %v", err)
		}
		if after, err := os.ReadFile(filepath.Join(dir, eventsFile)); err != nil || !bytes.Equal(events, after) {
			t.Errorf("a refused writer changed events.db (%v)", err)
		}
	}

	t.Run("a keys.db left behind stops every writer", func(t *testing.T) {
		copyDataFile(t, saved, keysDB)
		refusedWith(t, keysqlite.FileName)
	})
	t.Run("migrate run again finishes the job", func(t *testing.T) {
		var out bytes.Buffer
		if err := run2(t, []string{"migrate", "--to", "postgres"}, &out); err != nil {
			t.Fatalf("migrate again: %v\n%s", err, out.String())
		}
		if !strings.Contains(out.String(), "removed keys.db") || keyStoreFiles(dir) != nil {
			t.Fatalf("migrate again left %v:\n%s", keyStoreFiles(dir), out.String())
		}
	})
	t.Run("a journal of keys.db left alone stops every writer too", func(t *testing.T) {
		wal := keysqlite.FileName + "-wal"
		copyDataFile(t, saved, filepath.Join(dir, wal))
		refusedWith(t, wal)
		var out bytes.Buffer
		if err := run2(t, []string{"migrate", "--to", "postgres"}, &out); err != nil {
			t.Fatalf("migrate: %v\n%s", err, out.String())
		}
		if !strings.Contains(out.String(), "removed "+wal) || keyStoreFiles(dir) != nil {
			t.Fatalf("migrate left %v:\n%s", keyStoreFiles(dir), out.String())
		}
	})
	t.Run("then the server starts on the PostgreSQL key store", func(t *testing.T) {
		n := startNode(t, dir)
		r := n.must(t, 200, "GET", "/v1/referrals/"+id, n.signIn(t, "admin", adminPassword), nil)
		if r["client"].(map[string]any)["name"] != "Client Person" {
			t.Fatalf("after migration: %v", r)
		}
	})
}

// TestBackupAndRestoreOnPostgresKeysCarryNoKeysDB_PRIV4: on a node keeping
// its keys in PostgreSQL, a backup leaves a stale keys.db out (and says
// so), and restoring a backup taken before the migration, which holds a
// keys folder, puts no keys.db back into the data directory; --keys-from
// is refused.
func TestBackupAndRestoreOnPostgresKeysCarryNoKeysDB_PRIV4(t *testing.T) {
	dir := t.TempDir()
	var id string
	t.Run("a ledger on the embedded key store", func(t *testing.T) { id = lifecycle(t, startNode(t, dir)) })
	keysDB := filepath.Join(dir, keysqlite.FileName)
	saved := filepath.Join(t.TempDir(), keysqlite.FileName)
	copyDataFile(t, keysDB, saved)
	_, wrapped := onlyKey(t, keysDB)
	t.Setenv("LEDGER_DATA_DIR", dir)
	t.Setenv("LEDGER_MASTER_KEY_FILE", masterKeyOutside(t, dir))
	older := filepath.Join(t.TempDir(), "before-migration")
	if err := run2(t, []string{"backup", "--to", older}, &bytes.Buffer{}); err != nil {
		t.Fatalf("backup: %v", err)
	}
	if _, err := os.Stat(filepath.Join(older, keysDir, keysqlite.FileName)); err != nil {
		t.Fatalf("the backup before the migration holds no key store: %v", err)
	}
	t.Setenv("LEDGER_POSTGRES_URL", pgtest.URL(t))
	if err := run2(t, []string{"migrate", "--to", "postgres"}, &bytes.Buffer{}); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	t.Setenv("LEDGER_KEYSTORE", "postgres")

	t.Run("a backup leaves a stale keys.db out and names it", func(t *testing.T) {
		copyDataFile(t, saved, keysDB)
		defer os.Remove(keysDB)
		to := filepath.Join(t.TempDir(), "backup")
		var out bytes.Buffer
		if err := run2(t, []string{"backup", "--to", to}, &out); err != nil {
			t.Fatalf("backup: %v\n%s", err, out.String())
		}
		if !strings.Contains(out.String(), "warning: keys.db") || !strings.Contains(out.String(), "ledger migrate --to postgres") {
			t.Errorf("backup should warn of the stale keys.db:\n%s", out.String())
		}
		noFileHolds(t, to, wrapped)
	})
	t.Run("restore --keys-from is refused", func(t *testing.T) {
		var out bytes.Buffer
		err := run2(t, []string{"restore", "--from", older, "--keys-from", filepath.Join(older, keysDir)}, &out)
		if err == nil || !strings.Contains(err.Error(), "keystore: postgres") || keyStoreFiles(dir) != nil {
			t.Fatalf("restore --keys-from: %v, %v in the data directory\n%s", err, keyStoreFiles(dir), out.String())
		}
	})
	t.Run("restoring a backup with a keys folder puts no keys.db back", func(t *testing.T) {
		var out bytes.Buffer
		if err := run2(t, []string{"restore", "--from", older}, &out); err != nil {
			t.Fatalf("restore: %v\n%s", err, out.String())
		}
		if !strings.Contains(out.String(), "is not restored: client keys are kept in PostgreSQL") {
			t.Errorf("restore should say the keys folder is not restored:\n%s", out.String())
		}
		if left := keyStoreFiles(dir); left != nil {
			t.Fatalf("restore put %v into the data directory", left)
		}
		noFileHolds(t, dir, wrapped)
	})
	t.Run("the server starts on the restored log and the PostgreSQL keys", func(t *testing.T) {
		n := startNode(t, dir)
		r := n.must(t, 200, "GET", "/v1/referrals/"+id, n.signIn(t, "admin", adminPassword), nil)
		if r["client"].(map[string]any)["name"] != "Client Person" {
			t.Fatalf("after the restore: %v", r)
		}
	})
}

// onlyKey returns the client id and wrapped key of the one key in the key
// store at path.
func onlyKey(t *testing.T, path string) (string, []byte) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var client string
	var wrapped []byte
	var n int
	if err := db.QueryRow(`SELECT client_id, wrapped, (SELECT count(*) FROM keys) FROM keys`).Scan(&client, &wrapped, &n); err != nil || n != 1 {
		t.Fatalf("%s holds %d keys (%v), want 1", path, n, err)
	}
	return client, wrapped
}

// masterKeyOutside copies the data directory's master key to a file
// outside it, for the configuration to name: nodes sharing PostgreSQL keys
// need it there.
func masterKeyOutside(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), keystore.MasterKeyFileName)
	copyDataFile(t, filepath.Join(dir, keystore.MasterKeyFileName), path)
	return path
}

// anotherKeyFor stores in the PostgreSQL key store at url a key for client
// other than the one keys.db holds, wrapped under the master key in
// keyFile.
func anotherKeyFor(t *testing.T, url, keyFile, client string) {
	t.Helper()
	kek, err := keystore.LoadMasterKeyFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ks, err := keypg.Open(ctx, url, kek) // creates the tables
	if err != nil {
		t.Fatal(err)
	}
	ks.Close()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	id := uuid.MustParse(client)
	var other keystore.DataKey
	other[0] = 7
	if _, err := conn.Exec(ctx, `INSERT INTO ledger_keys (client_id, kek_id, wrapped) VALUES ($1, $2, $3)`,
		id, kek.ID, keystore.Wrap(kek, id, other)); err != nil {
		t.Fatal(err)
	}
}

// noFileHolds checks no file under dir holds secret.
func noFileHolds(t *testing.T, dir string, secret []byte) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if bytes.Contains(data, secret) {
			t.Errorf("%s holds the client's wrapped key", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
