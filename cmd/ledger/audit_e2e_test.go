package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/audit"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/sqlite"
)

const e2eOrigin = "e2e.example/referral-ledger"

// auditKeys makes the signing key with `ledger audit keygen` outside the
// data directory, points the node at it through the environment, and
// returns the public key file an auditor holds.
func auditKeys(t *testing.T) (pubFile string) {
	t.Helper()
	keyDir := t.TempDir()
	keyFile := filepath.Join(keyDir, "signing.key")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"audit", "keygen", "--origin", e2eOrigin, "--out", keyFile}, &out, io.Discard); err != nil {
		t.Fatalf("keygen: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	pubFile = filepath.Join(keyDir, "public.key")
	if err := os.WriteFile(pubFile, []byte(lines[len(lines)-1]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := audit.NewVerifier(lines[len(lines)-1]); err != nil {
		t.Fatalf("keygen printed no public key: %v\n%s", err, out.String())
	}
	t.Setenv("LEDGER_AUDIT_SIGNING_KEY_FILE", keyFile)
	t.Setenv("LEDGER_AUDIT_SIGNER", "true")
	t.Setenv("LEDGER_AUDIT_ORIGIN", e2eOrigin)
	return pubFile
}

// auditCLI runs `ledger audit …` as an auditor would, returning its exit
// code and output.
func auditCLI(args ...string) (int, string) {
	var out bytes.Buffer
	err := run(context.Background(), append([]string{"audit"}, args...), &out, &out)
	if err != nil {
		out.WriteString(err.Error())
		return exitCode(err), out.String()
	}
	return 0, out.String()
}

// getBundle fetches a referral's case bundle (which makes the signing node
// sign a checkpoint covering it) into a file.
func getBundle(t *testing.T, n *node, token, id, file string) audit.Bundle {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, n.base+"/v1/referrals/"+id+"/bundle", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("bundle: %d %s", res.StatusCode, body)
	}
	if err := os.WriteFile(file, body, 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := audit.ParseBundle(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func verifyExit(t *testing.T, dir string) int {
	t.Helper()
	t.Setenv("LEDGER_DATA_DIR", dir)
	var out bytes.Buffer
	err := run(context.Background(), []string{"verify"}, &out, io.Discard)
	if err != nil {
		t.Logf("verify: %v\n%s", err, out.String())
		return exitCode(err)
	}
	return 0
}

// TestRAUD2ForkDetected: a copy of the data directory diverges from the
// original. Its own `ledger verify` passes, but `ledger audit check`
// against a checkpoint of the original exits 2 (R-AUD-2).
func TestRAUD2ForkDetected(t *testing.T) {
	pub := auditKeys(t)
	dir := t.TempDir()
	var ref string
	t.Run("a ledger", func(t *testing.T) { ref = lifecycle(t, startNode(t, dir)) })
	fork := dataDirCopy(t, dir)
	trusted := filepath.Join(t.TempDir(), "trusted.checkpoint")

	t.Run("the original grows; the auditor trusts its checkpoint", func(t *testing.T) {
		n := startNode(t, dir)
		admin := n.signIn(t, "admin", adminPassword)
		x := referTo(t, n, n.signIn(t, "ann", "Kestrel#Wing42"), orgOf(t, n, admin, ref), "Original Client")
		getBundle(t, n, admin, x, filepath.Join(t.TempDir(), "b.json")) // signs a checkpoint covering it
		if code, out := auditCLI("check", "--server", n.base, "--token", admin, "--public-key", pub, "--trusted", trusted, "--init"); code != 0 {
			t.Fatalf("first check: %d %s", code, out)
		}
		if code, out := auditCLI("check", "--server", n.base, "--token", admin, "--public-key", pub, "--trusted", trusted); code != 0 {
			t.Fatalf("the honest ledger fails the check: %d %s", code, out)
		}
	})

	t.Run("the fork is served instead", func(t *testing.T) {
		n := startNode(t, fork)
		admin := n.signIn(t, "admin", adminPassword)
		y := referTo(t, n, n.signIn(t, "ann", "Kestrel#Wing42"), orgOf(t, n, admin, ref), "Forked Client")
		getBundle(t, n, admin, y, filepath.Join(t.TempDir(), "b.json"))
		if code := verifyExit(t, fork); code != 0 {
			t.Fatalf("the fork's own verify exits %d; it should pass: every chain in it holds", code)
		}
		before, _ := os.ReadFile(trusted)
		code, out := auditCLI("check", "--server", n.base, "--token", admin, "--public-key", pub, "--trusted", trusted)
		if code != 2 || !strings.Contains(out, "does not extend the trusted one") {
			t.Fatalf("audit check against the fork: exit %d, %s", code, out)
		}
		if after, _ := os.ReadFile(trusted); !bytes.Equal(before, after) {
			t.Fatal("a failed check replaced the trusted checkpoint")
		}
	})
}

// orgOf returns the receiving organisation of a referral.
func orgOf(t *testing.T, n *node, token, ref string) string {
	t.Helper()
	return n.must(t, 200, "GET", "/v1/referrals/"+ref, token, nil)["to_organisation_id"].(string)
}

// TestRAUD2RewriteDetected: someone with the SQLite file changes an
// event's data and recomputes every hash after it, and the tree too:
// `ledger verify` passes, `ledger audit check` against an earlier
// checkpoint exits 2, and a bundle taken before no longer matches
// (R-AUD-2, R-AUD-3).
func TestRAUD2RewriteDetected(t *testing.T) {
	pub := auditKeys(t)
	dir := t.TempDir()
	work := t.TempDir()
	trusted, oldBundle := filepath.Join(work, "trusted.checkpoint"), filepath.Join(work, "old-bundle.json")
	var ref string
	t.Run("a ledger, checked and bundled", func(t *testing.T) {
		n := startNode(t, dir)
		ref = lifecycle(t, n)
		admin := n.signIn(t, "admin", adminPassword)
		getBundle(t, n, admin, ref, oldBundle)
		if code, out := auditCLI("check", "--server", n.base, "--token", admin, "--public-key", pub, "--trusted", trusted, "--init"); code != 0 {
			t.Fatalf("first check: %d %s", code, out)
		}
		if code, out := auditCLI("verify-bundle", oldBundle, "--public-key", pub, "--trusted", trusted); code != 0 {
			t.Fatalf("verify-bundle: %d %s", code, out)
		}
	})

	rewrite(t, filepath.Join(dir, "events.db"), "referral-"+ref, "referral.closed", `"positive"`, `"negative"`)
	if code := verifyExit(t, dir); code != 0 {
		t.Fatalf("verify after a careful rewrite exits %d; the test means to show verify alone cannot see it", code)
	}

	t.Run("the rewritten ledger is served", func(t *testing.T) {
		n := startNode(t, dir)
		admin := n.signIn(t, "admin", adminPassword)
		later := referTo(t, n, n.signIn(t, "ann", "Kestrel#Wing42"), orgOf(t, n, admin, ref), "Later Client")
		getBundle(t, n, admin, later, filepath.Join(work, "later-bundle.json")) // a new checkpoint, of the rewritten tree
		newBundle := getBundle(t, n, admin, ref, filepath.Join(work, "new-bundle.json"))
		code, out := auditCLI("check", "--server", n.base, "--token", admin, "--public-key", pub, "--trusted", trusted)
		if code != 2 || !strings.Contains(out, "does not extend the trusted one") {
			t.Fatalf("audit check after the rewrite: exit %d, %s", code, out)
		}
		// The old bundle still verifies by itself, but no longer matches
		// the ledger: the rewritten event's hash differs, and its
		// checkpoint is not extended by the server's.
		old, err := audit.ParseBundle(bytes.NewReader(mustRead(t, oldBundle)))
		if err != nil {
			t.Fatal(err)
		}
		changed := false
		for i := range old.Events {
			if i < len(newBundle.Events) && old.Events[i].Hash != newBundle.Events[i].Hash {
				changed = true
			}
		}
		if !changed {
			t.Fatal("the new bundle shows the same events as the old one")
		}
		oldCP := filepath.Join(work, "old-bundle.checkpoint")
		if err := os.WriteFile(oldCP, []byte(old.Checkpoint), 0o600); err != nil {
			t.Fatal(err)
		}
		if code, out := auditCLI("check", "--server", n.base, "--token", admin, "--public-key", pub, "--trusted", oldCP); code != 2 {
			t.Fatalf("audit check against the old bundle's checkpoint: exit %d, %s", code, out)
		}
	})
}

func mustRead(t *testing.T, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rewrite changes the data of the first event of eventType in stream
// (replacing old by new) and reseals that event and every later one of the
// stream, as an attacker with the file would; it then drops the audit tree
// so the next open rebuilds it from the rewritten events.
func rewrite(t *testing.T, path, stream, eventType, old, new string) {
	t.Helper()
	rewriteChain(t, path, stream, eventType, old, new, true)
}

// rewriteChain is rewrite; with dropTree false the Merkle tree is left as
// it was, as by someone who knows the chains but not the tree.
func rewriteChain(t *testing.T, path, stream, eventType, old, new string, dropTree bool) {
	t.Helper()
	// The metadata column is in the store's compact form: read it through
	// the store, and write it back as JSON, the form it still reads.
	ro, err := sqlite.OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := ro.ReadStream(context.Background(), stream, 0, 1<<20)
	_ = ro.Close()
	if err != nil {
		t.Fatal(err)
	}
	metas := map[int64]eventstore.Metadata{}
	for _, e := range evs {
		metas[int64(e.Position)] = e.Metadata
	}
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	queries := []string{"DROP TRIGGER events_no_update"}
	if dropTree {
		queries = append(queries, "DROP TABLE audit_hashes", "DROP TABLE audit_leaves", "PRAGMA user_version = 2")
	}
	for _, q := range queries {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	rows, err := db.Query(`SELECT position, id, revision, type, schema_version, data, metadata FROM events WHERE stream = ? ORDER BY revision`, stream)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		pos, rev      int64
		id, typ       string
		schema        int
		data, metaRaw []byte
	}
	var all []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.pos, &r.id, &r.rev, &r.typ, &r.schema, &r.data, &r.metaRaw); err != nil {
			t.Fatal(err)
		}
		all = append(all, r)
	}
	rows.Close()
	prev, started := "", false
	for _, r := range all {
		if !started && r.typ == eventType {
			if !bytes.Contains(r.data, []byte(old)) {
				t.Fatalf("event %s has no %s to rewrite: %s", r.typ, old, r.data)
			}
			r.data = bytes.Replace(r.data, []byte(old), []byte(new), 1)
			started = true
		}
		meta, ok := metas[r.pos]
		if !ok {
			t.Fatalf("no metadata read for position %d", r.pos)
		}
		if started {
			if prev != "" {
				meta.PrevHash = prev
			}
			meta.Hash = eventstore.ComputeHash(stream, uint64(r.rev), uuid.MustParse(r.id), r.typ, r.schema, r.data, meta)
			m, _ := json.Marshal(meta)
			if _, err := db.Exec(`UPDATE events SET data = ?, metadata = ? WHERE position = ?`, r.data, m, r.pos); err != nil {
				t.Fatal(err)
			}
		}
		prev = meta.Hash
	}
	if !started {
		t.Fatalf("no %s event in %s", eventType, stream)
	}
}

// TestVerifyChecksTheAuditTree_AUD2 (R-LEDGER-4, R-AUD-1, R-AUD-2): the
// Merkle tree checkpoints are signed from must cover the events as they
// are. An event rewritten with every chain hash after it recomputed, but
// the tree left alone, passes every chain, and a server keeps signing
// checkpoints that extend the trusted ones; `ledger verify` exits 2
// naming the rewritten event. So does a log whose last event was cut off
// with the position counter wound back, while the tree still counts it.
func TestVerifyChecksTheAuditTree_AUD2(t *testing.T) {
	dir := t.TempDir()
	var ref string
	t.Run("a ledger", func(t *testing.T) { ref = lifecycle(t, startNode(t, dir)) })
	if code := verifyExit(t, dir); code != 0 {
		t.Fatalf("verify of the untouched ledger exits %d", code)
	}
	cut := dataDirCopy(t, dir)

	rewriteChain(t, filepath.Join(dir, eventsFile), "referral-"+ref, "referral.closed", `"positive"`, `"negative"`, false)
	t.Setenv("LEDGER_DATA_DIR", dir)
	var out bytes.Buffer
	err := run(context.Background(), []string{"verify"}, &out, io.Discard)
	if exitCode(err) != 2 || !strings.Contains(out.String(), "BROKEN") || !strings.Contains(out.String(), "audit tree") {
		t.Fatalf("verify after a rewrite that left the tree: exit %d, %v\n%s", exitCode(err), err, out.String())
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, eventsFile)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	var pos string
	if err := db.QueryRow(`SELECT position FROM events WHERE stream = ? AND type = 'referral.closed'`, "referral-"+ref).Scan(&pos); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if !strings.Contains(out.String(), "position "+pos) {
		t.Fatalf("verify does not name the rewritten event at position %s:\n%s", pos, out.String())
	}

	db, err = sql.Open("sqlite", "file:"+filepath.Join(cut, eventsFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"DROP TRIGGER events_no_delete",
		"DELETE FROM events WHERE position = (SELECT MAX(position) FROM events)",
		"UPDATE sqlite_sequence SET seq = seq - 1 WHERE name = 'events'"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	if code := verifyExit(t, cut); code != 2 {
		t.Fatalf("verify after the last event was cut off, the tree left counting it: exit %d, want 2", code)
	}
}

// TestKeygenNeedsTheDataDirectory_AUD1: keygen refuses to write the signing
// key inside the data directory. A configuration with a mistake in it
// (here http.addr) must not turn that check off: keygen then refuses, and
// writes no key anywhere (R-AUD-1).
func TestKeygenNeedsTheDataDirectory_AUD1(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("LEDGER_DATA_DIR", dir)
	t.Setenv("LEDGER_HTTP_ADDR", "not an address")
	keyFile := filepath.Join(dir, "signing.key")
	err := run(context.Background(), []string{"audit", "keygen", "--origin", e2eOrigin, "--out", keyFile}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "LEDGER_HTTP_ADDR") {
		t.Errorf("keygen with a configuration that does not load: %v; want a refusal naming the mistake", err)
	}
	if _, err := os.Stat(keyFile); err == nil {
		t.Errorf("keygen wrote the signing key inside the data directory, %s", keyFile)
	}
}
