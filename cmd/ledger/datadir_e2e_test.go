package main

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/rs/zerolog"

	keysqlite "github.com/referral-ledger/ledger/keystore/sqlite"
)

// TestDataDirIsPrivate_PRIV4 runs a node under umask 022 on a data
// directory an earlier version left 0755 with a 0644 file in it, drives a
// referral's life through it, and lists the directory while the node runs
// (WAL and SHM files included) and after it stops: the directory is 0700
// and every file 0600, and the tightening was logged (R-PRIV-4).
func TestDataDirIsPrivate_PRIV4(t *testing.T) {
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "idempotency.db"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LEDGER_NOTIFY_ENABLED", "true")
	check := func(t *testing.T, want ...string) {
		t.Helper()
		var names []string
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			perm, wantPerm := info.Mode().Perm(), fs.FileMode(0o600)
			if d.IsDir() {
				wantPerm = 0o700
			}
			if perm != wantPerm {
				t.Errorf("%s is %v, want %v", path, perm, wantPerm)
			}
			names = append(names, d.Name())
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range want {
			if !slices.Contains(names, name) {
				t.Errorf("the data directory has no %s: %v", name, names)
			}
		}
	}
	t.Run("opening tightens and logs it", func(t *testing.T) {
		t.Setenv("LEDGER_DATA_DIR", dir)
		cfg, err := loadConfig("")
		if err != nil {
			t.Fatal(err)
		}
		var log bytes.Buffer
		a, err := openApp(cfg, zerolog.New(&log))
		if err != nil {
			t.Fatal(err)
		}
		if err := a.close(); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(log.String(), "made them private") || !strings.Contains(log.String(), `"files":[".","idempotency.db"]`) {
			t.Errorf("tightening the directory was not logged: %s", log.String())
		}
		check(t, "events.db", "keys.db", "master.key")
	})
	t.Run("while the node runs", func(t *testing.T) {
		lifecycle(t, startNode(t, dir))
		check(t, "events.db", "events.db-wal", "events.db-shm", "keys.db", "sessions.db", "sessions.db-wal",
			"idempotency.db", "notifications.db", "master.key")
	})
	t.Run("after it stops", func(t *testing.T) {
		check(t, "events.db", "keys.db", "sessions.db", "idempotency.db", "notifications.db")
	})
}

// TestMaintenanceNeedsALedger_OPS4: a maintenance command pointed at a data
// directory that holds no event log (the wrong directory, or one whose log
// was lost) says so and creates nothing, where it used to start a new,
// empty ledger there, master key included, and report success on it
// ("shredded 0 clients", views rebuilt) (R-OPS-4, R-PRIV-5).
func TestMaintenanceNeedsALedger_OPS4(t *testing.T) {
	for _, args := range [][]string{{"retention"}, {"rebuild-views"}, {"admin", "reset-password", "ann"},
		{"admin", "reset-mfa", "ann"}, {"migrate", "--to", "kurrentdb", "--kurrentdb-url", "esdb://127.0.0.1:1?tls=false"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			dir := t.TempDir()
			t.Setenv("LEDGER_DATA_DIR", dir)
			var out bytes.Buffer
			err := run(context.Background(), args, &out, &out)
			if err == nil || !strings.Contains(err.Error(), "no ledger at "+filepath.Join(dir, eventsFile)) {
				t.Fatalf("%v on a directory without a ledger: %v\n%s", args, err, out.String())
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				t.Errorf("%v on a directory without a ledger created %s", args, e.Name())
			}
		})
	}
}

// TestReadOnlyToolsOnANewerDataDirectoryNameTheCause_OPS4: a data
// directory a newer version of the ledger wrote (its event log's or its key
// store's schema newer than this program's) is refused by the read-only
// tools naming that cause, as serve names it, where they used to call the
// event log "not a ledger of a known schema", and tell the operator to have
// ledger serve upgrade a newer key store, which it refuses (R-OPS-4). They
// change nothing there (R-OPS-2).
func TestReadOnlyToolsOnANewerDataDirectoryNameTheCause_OPS4(t *testing.T) {
	dir := t.TempDir()
	var id string
	t.Run("a ledger", func(t *testing.T) { id = lifecycle(t, startNode(t, dir)) })
	t.Setenv("LEDGER_DATA_DIR", dir)
	setVersion := func(file string, version int) {
		t.Helper()
		db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec("PRAGMA user_version = " + strconv.Itoa(version)); err != nil {
			t.Fatal(err)
		}
	}
	versionOf := func(file string) int {
		t.Helper()
		db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, file)+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var v int
		if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	check := func(file string, tools ...[]string) {
		t.Helper()
		was := versionOf(file)
		setVersion(file, 99)
		defer setVersion(file, was)
		before := snapshot(t, dir)
		for _, args := range tools {
			err := run(context.Background(), args, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), "newer version of the ledger") || strings.Contains(err.Error(), "serve upgrades") {
				t.Errorf("ledger %s on a %s of a newer version: %v, want the cause named", strings.Join(args, " "), file, err)
			}
		}
		sameFiles(t, "a refused read-only tool", before, snapshot(t, dir))
	}
	check(eventsFile, []string{"history", id}, []string{"verify"}, []string{"retention", "--dry-run"})
	check(keysqlite.FileName, []string{"history", id})
}
