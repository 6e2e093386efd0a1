package main

import (
	"bytes"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/internal/pgtest"
	"github.com/referral-ledger/ledger/keystore"
	keysqlite "github.com/referral-ledger/ledger/keystore/sqlite"
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
