package main

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/keystore"
	keysqlite "github.com/referral-ledger/ledger/keystore/sqlite"
)

// TestRotateCrashChild is the child process of TestRotationResumesAfterACrash:
// it rotates the master key and SIGKILLs itself at the step named by
// LEDGER_TEST_CRASH_AT. It skips itself otherwise.
func TestRotateCrashChild(t *testing.T) {
	at := os.Getenv("LEDGER_TEST_CRASH_AT")
	if at == "" {
		t.Skip("child process of TestRotationResumesAfterACrash")
	}
	cfg, err := loadConfig("")
	if err != nil {
		panic(err)
	}
	err = rotateMasterKey(context.Background(), cfg, "", io.Discard, func(s rotationStep) {
		if string(s) == at {
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // the signal is on its way
		}
	})
	if err != nil {
		os.Stderr.WriteString("rotate: " + err.Error() + "\n")
		os.Exit(1)
	}
	os.Exit(0)
}

// keyedDir makes a data directory whose key store holds keys for some
// clients and tombstones for others, under data_dir/master.key. It returns
// each kept client's key and the erased clients.
func keyedDir(t *testing.T, dir string) (keys map[uuid.UUID]keystore.DataKey, erased []uuid.UUID, kek keystore.MasterKey) {
	t.Helper()
	kek, _, err := keystore.LoadOrCreateMasterKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := keysqlite.Open(filepath.Join(dir, keysqlite.FileName), kek)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	keys = map[uuid.UUID]keystore.DataKey{}
	for i := 0; i < 20; i++ {
		id := uuid.New()
		k, err := s.Create(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if i%5 == 0 {
			if err := s.Destroy(context.Background(), id); err != nil {
				t.Fatal(err)
			}
			erased = append(erased, id)
			continue
		}
		keys[id] = k
	}
	return keys, erased, kek
}

// checkKeys opens the key store under the master key the configuration
// now names and checks every key opens, and every erased client stays
// erased.
func checkKeys(t *testing.T, kek keystore.MasterKey, dir string, keys map[uuid.UUID]keystore.DataKey, erased []uuid.UUID) {
	t.Helper()
	s, err := keysqlite.Open(filepath.Join(dir, keysqlite.FileName), kek)
	if err != nil {
		t.Fatalf("the key store does not open under master key %s: %v", kek.ID, err)
	}
	defer s.Close()
	for id, want := range keys {
		if got, err := s.Get(context.Background(), id); err != nil || got != want {
			t.Errorf("client %s: key does not open (%v)", id, err)
		}
	}
	for _, id := range erased {
		if _, err := s.Get(context.Background(), id); !errors.Is(err, keystore.ErrDestroyed) {
			t.Errorf("erased client %s: %v", id, err)
		}
	}
}

// TestRotationResumesAfterACrash kills rotate-master-key (SIGKILL, a real
// process) after each durable step, checks the server then refuses to
// start saying what to run, reruns the rotation and checks every key opens
// under the new master key and nothing of the rotation is left (issue 10
// point 9).
func TestRotationResumesAfterACrash(t *testing.T) {
	for _, step := range rotationSteps {
		t.Run(string(step), func(t *testing.T) {
			dir := t.TempDir()
			keys, erased, original := keyedDir(t, dir)
			// A second factor's secret, to be resealed (issue 17).
			sealMFA(t, dir, "user-mfa", "JBSWY3DPEHPK3PXP", original)
			t.Setenv("LEDGER_DATA_DIR", dir)
			t.Setenv("LEDGER_HTTP_ADDR", "127.0.0.1:0")

			cmd := exec.Command(os.Args[0], "-test.run=^TestRotateCrashChild$")
			cmd.Env = append(os.Environ(), "LEDGER_TEST_CRASH_AT="+string(step))
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("the child was not killed at %s: %v\n%s", step, err, out)
			}

			if j, _ := readRotationJournal(dir); j != nil {
				err := serveFails(t)
				if err == nil || !strings.Contains(err.Error(), "run `ledger rotate-master-key`") {
					t.Fatalf("serve mid-rotation: %v", err)
				}
			}

			var stdout strings.Builder
			if err := run(context.Background(), []string{"rotate-master-key"}, &stdout, io.Discard); err != nil {
				t.Fatalf("rerun after a crash at %s: %v\n%s", step, err, stdout.String())
			}
			now, err := keystore.LoadMasterKeyFile(filepath.Join(dir, keystore.MasterKeyFileName))
			if err != nil {
				t.Fatal(err)
			}
			if now.ID == original.ID {
				t.Fatalf("master.key still holds the original key")
			}
			checkKeys(t, now, dir, keys, erased)
			if s, err := openMFA(t, dir, "user-mfa", now); err != nil || s != "JBSWY3DPEHPK3PXP" {
				t.Errorf("the second factor's secret under the new key = %q, %v", s, err)
			}
			for _, left := range []string{keystore.MasterKeyFileName + ".new", rotationJournalFile} {
				if _, err := os.Stat(filepath.Join(dir, left)); !os.IsNotExist(err) {
					t.Errorf("%s left behind (%v)", left, err)
				}
			}
		})
	}
}

// TestRotationAdoptsAnOrphanNewKey: a master.key.new with no journal, under
// which the keys were already rewrapped (a crash of a version without the
// journal, between its commit and its rename), is taken as the new key,
// never replaced, and the rotation finishes (issue 10 point 9).
func TestRotationAdoptsAnOrphanNewKey(t *testing.T) {
	dir := t.TempDir()
	keys, erased, original := keyedDir(t, dir)
	next := keystore.GenerateMasterKey()
	if err := keystore.WriteMasterKeyFile(filepath.Join(dir, keystore.MasterKeyFileName+".new"), next); err != nil {
		t.Fatal(err)
	}
	s, err := keysqlite.Open(filepath.Join(dir, keysqlite.FileName), original)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Rewrap(context.Background(), next); err != nil {
		t.Fatal(err)
	}
	s.Close()
	t.Setenv("LEDGER_DATA_DIR", dir)
	if err := run(context.Background(), []string{"rotate-master-key"}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	checkKeys(t, next, dir, keys, erased)
}

// TestRotationToAKeyFile: with the master key in a file outside the data
// directory, the rotation rewraps under the new key file and waits, with
// the server refusing to start, until the configuration names the new
// file and the rotation is run again (issue 10 point 9).
func TestRotationToAKeyFile(t *testing.T) {
	dir, keysDir := t.TempDir(), t.TempDir()
	keys, erased, _ := keyedDir(t, dir)
	oldFile, newFile := filepath.Join(keysDir, "old.key"), filepath.Join(keysDir, "new.key")
	if err := os.Rename(filepath.Join(dir, keystore.MasterKeyFileName), oldFile); err != nil {
		t.Fatal(err)
	}
	next := keystore.GenerateMasterKey()
	if err := keystore.WriteMasterKeyFile(newFile, next); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LEDGER_DATA_DIR", dir)
	t.Setenv("LEDGER_HTTP_ADDR", "127.0.0.1:0")
	t.Setenv("LEDGER_MASTER_KEY_FILE", oldFile)
	var out strings.Builder
	if err := run(context.Background(), []string{"rotate-master-key", "--new-key-file", newFile}, &out, io.Discard); err != nil ||
		!strings.Contains(out.String(), "point master_key_file (or LEDGER_MASTER_KEY) at it, then run rotate-master-key again") {
		t.Fatalf("rotate: %v\n%s", err, out.String())
	}
	err := serveFails(t)
	if err == nil || !strings.Contains(err.Error(), "wrapped under the key in "+newFile+"; set master_key_file to that file") {
		t.Fatalf("serve before the configuration names the new key: %v", err)
	}
	t.Setenv("LEDGER_MASTER_KEY_FILE", newFile)
	out.Reset()
	if err := run(context.Background(), []string{"rotate-master-key"}, &out, io.Discard); err != nil || !strings.Contains(out.String(), "finished") {
		t.Fatalf("finishing: %v\n%s", err, out.String())
	}
	checkKeys(t, next, dir, keys, erased)
	if _, err := os.Stat(filepath.Join(dir, rotationJournalFile)); !os.IsNotExist(err) {
		t.Fatalf("journal left: %v", err)
	}
}

// TestRotationToAKeyFileAfterACrash: killed before it rewrapped, a rotation
// from a key file tells an operator who switched the configuration too
// early to switch it back, then finishes in the documented order (issue 10
// point 9).
func TestRotationToAKeyFileAfterACrash(t *testing.T) {
	dir, keysDir := t.TempDir(), t.TempDir()
	keys, erased, _ := keyedDir(t, dir)
	oldFile := filepath.Join(keysDir, "old.key")
	if err := os.Rename(filepath.Join(dir, keystore.MasterKeyFileName), oldFile); err != nil {
		t.Fatal(err)
	}
	newFile := filepath.Join(dir, keystore.MasterKeyFileName+".new")
	t.Setenv("LEDGER_DATA_DIR", dir)
	t.Setenv("LEDGER_MASTER_KEY_FILE", oldFile)
	cmd := exec.Command(os.Args[0], "-test.run=^TestRotateCrashChild$")
	cmd.Env = append(os.Environ(), "LEDGER_TEST_CRASH_AT="+string(stepJournalWritten))
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Fatalf("the child was not killed:\n%s", out)
	}
	t.Setenv("LEDGER_MASTER_KEY_FILE", newFile) // too early
	err := run(context.Background(), []string{"rotate-master-key"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "has not rewrapped them yet: configure master key") {
		t.Fatalf("rerun under the new key before the rewrap: %v", err)
	}
	t.Setenv("LEDGER_MASTER_KEY_FILE", oldFile)
	var out strings.Builder
	if err := run(context.Background(), []string{"rotate-master-key"}, &out, io.Discard); err != nil ||
		!strings.Contains(out.String(), "point master_key_file") {
		t.Fatalf("rerun: %v\n%s", err, out.String())
	}
	t.Setenv("LEDGER_MASTER_KEY_FILE", newFile)
	if err := run(context.Background(), []string{"rotate-master-key"}, io.Discard, io.Discard); err != nil {
		t.Fatalf("finishing: %v", err)
	}
	next, err := keystore.LoadMasterKeyFile(newFile)
	if err != nil {
		t.Fatal(err)
	}
	checkKeys(t, next, dir, keys, erased)
}
