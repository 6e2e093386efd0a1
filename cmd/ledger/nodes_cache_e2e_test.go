package main

import (
	"encoding/base64"
	"testing"

	"github.com/referral-ledger/ledger/eventstore/kurrentdb/kurrentdbtest"
	"github.com/referral-ledger/ledger/internal/pgtest"
)

// TestSeveralNodesEndAtOnce_AUTH3_AUTH6_LOCK2: each node answers sessions
// and folds cases from memory (issue 14), yet what is done on one node
// holds on the other on its very next request: a logout, a password
// change, a lock approved, a team move. Each session and case is used on
// node 1 first, so it is in node 1's caches when node 2 changes it.
func TestSeveralNodesEndAtOnce_AUTH3_AUTH6_LOCK2(t *testing.T) {
	esdb, _ := kurrentdbtest.Start(t)
	pg := pgtest.URL(t)
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i * 11)
	}
	t.Setenv("LEDGER_STORE", "kurrentdb")
	t.Setenv("LEDGER_KURRENTDB_URL", esdb)
	t.Setenv("LEDGER_KEYSTORE", "postgres")
	t.Setenv("LEDGER_POSTGRES_URL", pg)
	t.Setenv("LEDGER_MASTER_KEY", base64.StdEncoding.EncodeToString(key))
	t.Setenv("LEDGER_AUTH_MFA_REQUIRED_ROLES", "none")
	one := startNode(t, t.TempDir())
	t.Setenv("LEDGER_NOTIFY_ENABLED", "false")
	two := startNode(t, t.TempDir())

	admin := one.signIn(t, "admin", adminPassword)
	a := one.must(t, 201, "POST", "/v1/organisations", admin, map[string]any{"name": "Advice Centre", "admin_email": "a@advice.example"})["id"].(string)
	b := one.must(t, 201, "POST", "/v1/organisations", admin, map[string]any{"name": "Housing Trust", "admin_email": "b@housing.example"})["id"].(string)
	const password = "Kestrel#Wing42"
	ids := map[string]string{}
	for _, u := range []struct{ name, org, role, team string }{
		{"ann", a, "adviser", ""}, {"ben", b, "adviser", ""}, {"bea", b, "adviser", ""}, {"dora", b, "adviser", "Duty"},
		{"tess", b, "team_manager", ""}, {"sam", b, "service_manager", ""}, {"lee", b, "org_lead", ""},
	} {
		ids[u.name] = one.must(t, 201, "POST", "/v1/organisations/"+u.org+"/users", admin, map[string]any{"username": u.name,
			"display_name": u.name, "email": u.name + "@example.org", "roles": []string{u.role}, "team": u.team,
			"password": "Initial#Auk-2050"})["id"].(string)
		one.firstSignIn(t, u.name, "Initial#Auk-2050", password)
	}
	ann := one.signIn(t, "ann", password)
	ref := one.must(t, 201, "POST", "/v1/referrals", ann, map[string]any{"to_organisation_id": b,
		"client": map[string]string{"name": "Client Person"}, "reason": "rent arrears",
		"consent": map[string]any{"method": "verbal", "confirmed": true}, "privacy_notice_given": true})
	id, client := ref["id"].(string), ref["client_id"].(string)

	t.Run("logout on node 2", func(t *testing.T) {
		token := one.signIn(t, "ann", password)
		one.must(t, 200, "GET", "/v1/referrals/"+id, token, nil)
		two.must(t, 204, "DELETE", "/v1/sessions/current", token, nil)
		one.must(t, 401, "GET", "/v1/referrals/"+id, token, nil)
	})
	t.Run("password change on node 2", func(t *testing.T) {
		token, other := one.signIn(t, "ann", password), one.signIn(t, "ann", password)
		one.must(t, 200, "GET", "/v1/referrals/"+id, token, nil)
		one.must(t, 200, "GET", "/v1/referrals/"+id, other, nil)
		two.must(t, 204, "PUT", "/v1/users/me/password", other, map[string]string{"current_password": password, "new_password": "Another#Wing-Ledger9"})
		one.must(t, 401, "GET", "/v1/referrals/"+id, token, nil)
		one.must(t, 401, "GET", "/v1/referrals/"+id, other, nil)
	})
	t.Run("lock approved on node 2", func(t *testing.T) {
		ben, dora := one.signIn(t, "ben", password), one.signIn(t, "dora", password)
		one.must(t, 200, "GET", "/v1/referrals/"+id, ben, nil)
		one.must(t, 200, "GET", "/v1/referrals/"+id, dora, nil)
		tess, sam := two.signIn(t, "tess", password), two.signIn(t, "sam", password)
		req := two.must(t, 201, "POST", "/v1/clients/"+client+"/lock-requests", tess, map[string]any{"responsible_user_id": ids["bea"],
			"reason": "Staff member related.", "allow": []any{map[string]any{"team": "Duty"}}, "deny": []any{}, "hide_notification": true})
		two.must(t, 200, "POST", "/v1/lock-requests/"+req["id"].(string)+"/decision", sam, map[string]any{"approve": true})
		one.must(t, 404, "GET", "/v1/referrals/"+id, ben, nil)
		one.must(t, 404, "GET", "/v1/referrals/"+id+"/history", ben, nil)
		one.must(t, 200, "GET", "/v1/referrals/"+id, dora, nil)

		// Dora moved out of the allowed team on node 2.
		lee := two.signIn(t, "lee", password)
		two.must(t, 200, "PATCH", "/v1/organisations/"+b+"/users/"+ids["dora"], lee, map[string]any{"team": "Intake"})
		one.must(t, 404, "GET", "/v1/referrals/"+id, dora, nil)
		one.must(t, 404, "GET", "/v1/referrals/"+id+"/history", dora, nil)
	})
}
