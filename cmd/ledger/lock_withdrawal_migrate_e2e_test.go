package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/eventstore/kurrentdb/kurrentdbtest"
	"github.com/referral-ledger/ledger/internal/pgtest"
	"github.com/referral-ledger/ledger/projections"
)

// TestWithdrawnRequestsThroughEveryStore_LOCK1_LOCK10_AUD3_OPS2_VIEW5: a
// data directory on the embedded store holding a lock request and an
// unlock request withdrawn (R-LOCK-1, R-LOCK-6, R-LOCK-10) gives a case
// bundle that verifies (R-AUD-3), passes `ledger verify`, gets the same
// answers after `ledger rebuild-views` (R-VIEW-5), and `ledger migrate
// --to kurrentdb` carries the withdrawals, so a node on KurrentDB shows
// both requests withdrawn (R-OPS-2).
func TestWithdrawnRequestsThroughEveryStore_LOCK1_LOCK10_AUD3_OPS2_VIEW5(t *testing.T) {
	pub := auditKeys(t)
	dir := t.TempDir()
	work := t.TempDir()
	const password = "Kestrel#Wing42"
	var ref, client, lockReq, unlockReq string
	// seen checks what a node shows of the withdrawn requests.
	seen := func(t *testing.T, n *node) {
		t.Helper()
		tess, sam := n.signIn(t, "tess", password), n.signIn(t, "sam", password)
		for _, req := range []string{lockReq, unlockReq} {
			if got := n.must(t, 200, "GET", "/v1/lock-requests/"+req, tess, nil)["status"]; got != "withdrawn" {
				t.Errorf("request %s is %v, want withdrawn", req, got)
			}
		}
		if q := n.must(t, 200, "GET", "/v1/lock-requests?status=requested", sam, nil)["requests"].([]any); len(q) != 0 {
			t.Errorf("the queue lists %v", q)
		}
		cases := n.must(t, 200, "GET", "/v1/locked-cases", tess, nil)["cases"].([]any)
		if len(cases) != 1 || cases[0].(map[string]any)["client_id"] != client || cases[0].(map[string]any)["unlock_requested"] != false {
			t.Errorf("locked cases %v, want the client's, no unlock requested", cases)
		}
	}
	t.Run("withdrawals on the embedded store", func(t *testing.T) {
		n := startNode(t, dir)
		ref = lifecycle(t, n)
		admin := n.signIn(t, "admin", adminPassword)
		b := orgOf(t, n, admin, ref)
		client = n.must(t, 200, "GET", "/v1/referrals/"+ref, admin, nil)["client_id"].(string)
		var bea string
		for _, u := range []struct{ name, role string }{{"bea", "adviser"}, {"tess", "team_manager"}, {"sam", "service_manager"}} {
			id := n.must(t, 201, "POST", "/v1/organisations/"+b+"/users", admin, map[string]any{"username": u.name,
				"display_name": u.name, "email": u.name + "@example.org", "roles": []string{u.role},
				"password": "Initial#Auk-2050"})["id"].(string)
			if u.name == "bea" {
				bea = id
			}
			n.firstSignIn(t, u.name, "Initial#Auk-2050", password)
		}
		tess, sam := n.signIn(t, "tess", password), n.signIn(t, "sam", password)
		body := map[string]any{"responsible_user_id": bea, "reason": "Staff member related.", "allow": []any{}, "deny": []any{}}
		lockReq = n.must(t, 201, "POST", "/v1/clients/"+client+"/lock-requests", tess, body)["id"].(string)
		n.must(t, 200, "POST", "/v1/lock-requests/"+lockReq+"/withdrawal", tess, map[string]any{"reason": "made in error"})
		again := n.must(t, 201, "POST", "/v1/clients/"+client+"/lock-requests", tess, body)["id"].(string)
		n.must(t, 200, "POST", "/v1/lock-requests/"+again+"/decision", sam, map[string]any{"approve": true})
		unlockReq = n.must(t, 201, "POST", "/v1/clients/"+client+"/unlock-requests", tess, map[string]any{"reason": "no longer needed"})["id"].(string)
		n.must(t, 200, "POST", "/v1/lock-requests/"+unlockReq+"/withdrawal", tess, map[string]any{"reason": "still needed"})
		seen(t, n)

		file := filepath.Join(work, "bundle.json")
		// The lock makes bea, its responsible person, the one to ask.
		fetchBundle(t, n, n.signIn(t, "bea", password), ref, "?decrypted=true", file)
		if code, out := auditCLI("verify-bundle", file, "--public-key", pub); code != 0 {
			t.Fatalf("the case bundle of a client with withdrawn requests: exit %d, %s", code, out)
		}
	})
	t.Setenv("LEDGER_DATA_DIR", dir)
	t.Run("ledger verify", func(t *testing.T) {
		var out bytes.Buffer
		if err := run2(t, []string{"verify"}, &out); err != nil || !strings.HasPrefix(out.String(), "OK:") {
			t.Fatalf("verify: %v %s", err, out.String())
		}
	})
	t.Run("ledger rebuild-views", func(t *testing.T) {
		var out bytes.Buffer
		if err := run2(t, []string{"rebuild-views"}, &out); err != nil {
			t.Fatalf("rebuild-views: %v %s", err, out.String())
		}
		seen(t, startNode(t, dir))
	})
	t.Run("views.db of schema 3 upgraded", func(t *testing.T) {
		// What schema 3 wrote: the statistics' lock requests without the
		// times each lock was approved and lifted.
		path := filepath.Join(dir, projections.ViewsFile)
		views, err := projections.OpenViews(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			`CREATE TABLE stat_lock_requests_3 (request BLOB PRIMARY KEY, organisation BLOB NOT NULL, at INTEGER,
				status INTEGER NOT NULL) WITHOUT ROWID`,
			`INSERT INTO stat_lock_requests_3 SELECT request, organisation, at, status FROM stat_lock_requests`,
			`DROP TABLE stat_lock_requests`,
			`ALTER TABLE stat_lock_requests_3 RENAME TO stat_lock_requests`,
			`CREATE INDEX stat_lock_requests_at ON stat_lock_requests (at)`,
			`PRAGMA user_version = 3`,
		} {
			if _, err := views.DB().Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		views.Close()
		n := startNode(t, dir)
		seen(t, n)
		stats := n.must(t, 200, "GET", "/v1/statistics", n.signIn(t, "admin", adminPassword), nil)
		if raw, _ := json.Marshal(stats); !strings.Contains(string(raw), "lock_requests") {
			t.Fatalf("statistics after the upgrade: %s", raw)
		}
	})

	esdb, ctl := kurrentdbtest.Start(t)
	t.Setenv("LEDGER_DATA_DIR", dir)
	t.Run("ledger migrate --to kurrentdb", func(t *testing.T) {
		var out bytes.Buffer
		if err := run2(t, []string{"migrate", "--to", "kurrentdb", "--kurrentdb-url", esdb}, &out); err != nil {
			t.Fatalf("migrate: %v\n%s", err, out.String())
		}
		n := 0
		for _, e := range ctl.Stream("client-" + client) {
			if e.Type == "client.lock_request_withdrawn" {
				n++
			}
		}
		if n != 2 {
			t.Fatalf("KurrentDB holds %d withdrawals of the client, want 2", n)
		}
	})
	t.Setenv("LEDGER_STORE", "kurrentdb")
	t.Setenv("LEDGER_KURRENTDB_URL", esdb)
	t.Run("ledger verify on KurrentDB", func(t *testing.T) {
		var out bytes.Buffer
		if err := run2(t, []string{"verify"}, &out); err != nil || !strings.Contains(out.String(), "OK:") {
			t.Fatalf("verify: %v %s", err, out.String())
		}
	})
	t.Setenv("LEDGER_POSTGRES_URL", pgtest.URL(t))
	t.Setenv("LEDGER_MASTER_KEY_FILE", filepath.Join(dir, "master.key"))
	t.Run("a node on KurrentDB shows the requests withdrawn", func(t *testing.T) {
		var out bytes.Buffer
		if err := run2(t, []string{"migrate", "--to", "postgres"}, &out); err != nil {
			t.Fatalf("migrate --to postgres: %v %s", err, out.String())
		}
		t.Setenv("LEDGER_KEYSTORE", "postgres")
		seen(t, startNode(t, t.TempDir()))
	})
}
