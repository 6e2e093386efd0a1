package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/internal/sqlitedamage"
	"github.com/referral-ledger/ledger/keystore"
	keysqlite "github.com/referral-ledger/ledger/keystore/sqlite"
)

// referTo makes a referral for a new client as ann, to organisation to; it
// returns the referral's id.
func referTo(t *testing.T, n *node, ann, to, name string) string {
	t.Helper()
	return n.must(t, 201, "POST", "/v1/referrals", ann, map[string]any{"to_organisation_id": to, "urgent": false,
		"client": map[string]string{"name": name}, "reason": "debt advice",
		"consent": map[string]any{"method": "written", "confirmed": true}, "privacy_notice_given": true})["id"].(string)
}

// dataDirCopy copies the files of dir (not sub-directories) into a new
// temporary directory.
func dataDirCopy(t *testing.T, dir string) string {
	t.Helper()
	out := t.TempDir()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			copyDataFile(t, filepath.Join(dir, e.Name()), filepath.Join(out, e.Name()))
		}
	}
	return out
}

func copyDataFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestStartupIntegrity_OPS4 damages real data directories as an operator
// might and starts real server processes on them (R-OPS-4): a deleted
// keys.db, or one restored from before the event log's last referral, makes
// serve refuse, naming how many clients lack a key and what to restore
// (a deleted one is not left behind empty, and every tool that writes
// refuses it too, changing nothing: R-PRIV-4);
// --allow-missing-keys serves the rest, answers 503 for the client without
// a key and says "degraded" on /readyz. A flipped byte in events.db or a
// truncated events.db stops the start naming the position and `ledger
// verify`, which reports BROKEN with exit 2.
func TestStartupIntegrity_OPS4(t *testing.T) {
	dir := t.TempDir()
	oldKeys := filepath.Join(t.TempDir(), keysqlite.FileName)
	var first, second string
	t.Run("a ledger with one client", func(t *testing.T) { first = lifecycle(t, startNode(t, dir)) })
	// A key-store backup holding the first client's key only.
	copyDataFile(t, filepath.Join(dir, keysqlite.FileName), oldKeys)
	t.Run("and a second", func(t *testing.T) {
		n := startNode(t, dir)
		to := n.must(t, 201, "POST", "/v1/organisations", n.signIn(t, "admin", adminPassword),
			map[string]any{"name": "Debt Line", "admin_email": "d@debt.example", "services": []any{}})["id"].(string)
		second = referTo(t, n, n.signIn(t, "ann", "Kestrel#Wing42"), to, "Second Client")
	})

	refused := func(t *testing.T, d string, want ...string) {
		t.Helper()
		code, stderr := runChild(t, d, "serve")
		if code == 0 {
			t.Fatalf("serve started: %s", stderr)
		}
		for _, w := range want {
			if !strings.Contains(stderr, w) {
				t.Errorf("serve's refusal does not say %q:\n%s", w, stderr)
			}
		}
	}
	t.Run("keys.db deleted", func(t *testing.T) {
		d := dataDirCopy(t, dir)
		if err := os.Remove(filepath.Join(d, keysqlite.FileName)); err != nil {
			t.Fatal(err)
		}
		refused(t, d, "2 of the 2 clients with data in the ledger have no usable key in keys.db", "Restore keys.db from a backup")
		// The empty key store the refused start opened is not left to
		// pass for the real one with the other tools.
		for _, name := range []string{keysqlite.FileName, keysqlite.FileName + "-wal", keysqlite.FileName + "-shm"} {
			if _, err := os.Stat(filepath.Join(d, name)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("after the refused start, %s: %v; want none", name, err)
			}
		}
		// Each writing tool refuses too, changing nothing: it would make
		// a new, empty key store, and report success on a ledger whose
		// clients' keys are lost (R-PRIV-4).
		events := filepath.Join(d, eventsFile)
		before, err := os.ReadFile(events)
		if err != nil {
			t.Fatal(err)
		}
		for _, tool := range [][]string{{"retention"}, {"rebuild-views"}, {"admin", "reset-password", "ann"}, {"migrate", "--to", "postgres"}} {
			code, stderr := runChild(t, d, tool...)
			if code == 0 || !strings.Contains(stderr, "no key store at") || !strings.Contains(stderr, "nothing was changed") {
				t.Errorf("ledger %s without keys.db: exit %d, %s; want a refusal naming the missing key store", strings.Join(tool, " "), code, stderr)
			}
			if _, err := os.Stat(filepath.Join(d, keysqlite.FileName)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("ledger %s without keys.db made one: %v", strings.Join(tool, " "), err)
			}
		}
		if after, err := os.ReadFile(events); err != nil || !bytes.Equal(before, after) {
			t.Errorf("the refused tools changed events.db (%v)", err)
		}
	})
	t.Run("keys.db older than events.db", func(t *testing.T) {
		d := dataDirCopy(t, dir)
		copyDataFile(t, oldKeys, filepath.Join(d, keysqlite.FileName))
		refused(t, d, "1 of the 2 clients with data in the ledger have no usable key in keys.db (1 missing",
			"--allow-missing-keys")
	})
	t.Run("--allow-missing-keys serves the rest, degraded", func(t *testing.T) {
		d := dataDirCopy(t, dir)
		copyDataFile(t, oldKeys, filepath.Join(d, keysqlite.FileName))
		n, _ := serveChild(t, d, "--allow-missing-keys")
		status, ready := n.call(t, "GET", "/readyz", "", nil)
		if status != 200 || ready["status"] != "degraded" || !strings.Contains(ready["degraded"].([]any)[0].(string), "missing_client_keys") {
			t.Errorf("/readyz = %d %v; want 200 degraded, naming the missing keys", status, ready)
		}
		admin := n.signIn(t, "admin", adminPassword)
		if got := n.must(t, 200, "GET", "/v1/referrals/"+first, admin, nil)["client"].(map[string]any)["name"]; got != "Client Person" {
			t.Errorf("the first client reads %v", got)
		}
		if status, body := n.call(t, "GET", "/v1/referrals/"+second, admin, nil); status != 503 || !strings.Contains(body["detail"].(string), "key is missing") {
			t.Errorf("the client without a key: %d %v; want 503 saying the key is missing", status, body)
		}
		// Nothing new is sealed under a fresh key for that client.
		ann := n.signIn(t, "ann", "Kestrel#Wing42")
		if status, _ := n.call(t, "POST", "/v1/referrals/"+second+"/notes", ann, map[string]any{"text": "a note"}); status != 503 {
			t.Errorf("a note for the client without a key: %d, want 503", status)
		}
	})
	t.Run("a flipped byte in events.db", func(t *testing.T) {
		d := dataDirCopy(t, dir)
		path := filepath.Join(d, eventsFile)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		i := bytes.Index(b, []byte(`"positive"`))
		if i < 0 {
			t.Fatal("the closure is not in events.db")
		}
		b[i+2] ^= 0x20 // "pOsitive"
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		code, stderr := runChild(t, d, "verify")
		at := regexp.MustCompile(`\(position (\d+),`).FindStringSubmatch(stderr)
		if code != 2 || at == nil {
			t.Fatalf("verify: exit %d, %s; want exit 2 naming the position", code, stderr)
		}
		refused(t, d, "(position "+at[1]+",", "hash does not match", "Run `ledger verify`")
	})
	t.Run("a damaged index in events.db", func(t *testing.T) {
		// The events read and chain; the index that keeps an event id
		// from being stored twice does not match them.
		d := dataDirCopy(t, dir)
		sqlitedamage.ZeroEventIDIndex(t, filepath.Join(d, eventsFile))
		var out bytes.Buffer
		t.Setenv("LEDGER_DATA_DIR", d)
		err := run(context.Background(), []string{"verify"}, &out, io.Discard)
		if exitCode(err) != 2 || !strings.HasPrefix(out.String(), "BROKEN") || !strings.Contains(out.String(), "fails SQLite's integrity check") {
			t.Fatalf("verify: exit %d (%v), %q; want BROKEN saying the file fails SQLite's integrity check, exit 2", exitCode(err), err, out.String())
		}
	})
	t.Run("a truncated events.db", func(t *testing.T) {
		d := dataDirCopy(t, dir)
		path := filepath.Join(d, eventsFile)
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(path, info.Size()/2); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		t.Setenv("LEDGER_DATA_DIR", d)
		err = run(context.Background(), []string{"verify"}, &out, io.Discard)
		if exitCode(err) != 2 || !strings.HasPrefix(out.String(), "BROKEN") || !strings.Contains(out.String(), "the first bad position is") {
			t.Fatalf("verify: exit %d (%v), %q; want BROKEN naming the first bad position, exit 2", exitCode(err), err, out.String())
		}
		refused(t, d, "ledger verify")
	})
}

// TestServeRefusesALostEventLog_OPS4 (R-OPS-4): a data directory whose
// events.db is gone while the key store and views beside it remain (a
// deleted or misplaced log) is not taken for a first start: serve refuses,
// naming the missing log and what to restore, instead of starting a new,
// empty network with a new bootstrap account.
func TestServeRefusesALostEventLog_OPS4(t *testing.T) {
	dir := t.TempDir()
	t.Run("a ledger", func(t *testing.T) { lifecycle(t, startNode(t, dir)) })
	for _, emptied := range []bool{false, true} {
		name := map[bool]string{false: "events.db deleted", true: "events.db emptied"}[emptied]
		t.Run(name, func(t *testing.T) {
			d := dataDirCopy(t, dir)
			events := filepath.Join(d, eventsFile)
			files, _ := filepath.Glob(events + "*")
			for _, f := range files {
				if err := os.Remove(f); err != nil {
					t.Fatal(err)
				}
			}
			if emptied {
				if err := os.WriteFile(events, nil, 0o600); err != nil {
					t.Fatal(err)
				}
				// ledger verify calls it what it is: a log cut to nothing.
				t.Setenv("LEDGER_DATA_DIR", d)
				var out bytes.Buffer
				err := run(context.Background(), []string{"verify"}, &out, io.Discard)
				if exitCode(err) != 2 || !strings.HasPrefix(out.String(), "BROKEN") || !strings.Contains(out.String(), "empty") {
					t.Errorf("verify of an emptied events.db: exit %d (%v), %q; want BROKEN saying it is empty, exit 2", exitCode(err), err, out.String())
				}
			}
			t.Setenv("LEDGER_DATA_DIR", d)
			err := serveFails(t)
			if err == nil || !strings.Contains(err.Error(), "no event log at "+events) || !strings.Contains(err.Error(), "ledger restore") {
				t.Fatalf("serve on a data directory without its event log: %v", err)
			}
			if info, err := os.Stat(events); err == nil && info.Size() > 0 {
				t.Error("the refused start wrote events.db")
			}
		})
	}
}

// TestHistoryOfATamperedCase_LEDGER4 (R-LEDGER-4, R-LEDGER-5): `ledger
// history` of a case whose sealed client data was changed on disk names
// the broken link, still prints every event in order (the changed one as
// unreadable), and exits 2 like verify, not 1 on the first event it
// cannot decrypt.
func TestHistoryOfATamperedCase_LEDGER4(t *testing.T) {
	dir := t.TempDir()
	var id string
	t.Run("a ledger", func(t *testing.T) { id = lifecycle(t, startNode(t, dir)) })
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, eventsFile))
	if err != nil {
		t.Fatal(err)
	}
	var pos int64
	var data []byte
	if err := db.QueryRow(`SELECT position, data FROM events WHERE stream = ? AND revision = 0`, "referral-"+id).Scan(&pos, &data); err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(data, []byte(`"box":"`))
	if i < 0 {
		t.Fatalf("no sealed box in the referral's first event: %s", data)
	}
	i += len(`"box":"`) + 4
	if data[i] == 'A' {
		data[i] = 'B'
	} else {
		data[i] = 'A'
	}
	for _, q := range []string{"DROP TRIGGER events_no_update", "UPDATE events SET data = ? WHERE position = ?"} {
		args := []any{}
		if strings.HasPrefix(q, "UPDATE") {
			args = []any{data, pos}
		}
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	t.Setenv("LEDGER_DATA_DIR", dir)
	var out bytes.Buffer
	err = run(context.Background(), []string{"history", id}, &out, io.Discard)
	if exitCode(err) != 2 {
		t.Fatalf("history of a tampered case: exit %d (%v), want 2\n%s", exitCode(err), err, out.String())
	}
	if !strings.Contains(out.String(), "!! chain broken") {
		t.Errorf("history does not name the broken link:\n%s", out.String())
	}
	for _, typ := range []string{"referral.made", "referral.acknowledged", "referral.note_added", "referral.closed"} {
		if !strings.Contains(out.String(), "\t"+typ+"\t") {
			t.Errorf("history of a tampered case leaves out %s:\n%s", typ, out.String())
		}
	}
}

// serveFails runs `ledger serve` in-process on the configured data
// directory and returns its error; a start that gets as far as listening
// fails the test.
func serveFails(t *testing.T) error {
	t.Helper()
	t.Setenv("LEDGER_HTTP_ADDR", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, pw, io.Discard)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	for lines.Scan() {
		if strings.HasPrefix(lines.Text(), "referral ledger listening on ") {
			cancel()
			go func() { _, _ = io.Copy(io.Discard, pr) }()
			<-done
			t.Fatal("serve started")
		}
	}
	return <-done
}

// TestServeWithoutItsMasterKey_OPS4 (R-OPS-4): with the master key kept in
// the data directory, a start that finds keys.db but no master.key says the
// master key is missing and leaves no new one behind, where it used to
// generate a fresh key (which opens none of the client keys) and leave it
// in master.key for the next start to trip over.
func TestServeWithoutItsMasterKey_OPS4(t *testing.T) {
	dir := t.TempDir()
	t.Run("a ledger", func(t *testing.T) { lifecycle(t, startNode(t, dir)) })
	key := filepath.Join(dir, keystore.MasterKeyFileName)
	if err := os.Remove(key); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LEDGER_DATA_DIR", dir)
	err := serveFails(t)
	if err == nil || !strings.Contains(err.Error(), "no master key") || !strings.Contains(err.Error(), key) {
		t.Fatalf("serve without its master key: %v", err)
	}
	if _, err := os.Stat(key); err == nil {
		t.Error("the refused start left a new master key in the data directory")
	}
}
