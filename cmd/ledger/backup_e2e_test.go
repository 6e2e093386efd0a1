package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/referral-ledger/ledger/keystore"
	keysqlite "github.com/referral-ledger/ledger/keystore/sqlite"
)

// twoOrganisations registers two organisations and an adviser, ann, in the first;
// it returns ann's token and the second organisation's id.
func twoOrganisations(t *testing.T, n *node) (ann, to string) {
	t.Helper()
	admin := n.signIn(t, "admin", adminPassword)
	a := n.must(t, 201, "POST", "/v1/organisations", admin, map[string]any{"name": "Advice Centre", "admin_email": "a@advice.example", "services": []any{}})["id"].(string)
	to = n.must(t, 201, "POST", "/v1/organisations", admin, map[string]any{"name": "Housing Trust", "admin_email": "b@housing.example", "services": []any{}})["id"].(string)
	n.must(t, 201, "POST", "/v1/organisations/"+a+"/users", admin, map[string]any{"username": "ann", "display_name": "Ann",
		"email": "ann@advice.example", "roles": []string{"adviser"}, "password": "Initial#Kestrel42"})
	return n.firstSignIn(t, "ann", "Initial#Kestrel42", "Kestrel#Wing42"), to
}

// acked is a referral the server answered 201 for.
type acked struct{ id, name string }

// TestBackupUnderWriteLoad_OPS3 backs up the data directory of a running
// server process while clients keep making referrals, restores the backup
// into a new directory, and checks every referral acknowledged before the
// backup began is there and reads back, which needs every client's key
// (R-OPS-3); the load never sees an error from the backup running beside
// it, and the restored directory starts (its start-up check finds every
// key) and verifies.
func TestBackupUnderWriteLoad_OPS3(t *testing.T) {
	dir := t.TempDir()
	n, _ := serveChild(t, dir)
	ann, to := twoOrganisations(t, n)

	var mu sync.Mutex
	var made []acked
	var failures []string
	progress := make(chan struct{}, 100000)
	stop := make(chan struct{})
	var load sync.WaitGroup
	for w := range 4 {
		load.Add(1)
		go func() {
			defer load.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				name := fmt.Sprintf("Load Client %d-%d", w, i)
				b, _ := json.Marshal(map[string]any{"to_organisation_id": to, "urgent": false,
					"client": map[string]string{"name": name}, "reason": "rent arrears",
					"consent": map[string]any{"method": "written", "confirmed": true}, "privacy_notice_given": true})
				req, _ := http.NewRequest("POST", n.base+"/v1/referrals", bytes.NewReader(b))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+ann)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					mu.Lock()
					failures = append(failures, err.Error())
					mu.Unlock()
					return
				}
				var out map[string]any
				_ = json.NewDecoder(res.Body).Decode(&out)
				res.Body.Close()
				mu.Lock()
				if res.StatusCode == 201 {
					made = append(made, acked{id: out["id"].(string), name: name})
				} else {
					failures = append(failures, fmt.Sprintf("%d %v", res.StatusCode, out))
				}
				mu.Unlock()
				progress <- struct{}{}
			}
		}()
	}
	waitFor := func(k int) {
		for range k {
			<-progress
		}
	}
	waitFor(40)
	mu.Lock()
	before := append([]acked(nil), made...)
	mu.Unlock()
	backupDir := filepath.Join(t.TempDir(), "backup")
	code, stderr := runChild(t, dir, "backup", "--to", backupDir)
	waitFor(40) // the load goes on after the backup too
	close(stop)
	load.Wait()
	if code != 0 {
		t.Fatalf("backup beside a loaded server: exit %d: %s", code, stderr)
	}
	if len(failures) > 0 {
		t.Fatalf("%d referrals failed while the backup ran, e.g. %s", len(failures), failures[0])
	}
	for _, f := range []string{"events.db", "idempotency.db", "notifications.db", "sessions.db", manifestFile,
		filepath.Join(keysDir, keysqlite.FileName), filepath.Join(keysDir, "master.key"), filepath.Join(keysDir, manifestFile)} {
		if _, err := os.Stat(filepath.Join(backupDir, f)); err != nil {
			t.Errorf("the backup lacks %s: %v", f, err)
		}
	}

	restored := filepath.Join(t.TempDir(), "restored")
	if code, stderr := runChild(t, restored, "restore", "--from", backupDir); code != 0 {
		t.Fatalf("restore: exit %d: %s", code, stderr)
	}
	if code, stderr := runChild(t, restored, "verify"); code != 0 {
		t.Fatalf("verify of the restored ledger: exit %d: %s", code, stderr)
	}
	r := startNode(t, restored)
	admin := r.signIn(t, "admin", adminPassword)
	for _, a := range before {
		status, got := r.call(t, "GET", "/v1/referrals/"+a.id, admin, nil)
		if status != 200 || got["client"].(map[string]any)["name"] != a.name {
			t.Fatalf("acknowledged referral %s after restore: %d %v", a.id, status, got)
		}
	}
	t.Logf("%d referrals acknowledged before the backup, %d in all", len(before), len(made))
}

// TestRestoreKeepsErasedClientsErased_PRIV8 takes a backup before a
// client's erasure and one after, and restores them in mixed ages: the
// event log after with the key store before (which holds the client's
// key), then the whole backup from before over it. Each time the client
// stays erased in `ledger history` and on the server, and no file of the
// data directory holds the client's data or the revived key (R-PRIV-8,
// R-OPS-3, R-PRIV-4).
func TestRestoreKeepsErasedClientsErased_PRIV8(t *testing.T) {
	dir, backups := t.TempDir(), t.TempDir()
	before, after := filepath.Join(backups, "before"), filepath.Join(backups, "after")
	// The client's data is searched for whole: a short marker such as
	// "Qz8" is three bytes, which turn up by chance in the random bytes
	// of ids, hashes and ciphertext about once in a few hundred runs.
	secret, reason := "Erin Qz8restored", "Qz8reason fled a violent partner"
	var id, client string
	// known asks the known clients index (R-REF-14) for the client, as
	// their referring adviser.
	known := func(t *testing.T, n *node, ann string) []any {
		t.Helper()
		return n.must(t, 200, "POST", "/v1/clients/search", ann,
			map[string]any{"name": secret, "date_of_birth": "1979-03-04"})["clients"].([]any)
	}
	t.Run("a client, backed up, then erased", func(t *testing.T) {
		n := startNode(t, dir)
		ann, to := twoOrganisations(t, n)
		r := n.must(t, 201, "POST", "/v1/referrals", ann, map[string]any{"to_organisation_id": to, "urgent": false,
			"client": map[string]string{"name": secret, "date_of_birth": "1979-03-04"}, "reason": reason,
			"consent": map[string]any{"method": "written", "confirmed": true}, "privacy_notice_given": true})
		id, client = r["id"].(string), r["client_id"].(string)
		if found := known(t, n, ann); len(found) != 1 {
			t.Fatalf("the known clients search finds %d clients before the erasure, want 1", len(found))
		}
		var out bytes.Buffer
		if err := run(context.Background(), []string{"backup", "--to", before}, &out, io.Discard); err != nil {
			t.Fatalf("backup: %v\n%s", err, out.String())
		}
		admin := n.signIn(t, "admin", adminPassword)
		req := n.must(t, 201, "POST", "/v1/clients/"+client+"/erasure-requests", ann, map[string]any{"reason": "asked in person"})["id"].(string)
		n.must(t, 200, "POST", "/v1/erasure-requests/"+req+"/decision", admin, map[string]any{"carry_out": true})
		if err := run(context.Background(), []string{"backup", "--to", after}, &out, io.Discard); err != nil {
			t.Fatalf("backup: %v\n%s", err, out.String())
		}
	})
	revived := wrappedKeyIn(t, filepath.Join(before, keysDir, keysqlite.FileName), client)

	erased := func(t *testing.T, d string) {
		t.Helper()
		t.Setenv("LEDGER_DATA_DIR", d)
		var out bytes.Buffer
		if err := run(context.Background(), []string{"history", id}, &out, io.Discard); err != nil {
			t.Fatalf("history: %v\n%s", err, out.String())
		}
		if !strings.Contains(out.String(), `"erased":true`) || strings.Contains(out.String(), secret) || strings.Contains(out.String(), reason) {
			t.Fatalf("history shows the client's data:\n%s", out.String())
		}
		n := startNode(t, d)
		got := n.must(t, 200, "GET", "/v1/referrals/"+id, n.signIn(t, "admin", adminPassword), nil)
		if got["erased"] != true || got["client"].(map[string]any)["name"] != nil {
			t.Fatalf("the server shows the erased client: %v", got)
		}
		// Nor does the known clients index find them: its marks are not
		// brought back with a views.db (R-OPS-3).
		if found := known(t, n, n.signIn(t, "ann", "Kestrel#Wing42")); len(found) != 0 {
			t.Fatalf("the known clients search finds the erased client after the restore: %v", found)
		}
		err := filepath.WalkDir(d, func(path string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			// Which of the two, where, and the bytes around it: enough to
			// tell from a failure's log how the copy got there.
			for what, needle := range map[string][]byte{"name": []byte(secret), "reason": []byte(reason), "wrapped key": revived} {
				if i := bytes.Index(b, needle); i >= 0 {
					t.Errorf("%s holds the erased client's %s at byte %d of %d, page %d (4096-byte pages): %x",
						path, what, i, len(b), i/4096, b[max(0, i-48):min(len(b), i+len(needle)+48)])
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	restored := filepath.Join(t.TempDir(), "restored")
	t.Run("the log after the erasure, the key store from before", func(t *testing.T) {
		var out bytes.Buffer
		t.Setenv("LEDGER_DATA_DIR", restored)
		if err := run(context.Background(), []string{"restore", "--from", after, "--keys-from", filepath.Join(before, keysDir)}, &out, io.Discard); err != nil {
			t.Fatalf("restore: %v\n%s", err, out.String())
		}
		if !strings.Contains(out.String(), "erased clients stay erased: 1 keys") {
			t.Errorf("restore does not report the revived key it destroyed:\n%s", out.String())
		}
		erased(t, restored)
	})
	t.Run("then the whole backup from before the erasure over it", func(t *testing.T) {
		var out bytes.Buffer
		t.Setenv("LEDGER_DATA_DIR", restored)
		if err := run(context.Background(), []string{"restore", "--from", before}, &out, io.Discard); err != nil {
			t.Fatalf("restore: %v\n%s", err, out.String())
		}
		erased(t, restored)
	})
}

// TestRestoreAgainKeepsErasedClientsErased_OPS3 restores a backup taken
// before an erasure, then the same backup again, then, after a second
// erasure, an even older backup and the newer one once more. After the
// first restore the erasure is recorded only by the key store's tombstone,
// not by the restored event log; every later restore must carry it over.
// Each time every erased client stays erased in every reader (`ledger
// history`, the referral, the known clients search, subject access, the
// decrypted case bundle), no file of the data directory holds their data
// or a revived key, and a client not erased still reads (R-OPS-3,
// R-PRIV-8, R-PRIV-4).
func TestRestoreAgainKeepsErasedClientsErased_OPS3(t *testing.T) {
	auditKeys(t) // the case bundle is served by the signing node
	dir, backups := t.TempDir(), t.TempDir()
	older, newer := filepath.Join(backups, "older"), filepath.Join(backups, "newer")
	type client struct {
		name, dob, reason string
		referral, id      string
		revived           [][]byte // its wrapped key, as backups hold it
	}
	first := &client{name: "Ottoline Qz9firstclient", dob: "1968-07-09", reason: "Qz9first rent arrears and eviction"}
	second := &client{name: "Perpetua Qz9secondclient", dob: "1990-11-12", reason: "Qz9second debts after a bereavement"}
	backupTo := func(t *testing.T, to string) {
		t.Helper()
		var out bytes.Buffer
		if err := run(context.Background(), []string{"backup", "--to", to}, &out, io.Discard); err != nil {
			t.Fatalf("backup: %v\n%s", err, out.String())
		}
	}
	erase := func(t *testing.T, n *node, c *client) {
		t.Helper()
		ann, admin := n.signIn(t, "ann", "Kestrel#Wing42"), n.signIn(t, "admin", adminPassword)
		req := n.must(t, 201, "POST", "/v1/clients/"+c.id+"/erasure-requests", ann, map[string]any{"reason": "asked in person"})["id"].(string)
		n.must(t, 200, "POST", "/v1/erasure-requests/"+req+"/decision", admin, map[string]any{"carry_out": true})
	}
	t.Run("a client backed up, a second backed up, then the first erased", func(t *testing.T) {
		n := startNode(t, dir)
		ann, to := twoOrganisations(t, n)
		for i, c := range []*client{first, second} {
			r := n.must(t, 201, "POST", "/v1/referrals", ann, map[string]any{"to_organisation_id": to, "urgent": false,
				"client": map[string]string{"name": c.name, "date_of_birth": c.dob}, "reason": c.reason,
				"consent": map[string]any{"method": "written", "confirmed": true}, "privacy_notice_given": true})
			c.referral, c.id = r["id"].(string), r["client_id"].(string)
			backupTo(t, []string{older, newer}[i])
		}
		erase(t, n, first)
	})
	first.revived = [][]byte{wrappedKeyIn(t, filepath.Join(older, keysDir, keysqlite.FileName), first.id),
		wrappedKeyIn(t, filepath.Join(newer, keysDir, keysqlite.FileName), first.id)}
	second.revived = [][]byte{wrappedKeyIn(t, filepath.Join(newer, keysDir, keysqlite.FileName), second.id)}

	t.Setenv("LEDGER_DATA_DIR", dir)
	restore := func(t *testing.T, from string, destroyed int) {
		t.Helper()
		var out bytes.Buffer
		if err := run(context.Background(), []string{"restore", "--from", from}, &out, io.Discard); err != nil {
			t.Fatalf("restore: %v\n%s", err, out.String())
		}
		if want := fmt.Sprintf("erased clients stay erased: %d keys", destroyed); !strings.Contains(out.String(), want) {
			t.Errorf("restore should say %q:\n%s", want, out.String())
		}
	}
	// check reads every referral of clients in erased and live, which
	// must each be in the restored log, through every reader.
	check := func(t *testing.T, erased, live []*client) {
		t.Helper()
		for _, c := range erased {
			var out bytes.Buffer
			t.Setenv("LEDGER_DATA_DIR", dir)
			if err := run(context.Background(), []string{"history", c.referral}, &out, io.Discard); err != nil {
				t.Fatalf("history: %v\n%s", err, out.String())
			}
			if !strings.Contains(out.String(), `"erased":true`) || leaksOf(out.Bytes(), []string{c.name, c.reason}) != nil {
				t.Errorf("ledger history shows the erased client's data:\n%s", out.String())
			}
		}
		n := startNode(t, dir)
		admin, ann := n.signIn(t, "admin", adminPassword), n.signIn(t, "ann", "Kestrel#Wing42")
		for _, c := range erased {
			secrets := []string{c.name, c.reason}
			got := n.must(t, 200, "GET", "/v1/referrals/"+c.referral, admin, nil)
			if got["erased"] != true || got["client"].(map[string]any)["name"] != nil || got["reason"] != nil {
				t.Errorf("the server shows the erased client: %v", got)
			}
			found := n.must(t, 200, "POST", "/v1/clients/search", ann,
				map[string]any{"name": c.name, "date_of_birth": c.dob})["clients"].([]any)
			if len(found) != 0 {
				t.Errorf("the known clients search finds the erased client: %v", found)
			}
			x := n.must(t, 200, "GET", "/v1/clients/"+c.id+"/subject-access", admin, nil)
			raw, _ := json.Marshal(x)
			if x["erased"] != true || leaksOf(raw, secrets) != nil {
				t.Errorf("subject access shows the erased client: %s", raw)
			}
			file := filepath.Join(t.TempDir(), "bundle.json")
			fetchBundle(t, n, admin, c.referral, "?decrypted=true", file)
			if raw, err := os.ReadFile(file); err != nil || leaksOf(raw, secrets) != nil {
				t.Errorf("the decrypted case bundle shows the erased client (%v): %s", err, raw)
			}
		}
		for _, c := range live {
			got := n.must(t, 200, "GET", "/v1/referrals/"+c.referral, admin, nil)
			if got["erased"] != false || got["client"].(map[string]any)["name"] != c.name || got["reason"] != c.reason {
				t.Errorf("a client not erased does not read back: %v", got)
			}
		}
		err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, c := range erased {
				if leaked := leaksOf(data, []string{c.name, c.reason}); leaked != nil {
					t.Errorf("%s holds the erased client's %v", path, leaked)
				}
				for _, key := range c.revived {
					if bytes.Contains(data, key) {
						t.Errorf("%s holds an erased client's revived key", path)
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Run("the backup from before the erasure", func(t *testing.T) {
		restore(t, newer, 1)
		check(t, []*client{first}, []*client{second})
	})
	// The restored log records no erasure of the first client: only the
	// key store's tombstone does.
	t.Run("the same backup again", func(t *testing.T) {
		restore(t, newer, 1)
		check(t, []*client{first}, []*client{second})
	})
	t.Run("the second client erased", func(t *testing.T) {
		erase(t, startNode(t, dir), second)
	})
	t.Run("an even older backup, from before the second client", func(t *testing.T) {
		restore(t, older, 1)
		check(t, []*client{first}, nil)
	})
	t.Run("the newer backup again", func(t *testing.T) {
		restore(t, newer, 2)
		check(t, []*client{first, second}, nil)
	})
}

// wrappedKeyIn reads a client's wrapped key from a key store file.
func wrappedKeyIn(t *testing.T, path, client string) []byte {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&immutable=1")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var wrapped []byte
	if err := db.QueryRow(`SELECT wrapped FROM keys WHERE client_id = ?`, client).Scan(&wrapped); err != nil || len(wrapped) < 16 {
		t.Fatalf("the backup holds no key for the client: %v", err)
	}
	return wrapped
}

// TestBackupAndRestoreRefusals_OPS3: on a stopped server a backup is a
// reader that creates and changes no file in the data directory, and never
// overwrites another backup; both commands refuse a directory mid
// master-key rotation; restore refuses a backup whose files do not match
// their checksums, before touching the data directory (R-OPS-3, R-OPS-2).
func TestBackupAndRestoreRefusals_OPS3(t *testing.T) {
	dir := t.TempDir()
	t.Run("a ledger", func(t *testing.T) { lifecycle(t, startNode(t, dir)) })
	t.Setenv("LEDGER_DATA_DIR", dir)
	backupDir := filepath.Join(t.TempDir(), "backup")

	t.Run("a backup changes nothing in the data directory", func(t *testing.T) {
		before := snapshot(t, dir)
		var out bytes.Buffer
		if err := run(context.Background(), []string{"backup", "--to", backupDir}, &out, io.Discard); err != nil {
			t.Fatalf("backup: %v\n%s", err, out.String())
		}
		sameFiles(t, "backup", before, snapshot(t, dir))
		sums, err := os.ReadFile(filepath.Join(backupDir, manifestFile))
		if err != nil || !strings.Contains(out.String(), string(sums[:64])) {
			t.Errorf("backup does not print its manifest: %v\n%s", err, out.String())
		}
	})
	t.Run("a backup never overwrites another", func(t *testing.T) {
		err := run(context.Background(), []string{"backup", "--to", backupDir}, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "not empty") {
			t.Fatalf("a second backup into %s: %v", backupDir, err)
		}
	})
	t.Run("a damaged backup is not restored", func(t *testing.T) {
		damaged := filepath.Join(t.TempDir(), "damaged")
		if err := os.CopyFS(damaged, os.DirFS(backupDir)); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(damaged, "notifications.db")
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		b[len(b)/2] ^= 1
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		target := t.TempDir()
		t.Setenv("LEDGER_DATA_DIR", target)
		err = run(context.Background(), []string{"restore", "--from", damaged}, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "does not match its checksum") {
			t.Fatalf("restore of a damaged backup: %v", err)
		}
		if entries, _ := os.ReadDir(target); len(entries) > 1 { // the lock file only
			t.Errorf("a refused restore wrote %d files", len(entries))
		}
	})
	t.Run("mid master-key rotation", func(t *testing.T) {
		if err := writeRotationJournal(dir, rotationJournal{From: "aaaa", To: "bbbb", NewKeyFile: filepath.Join(dir, "master.key.new"),
			ReplaceMasterKey: true}); err != nil {
			t.Fatal(err)
		}
		t.Setenv("LEDGER_DATA_DIR", dir)
		for _, args := range [][]string{{"backup", "--to", filepath.Join(t.TempDir(), "b")}, {"restore", "--from", backupDir}} {
			err := run(context.Background(), args, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), "run `ledger rotate-master-key`") {
				t.Errorf("ledger %s mid-rotation: %v", args[0], err)
			}
		}
	})
}

// TestRestoreFromMissingDirectory_OPS3: restore --from a directory that is
// not there says so, and does not first tell the operator the backup was
// made without its key store.
func TestRestoreFromMissingDirectory_OPS3(t *testing.T) {
	t.Setenv("LEDGER_DATA_DIR", t.TempDir())
	missing := filepath.Join(t.TempDir(), "no-such-backup")
	var out bytes.Buffer
	err := run(context.Background(), []string{"restore", "--from", missing}, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "no backup directory at "+missing) {
		t.Fatalf("restore from a missing directory: %v", err)
	}
	if strings.Contains(out.String(), "no-keys") || strings.Contains(out.String(), "key store") {
		t.Fatalf("restore from a missing directory talks of its key store:\n%s", out.String())
	}
}

// TestBackupNotInsideTheDataDirectory_PRIV4 (R-PRIV-4, R-OPS-3): a backup
// written into the data directory would keep a copy of every client key
// there, so erasing a client would leave their key in the data directory.
// backup --to a folder inside it (or the directory itself) is refused, and
// nothing is written.
func TestBackupNotInsideTheDataDirectory_PRIV4(t *testing.T) {
	dir := t.TempDir()
	t.Run("a ledger", func(t *testing.T) { lifecycle(t, startNode(t, dir)) })
	t.Setenv("LEDGER_DATA_DIR", dir)
	before := snapshot(t, dir)
	for _, to := range []string{filepath.Join(dir, "backup"), filepath.Join(dir, "a", "..", "nightly"), dir} {
		err := run(context.Background(), []string{"backup", "--to", to}, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "inside the data directory") {
			t.Errorf("backup --to %s: %v, want a refusal naming the data directory", to, err)
		}
	}
	sameFiles(t, "a refused backup", before, snapshot(t, dir))
}

// TestBackupLeavesOutARevivedKey_PRIV8: keys.db put back by hand from a
// copy taken before a client's erasure holds the client's key again until
// the server's next start destroys it. A backup taken meanwhile (it runs
// beside the server or without it) must not carry that key into a new
// backup, dated after the erasure, where it would outlive the erasure
// (R-PRIV-8, R-OPS-3). The backup's key store still opens and restores.
func TestBackupLeavesOutARevivedKey_PRIV8(t *testing.T) {
	dir, backups := t.TempDir(), t.TempDir()
	before, after := filepath.Join(backups, "before"), filepath.Join(backups, "after")
	secret := "Erin Qz9revived"
	var client string
	t.Run("a client, backed up, then erased", func(t *testing.T) {
		n := startNode(t, dir)
		ann, to := twoOrganisations(t, n)
		client = n.must(t, 201, "POST", "/v1/referrals", ann, map[string]any{"to_organisation_id": to, "urgent": false,
			"client": map[string]string{"name": secret, "date_of_birth": "1979-03-04"}, "reason": "Qz9reason",
			"consent": map[string]any{"method": "written", "confirmed": true}, "privacy_notice_given": true})["client_id"].(string)
		if err := run(context.Background(), []string{"backup", "--to", before}, io.Discard, io.Discard); err != nil {
			t.Fatalf("backup: %v", err)
		}
		admin := n.signIn(t, "admin", adminPassword)
		req := n.must(t, 201, "POST", "/v1/clients/"+client+"/erasure-requests", ann, map[string]any{"reason": "asked in person"})["id"].(string)
		n.must(t, 200, "POST", "/v1/erasure-requests/"+req+"/decision", admin, map[string]any{"carry_out": true})
	})
	revived := wrappedKeyIn(t, filepath.Join(before, keysDir, keysqlite.FileName), client)
	// keys.db copied back by hand, the server stopped.
	for _, suffix := range []string{"-wal", "-shm"} {
		_ = os.Remove(filepath.Join(dir, keysqlite.FileName+suffix))
	}
	copyFile(t, filepath.Join(before, keysDir, keysqlite.FileName), filepath.Join(dir, keysqlite.FileName))

	t.Setenv("LEDGER_DATA_DIR", dir)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"backup", "--to", after}, &out, io.Discard); err != nil {
		t.Fatalf("backup: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "1 keys of erased clients") {
		t.Errorf("the backup should say it left the revived key out:\n%s", out.String())
	}
	err := filepath.WalkDir(after, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(data, revived) {
			t.Errorf("%s holds the erased client's key", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// What it wrote is a whole backup: its manifests check and it restores.
	t.Setenv("LEDGER_DATA_DIR", t.TempDir())
	if err := run(context.Background(), []string{"restore", "--from", after}, &out, io.Discard); err != nil {
		t.Fatalf("restore of the backup: %v\n%s", err, out.String())
	}
}

// TestFailedBackupLeavesNoKeyStoreCopy_PRIV8_OPS3: a backup that fails
// after it has copied the key store (here the copied event log, written by
// a newer version of the ledger, cannot be read for its erasures; a full
// disk does the same when the copy is being cleaned) used to leave that
// copy in --to, with the key of an erased client that keys.db, put back by
// hand from before the erasure, held again: a copy outside the data
// directory that outlives the erasure (R-PRIV-8, R-OPS-3). A failed backup
// now leaves nothing behind in --to, made by it or given empty.
func TestFailedBackupLeavesNoKeyStoreCopy_PRIV8_OPS3(t *testing.T) {
	dir, backups := t.TempDir(), t.TempDir()
	before := filepath.Join(backups, "before")
	var client string
	t.Run("a client, backed up, then erased", func(t *testing.T) {
		n := startNode(t, dir)
		ann, to := twoOrganisations(t, n)
		client = n.must(t, 201, "POST", "/v1/referrals", ann, map[string]any{"to_organisation_id": to, "urgent": false,
			"client": map[string]string{"name": "Erin Qz9failed"}, "reason": "Qz9reason",
			"consent": map[string]any{"method": "written", "confirmed": true}, "privacy_notice_given": true})["client_id"].(string)
		if err := run(context.Background(), []string{"backup", "--to", before}, io.Discard, io.Discard); err != nil {
			t.Fatalf("backup: %v", err)
		}
		admin := n.signIn(t, "admin", adminPassword)
		req := n.must(t, 201, "POST", "/v1/clients/"+client+"/erasure-requests", ann, map[string]any{"reason": "asked in person"})["id"].(string)
		n.must(t, 200, "POST", "/v1/erasure-requests/"+req+"/decision", admin, map[string]any{"carry_out": true})
	})
	revived := wrappedKeyIn(t, filepath.Join(before, keysDir, keysqlite.FileName), client)
	// keys.db copied back by hand, the server stopped; the event log as a
	// newer version of the ledger left it.
	for _, suffix := range []string{"-wal", "-shm"} {
		_ = os.Remove(filepath.Join(dir, keysqlite.FileName+suffix))
	}
	copyFile(t, filepath.Join(before, keysDir, keysqlite.FileName), filepath.Join(dir, keysqlite.FileName))
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, eventsFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	t.Setenv("LEDGER_DATA_DIR", dir)
	given := filepath.Join(backups, "given")
	if err := os.Mkdir(given, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, to := range []string{filepath.Join(backups, "made"), given} {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"backup", "--to", to}, &out, io.Discard); err == nil {
			t.Fatalf("backup --to %s of a log it cannot read succeeded:\n%s", to, out.String())
		}
		entries, err := os.ReadDir(to)
		switch {
		case to == given && err != nil:
			t.Errorf("the failed backup removed the directory it was given: %v", err)
		case to != given && !errors.Is(err, fs.ErrNotExist):
			t.Errorf("the failed backup left the directory it made: %v", err)
		case len(entries) > 0:
			t.Errorf("the failed backup left %d files in %s", len(entries), to)
		}
	}
	err = filepath.WalkDir(backups, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(path, before+string(filepath.Separator)) {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(data, revived) {
			t.Errorf("%s holds the erased client's key", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRestoreRefusesContradictoryKeyFlags_OPS4: restore --keys-from a keys
// folder with --no-keys (keep the data directory's key store) asks for two
// things at once. It used to drop --keys-from without a word and restore
// the rest; it is now refused naming both flags, before anything in the
// data directory changes (R-OPS-4).
func TestRestoreRefusesContradictoryKeyFlags_OPS4(t *testing.T) {
	dir := t.TempDir()
	t.Run("a ledger", func(t *testing.T) { lifecycle(t, startNode(t, dir)) })
	t.Setenv("LEDGER_DATA_DIR", dir)
	backupDir := filepath.Join(t.TempDir(), "backup")
	if err := run(context.Background(), []string{"backup", "--to", backupDir}, io.Discard, io.Discard); err != nil {
		t.Fatalf("backup: %v", err)
	}
	before := snapshot(t, dir)
	var out bytes.Buffer
	err := run(context.Background(), []string{"restore", "--from", backupDir, "--keys-from", filepath.Join(backupDir, keysDir), "--no-keys"}, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "keys-from") || !strings.Contains(err.Error(), "no-keys") {
		t.Fatalf("restore with --keys-from and --no-keys: %v, want a refusal naming both\n%s", err, out.String())
	}
	sameFiles(t, "a refused restore", before, snapshot(t, dir))
}

// TestRestoreKeepsAConfiguredMasterKeyOutOfTheDataDirectory_OPS3: a backup
// taken while the master key lived in the data directory holds a copy of
// it beside the key store. Once the operator has moved the key out
// (master_key_file), as backup tells them to, restoring that backup used
// to put master.key back into the data directory, beside the keys it
// protects, without a word. Restore now leaves it out when the
// configuration names the master key, says so, and the restored ledger
// reads with the configured key (R-OPS-3).
func TestRestoreKeepsAConfiguredMasterKeyOutOfTheDataDirectory_OPS3(t *testing.T) {
	dir := t.TempDir()
	var id string
	t.Run("a ledger", func(t *testing.T) { id = lifecycle(t, startNode(t, dir)) })
	t.Setenv("LEDGER_DATA_DIR", dir)
	backupDir := filepath.Join(t.TempDir(), "backup")
	if err := run(context.Background(), []string{"backup", "--to", backupDir}, io.Discard, io.Discard); err != nil {
		t.Fatalf("backup: %v", err)
	}
	if _, err := os.Stat(filepath.Join(backupDir, keysDir, keystore.MasterKeyFileName)); err != nil {
		t.Fatalf("the backup should hold the master key that lived in the data directory: %v", err)
	}
	moved := filepath.Join(t.TempDir(), "master.key")
	if err := os.Rename(filepath.Join(dir, keystore.MasterKeyFileName), moved); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LEDGER_MASTER_KEY_FILE", moved)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"restore", "--from", backupDir}, &out, io.Discard); err != nil {
		t.Fatalf("restore: %v\n%s", err, out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, keystore.MasterKeyFileName)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("restore put the master key back into the data directory (%v):\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "master.key") || !strings.Contains(out.String(), "not restored") {
		t.Errorf("restore should say it left the backup's master key out:\n%s", out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"history", id}, &out, io.Discard); err != nil || !strings.Contains(out.String(), "Client Person") {
		t.Errorf("the restored ledger does not read with the configured master key: %v\n%s", err, out.String())
	}
}

// TestInterruptedRestoreLeavesNoErasedClientsKey_PRIV4: restore stages the
// backup's key store in the data directory as .keys.db.restoring, then
// destroys in it the keys of the clients erased since. A restore killed in
// between (power lost, kill -9) left that copy, with an erased client's
// key, in the data directory, where the server's next start kept it for
// good (R-PRIV-4, R-PRIV-8). The next start of a writer (serve or a tool
// that writes) now removes what an interrupted restore staged, and logs
// that it did.
func TestInterruptedRestoreLeavesNoErasedClientsKey_PRIV4(t *testing.T) {
	dir, before := t.TempDir(), filepath.Join(t.TempDir(), "before")
	var client string
	t.Run("a client, backed up, then erased", func(t *testing.T) {
		n := startNode(t, dir)
		ann, to := twoOrganisations(t, n)
		client = n.must(t, 201, "POST", "/v1/referrals", ann, map[string]any{"to_organisation_id": to, "urgent": false,
			"client": map[string]string{"name": "Erin Qz9staged"}, "reason": "Qz9reason",
			"consent": map[string]any{"method": "written", "confirmed": true}, "privacy_notice_given": true})["client_id"].(string)
		if err := run(context.Background(), []string{"backup", "--to", before}, io.Discard, io.Discard); err != nil {
			t.Fatalf("backup: %v", err)
		}
		admin := n.signIn(t, "admin", adminPassword)
		req := n.must(t, 201, "POST", "/v1/clients/"+client+"/erasure-requests", ann, map[string]any{"reason": "asked in person"})["id"].(string)
		n.must(t, 200, "POST", "/v1/erasure-requests/"+req+"/decision", admin, map[string]any{"carry_out": true})
	})
	revived := wrappedKeyIn(t, filepath.Join(before, keysDir, keysqlite.FileName), client)
	// What a restore of the older backup, killed after staging its key
	// store, leaves.
	copyFile(t, filepath.Join(before, keysDir, keysqlite.FileName), filepath.Join(dir, "."+keysqlite.FileName+stagedSuffix))
	copyFile(t, filepath.Join(before, eventsFile), filepath.Join(dir, "."+eventsFile+stagedSuffix))

	t.Run("the next start", func(t *testing.T) {
		n := startNode(t, dir)
		if err := n.stop(); err != nil {
			t.Fatal(err)
		}
	})
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), stagedSuffix) {
			t.Errorf("%s, left by an interrupted restore, is still in the data directory", e.Name())
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, revived) {
			t.Errorf("%s holds the erased client's key", e.Name())
		}
	}
}
