package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/internal/sqlitedamage"
	"github.com/referral-ledger/ledger/keystore"
	keysqlite "github.com/referral-ledger/ledger/keystore/sqlite"
)

// TestRotationRefusedBeforeItStarts_OPS4: rotate-master-key with a master
// key that opens none of the key store's keys (the wrong key file
// configured), or on a key store too damaged to open, used to write the
// new key and its journal first and fail only then. The data directory was
// left "in a rotation" that could never finish: the server, backup and
// restore (the one way to mend a damaged key store) all refused, telling
// the operator to rerun the rotation, which failed again. Now the key store
// is opened under the current key before anything is written: the rotation
// is refused naming the cause, no journal or new key is left, and the
// rotation runs once the cause is mended (R-OPS-4: failures reported naming
// the cause).
func TestRotationRefusedBeforeItStarts_OPS4(t *testing.T) {
	leftNothing := func(t *testing.T, dir string) {
		t.Helper()
		for _, name := range []string{rotationJournalFile, keystore.MasterKeyFileName + ".new"} {
			if _, err := os.Stat(filepath.Join(dir, name)); !os.IsNotExist(err) {
				t.Errorf("the refused rotation left %s (%v): the server, backup and restore now refuse the data directory", name, err)
			}
		}
	}
	t.Run("the wrong master key configured", func(t *testing.T) {
		dir, keysDir := t.TempDir(), t.TempDir()
		keys, erased, kek := keyedDir(t, dir)
		wrong := filepath.Join(keysDir, "wrong.key")
		if err := keystore.WriteMasterKeyFile(wrong, keystore.GenerateMasterKey()); err != nil {
			t.Fatal(err)
		}
		t.Setenv("LEDGER_DATA_DIR", dir)
		t.Setenv("LEDGER_MASTER_KEY_FILE", wrong)
		err := run(context.Background(), []string{"rotate-master-key"}, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), kek.ID) || !strings.Contains(err.Error(), "nothing was changed") {
			t.Fatalf("rotate-master-key under a key that opens none of the keys: %v; want a refusal naming the key they are under, changing nothing", err)
		}
		leftNothing(t, dir)
		t.Setenv("LEDGER_MASTER_KEY_FILE", "")
		var out strings.Builder
		if err := run(context.Background(), []string{"rotate-master-key"}, &out, io.Discard); err != nil || !strings.Contains(out.String(), "finished") {
			t.Fatalf("rotate-master-key under the right key: %v\n%s", err, out.String())
		}
		next, err := keystore.LoadMasterKeyFile(filepath.Join(dir, keystore.MasterKeyFileName))
		if err != nil {
			t.Fatal(err)
		}
		checkKeys(t, next, dir, keys, erased)
	})
	t.Run("a damaged key store", func(t *testing.T) {
		dir := t.TempDir()
		keyedDir(t, dir)
		path := filepath.Join(dir, keysqlite.FileName)
		sqlitedamage.Header(t, path)
		t.Setenv("LEDGER_DATA_DIR", dir)
		err := run(context.Background(), []string{"rotate-master-key"}, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "nothing was changed") {
			t.Fatalf("rotate-master-key on a damaged key store: %v; want a refusal naming the file, changing nothing", err)
		}
		leftNothing(t, dir)
	})
}
