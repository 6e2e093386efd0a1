package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/sqlite"

	"github.com/referral-ledger/ledger/eventstore/kurrentdb/kurrentdbtest"
	"github.com/referral-ledger/ledger/internal/pgtest"
)

// startTwoNodes starts two `ledger serve` nodes (the binary's run
// function) on different ports against one event store, the KurrentDB
// protocol test double, and one PostgreSQL key, session and idempotency
// store, under a master key made from seed. The first sends the notices.
// env (name, value pairs) is set before either starts.
func startTwoNodes(t *testing.T, seed byte, env ...string) (ctl *kurrentdbtest.Controller, one, two *node) {
	t.Helper()
	ctl = sharedStores(t, seed, env...)
	one = startNode(t, t.TempDir())
	t.Setenv("LEDGER_NOTIFY_ENABLED", "false") // one node sends the notices
	two = startNode(t, t.TempDir())
	return ctl, one, two
}

// sharedStores points the nodes t starts next at one event store, the
// KurrentDB protocol test double, and one PostgreSQL key, session and
// idempotency store, under a master key made from seed; env (name, value
// pairs) is set after.
func sharedStores(t *testing.T, seed byte, env ...string) *kurrentdbtest.Controller {
	t.Helper()
	esdb, ctl := kurrentdbtest.Start(t)
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i) * seed
	}
	t.Setenv("LEDGER_STORE", "kurrentdb")
	t.Setenv("LEDGER_KURRENTDB_URL", esdb)
	t.Setenv("LEDGER_KEYSTORE", "postgres")
	t.Setenv("LEDGER_POSTGRES_URL", pgtest.URL(t))
	t.Setenv("LEDGER_MASTER_KEY", base64.StdEncoding.EncodeToString(key))
	for i := 0; i+1 < len(env); i += 2 {
		t.Setenv(env[i], env[i+1])
	}
	return ctl
}

// TestSeveralNodes runs two `ledger serve` nodes (the binary's run
// function) on different ports against one event store — the KurrentDB
// protocol test double, which checks the wire mapping, not KurrentDB itself
// — and one PostgreSQL key, session and idempotency store. A referral made
// on node 1 is acknowledged on node 2; a token from one node works on the
// other; an account closed on node 2 is refused on node 1 on its next
// request; an erasure on one node is honoured by the other.
func TestSeveralNodes(t *testing.T) {
	ctl, one, two := startTwoNodes(t, 7)

	admin1 := one.signIn(t, "admin", adminPassword)
	a := one.must(t, 201, "POST", "/v1/organisations", admin1, map[string]any{"name": "Advice Centre", "admin_email": "a@advice.example"})["id"].(string)
	b := one.must(t, 201, "POST", "/v1/organisations", admin1, map[string]any{"name": "Housing Trust", "admin_email": "b@housing.example"})["id"].(string)
	ann := one.must(t, 201, "POST", "/v1/organisations/"+a+"/users", admin1, map[string]any{"username": "ann", "display_name": "Ann",
		"email": "ann@advice.example", "roles": []string{"adviser"}, "password": "Initial#Kestrel42"})["id"].(string)
	one.must(t, 201, "POST", "/v1/organisations/"+b+"/users", admin1, map[string]any{"username": "ben", "display_name": "Ben",
		"email": "ben@housing.example", "roles": []string{"adviser"}, "password": "Initial#Osprey77"})

	annToken := one.firstSignIn(t, "ann", "Initial#Kestrel42", "Kestrel#Wing42")
	one.firstSignIn(t, "ben", "Initial#Osprey77", "Osprey#Dive77")
	ref := one.must(t, 201, "POST", "/v1/referrals", annToken, map[string]any{"to_organisation_id": b,
		"client": map[string]string{"name": "Client Person"}, "reason": "rent arrears",
		"consent": map[string]any{"method": "verbal", "confirmed": true}, "privacy_notice_given": true})
	id, client := ref["id"].(string), ref["client_id"].(string)

	if n := len(ctl.Stream("referral-" + id)); n != 1 {
		t.Fatalf("the referral's stream on the KurrentDB double holds %d events, want 1", n)
	}
	t.Run("made on node 1, acknowledged on node 2", func(t *testing.T) {
		ben := two.signIn(t, "ben", "Osprey#Dive77")
		if got := two.must(t, 200, "POST", "/v1/referrals/"+id+"/acknowledgement", ben, map[string]any{})["status"]; got != "acknowledged" {
			t.Fatalf("status %v", got)
		}
		if got := one.must(t, 200, "GET", "/v1/referrals/"+id, annToken, nil)["status"]; got != "acknowledged" {
			t.Fatalf("node 1 sees %v", got)
		}
	})
	t.Run("a session works on every node", func(t *testing.T) {
		two.must(t, 200, "GET", "/v1/referrals/"+id, annToken, nil)
	})
	t.Run("erasure on node 1 is honoured by node 2", func(t *testing.T) {
		ben := one.signIn(t, "ben", "Osprey#Dive77")
		req := one.must(t, 201, "POST", "/v1/clients/"+client+"/erasure-requests", ben, map[string]any{"reason": "client asked"})["id"].(string)
		admin2 := two.signIn(t, "admin", adminPassword)
		two.must(t, 200, "POST", "/v1/erasure-requests/"+req+"/decision", admin2, map[string]any{"carry_out": true})
		r := one.must(t, 200, "GET", "/v1/referrals/"+id, ben, nil)
		if r["erased"] != true || r["client"].(map[string]any)["name"] != nil {
			t.Fatalf("node 1 after erasure on node 2: %v", r)
		}
	})
	t.Run("an account closed on node 2 is refused on node 1", func(t *testing.T) {
		admin2 := two.signIn(t, "admin", adminPassword)
		two.must(t, 204, "DELETE", "/v1/organisations/"+a+"/users/"+ann, admin2, nil)
		one.must(t, 401, "GET", "/v1/referrals/"+id, annToken, nil)
	})
	t.Run("guesses at one account are limited across both nodes", func(t *testing.T) {
		// R-AUTH-5: the throttle's counters are in the shared PostgreSQL
		// session store, so 16 guesses at once, half on each node, get no
		// more than the limit of 5 checked between them.
		statuses := make([]int, 16)
		var wg sync.WaitGroup
		for i := range statuses {
			base := one.base
			if i%2 == 1 {
				base = two.base
			}
			wg.Go(func() {
				body := fmt.Sprintf(`{"username":"ben","password":"Wr0ng-Guess#%d"}`, i)
				res, err := http.Post(base+"/v1/sessions", "application/json", strings.NewReader(body))
				if err != nil {
					t.Error(err)
					return
				}
				res.Body.Close()
				statuses[i] = res.StatusCode
			})
		}
		wg.Wait()
		checked := 0
		for _, s := range statuses {
			switch s {
			case http.StatusUnauthorized:
				checked++
			case http.StatusTooManyRequests, http.StatusServiceUnavailable:
			default:
				t.Fatalf("statuses %v", statuses)
			}
		}
		if checked > 5 {
			t.Fatalf("%d guesses checked over two nodes, want at most 5: %v", checked, statuses)
		}
		for _, n := range []*node{one, two} {
			n.must(t, http.StatusTooManyRequests, "POST", "/v1/sessions", "", map[string]string{"username": "ben", "password": "Osprey#Dive77"})
		}
	})
}

// TestMigrateToKurrentDB: `ledger migrate --to kurrentdb` copies an embedded
// ledger into KurrentDB (here its protocol test double) keeping ids, order
// and hashes; a node on KurrentDB then serves the same referral, its client
// data still readable under the same keys, and a second run copies nothing
// twice.
func TestMigrateToKurrentDB(t *testing.T) {
	dir := t.TempDir()
	var id string
	t.Run("lifecycle on the embedded store", func(t *testing.T) { id = lifecycle(t, startNode(t, dir)) })
	esdb, ctl := kurrentdbtest.Start(t)
	t.Setenv("LEDGER_DATA_DIR", dir)
	src, err := sqlite.Open(filepath.Join(dir, eventsFile))
	if err != nil {
		t.Fatal(err)
	}
	want, err := src.ReadAll(context.Background(), eventstore.Start, 0)
	src.Close()
	if err != nil {
		t.Fatal(err)
	}
	for run := 1; run <= 2; run++ {
		var out bytes.Buffer
		if err := run2(t, []string{"migrate", "--to", "kurrentdb", "--kurrentdb-url", esdb}, &out); err != nil {
			t.Fatalf("migrate run %d: %v\n%s", run, err, out.String())
		}
	}
	got := ctl.All()
	if len(got) != len(want) {
		t.Fatalf("KurrentDB holds %d events, the ledger had %d", len(got), len(want))
	}
	stored := map[string]string{}
	for _, ev := range want {
		stored[ev.ID.String()] = ev.Metadata.Hash
	}
	t.Setenv("LEDGER_STORE", "kurrentdb")
	t.Setenv("LEDGER_KURRENTDB_URL", esdb)
	t.Run("verify on KurrentDB", func(t *testing.T) {
		var out bytes.Buffer
		if err := run2(t, []string{"verify"}, &out); err != nil || !strings.Contains(out.String(), "OK:") {
			t.Fatalf("verify: %v %s", err, out.String())
		}
	})
	t.Run("history keeps every hash", func(t *testing.T) {
		var out bytes.Buffer
		if err := run2(t, []string{"history", id}, &out); err != nil || !strings.Contains(out.String(), "verified: 4 events") {
			t.Fatalf("history: %v %s", err, out.String())
		}
	})
	t.Setenv("LEDGER_POSTGRES_URL", pgtest.URL(t))
	t.Setenv("LEDGER_MASTER_KEY_FILE", filepath.Join(dir, "master.key"))
	t.Run("the keys move to PostgreSQL", func(t *testing.T) {
		var out bytes.Buffer
		if err := run2(t, []string{"migrate", "--to", "postgres"}, &out); err != nil || !strings.Contains(out.String(), "copied 1 client keys") {
			t.Fatalf("migrate --to postgres: %v %s", err, out.String())
		}
	})
	t.Setenv("LEDGER_KEYSTORE", "postgres")
	t.Run("a node on KurrentDB and PostgreSQL serves the migrated referral", func(t *testing.T) {
		n := startNode(t, t.TempDir())
		admin := n.signIn(t, "admin", adminPassword)
		r := n.must(t, 200, "GET", "/v1/referrals/"+id, admin, nil)
		if r["status"] != "closed" || r["client"].(map[string]any)["name"] != "Client Person" {
			t.Fatalf("after migration: %v", r)
		}
		h := n.must(t, 200, "GET", "/v1/referrals/"+id+"/history", admin, nil)
		for _, e := range h["events"].([]any) {
			ev := e.(map[string]any)
			if stored[ev["id"].(string)] != ev["hash"] {
				t.Errorf("event %s changed its hash in migration", ev["id"])
			}
		}
	})
}

func run2(t *testing.T, args []string, out *bytes.Buffer) error {
	t.Helper()
	return run(context.Background(), args, out, io.Discard)
}

// TestNodeLeftOnSQLiteIsRefused_OPS2: a node added to a KurrentDB network
// with store left at sqlite (the default) but pointed at the network's
// PostgreSQL key store is refused, naming the setting, rather than
// starting a second network, with its own bootstrap account, on the
// others' sessions and key store.
func TestNodeLeftOnSQLiteIsRefused_OPS2(t *testing.T) {
	_, one, _ := startTwoNodes(t, 9)
	admin := one.signIn(t, "admin", adminPassword)
	b := one.must(t, 201, "POST", "/v1/organisations", admin, map[string]any{"name": "Housing Trust", "admin_email": "b@housing.example"})["id"].(string)
	one.must(t, 201, "POST", "/v1/referrals", admin, map[string]any{"to_organisation_id": b,
		"client": map[string]string{"name": "Client Person"}, "reason": "rent arrears",
		"consent": map[string]any{"method": "verbal", "confirmed": true}, "privacy_notice_given": true})

	t.Setenv("LEDGER_STORE", "sqlite")
	dir := t.TempDir()
	t.Setenv("LEDGER_DATA_DIR", dir)
	t.Setenv("LEDGER_HTTP_ADDR", "127.0.0.1:0")
	for range 2 { // the refused start leaves nothing that lets the next one through
		ctx, cancel := context.WithCancel(context.Background())
		pr, pw := io.Pipe()
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, []string{"serve"}, pw, io.Discard)
			pw.Close()
		}()
		lines := bufio.NewScanner(pr) // ends when serve returns
		for lines.Scan() {
			if strings.Contains(lines.Text(), "listening on") {
				cancel()
				go func() { _, _ = io.Copy(io.Discard, pr) }()
				<-done
				t.Fatalf("serve started a new network beside the others' key store: %s", lines.Text())
			}
		}
		err := <-done
		cancel()
		if err == nil || !strings.Contains(err.Error(), "store: kurrentdb") {
			t.Fatalf("serve on an empty embedded log beside a used PostgreSQL key store: %v, want a refusal naming store: kurrentdb", err)
		}
	}
}

// TestNodeOnSQLiteKeysIsRefusedClearly_OPS2: a node added to a KurrentDB
// network with keystore left at sqlite finds none of the network's client
// keys; it is refused naming the setting, not told to restore a backup.
func TestNodeOnSQLiteKeysIsRefusedClearly_OPS2(t *testing.T) {
	_, one, _ := startTwoNodes(t, 13)
	admin := one.signIn(t, "admin", adminPassword)
	b := one.must(t, 201, "POST", "/v1/organisations", admin, map[string]any{"name": "Housing Trust", "admin_email": "b@housing.example"})["id"].(string)
	one.must(t, 201, "POST", "/v1/referrals", admin, map[string]any{"to_organisation_id": b,
		"client": map[string]string{"name": "Client Person"}, "reason": "rent arrears",
		"consent": map[string]any{"method": "verbal", "confirmed": true}, "privacy_notice_given": true})

	t.Setenv("LEDGER_KEYSTORE", "sqlite")
	t.Setenv("LEDGER_DATA_DIR", t.TempDir())
	t.Setenv("LEDGER_HTTP_ADDR", "127.0.0.1:0")
	err := serveFails(t)
	if err == nil || !strings.Contains(err.Error(), "keystore: postgres") {
		t.Fatalf("serve on KurrentDB with its own keys.db: %v, want a refusal naming keystore: postgres", err)
	}
}
