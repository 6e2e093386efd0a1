package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestSeveralNodesEndAtOnce_AUTH3_AUTH6_LOCK2: each node answers sessions
// and folds cases from memory (issue 14), yet what is done on one node
// holds on the other on its very next request: an erasure (R-PRIV-3,
// R-PRIV-8: the referral, its history, subject access and an idempotent
// replay), a logout, a password change, a one-time password set by an org
// lead, a lock approved, a team move. Each session and case is used on
// node 1 first, so it is in node 1's caches when node 2 changes it.
func TestSeveralNodesEndAtOnce_AUTH3_AUTH6_LOCK2(t *testing.T) {
	_, one, two := startTwoNodes(t, 11, "LEDGER_AUTH_MFA_REQUIRED_ROLES", "none")

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

	t.Run("erasure on node 2", func(t *testing.T) {
		ann := one.signIn(t, "ann", password)
		body := map[string]any{"to_organisation_id": b, "client": map[string]string{"name": "Erin Qz9warm"},
			"reason": "Qz9 rent arrears", "consent": map[string]any{"method": "verbal", "confirmed": true}, "privacy_notice_given": true}
		made := one.mustKeyed(t, 201, "/v1/referrals", ann, "warm-1", body)
		rid, cid := made["id"].(string), made["client_id"].(string)
		if raw, _ := json.Marshal(made); !strings.Contains(string(raw), "Qz9") {
			t.Fatalf("the first answer should hold the client's data: %s", raw)
		}
		one.must(t, 201, "POST", "/v1/referrals/"+rid+"/notes", ann, map[string]any{"text": "Qz9 rang"})
		one.must(t, 200, "GET", "/v1/referrals/"+rid, ann, nil)
		one.must(t, 200, "GET", "/v1/referrals/"+rid+"/history", ann, nil)
		req := two.must(t, 201, "POST", "/v1/clients/"+cid+"/erasure-requests", two.signIn(t, "ann", password),
			map[string]any{"reason": "asked"})["id"].(string)
		two.must(t, 200, "POST", "/v1/erasure-requests/"+req+"/decision", two.signIn(t, "admin", adminPassword), map[string]any{"carry_out": true})
		for what, got := range map[string]map[string]any{
			"referral":       one.must(t, 200, "GET", "/v1/referrals/"+rid, ann, nil),
			"history":        one.must(t, 200, "GET", "/v1/referrals/"+rid+"/history", ann, nil),
			"subject access": one.must(t, 200, "GET", "/v1/clients/"+cid+"/subject-access", admin, nil),
			"replay":         one.mustKeyed(t, 201, "/v1/referrals", ann, "warm-1", body),
		} {
			if raw, _ := json.Marshal(got); strings.Contains(string(raw), "Qz9") {
				t.Errorf("node 1's %s after the erasure on node 2 holds the client's data: %s", what, raw)
			}
		}
	})
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
		// The session that changed it goes on, on every node (R-AUTH-6:
		// every *other* session ends).
		one.must(t, 200, "GET", "/v1/referrals/"+id, other, nil)
		two.must(t, 200, "GET", "/v1/referrals/"+id, other, nil)
	})
	t.Run("one-time password set on node 2", func(t *testing.T) {
		// Bea forgot her password: her lead sets a one-time one on node 2.
		// Her sessions in node 1's cache end, and she must change it
		// before anything else (R-AUTH-6).
		token, other := one.signIn(t, "bea", password), one.signIn(t, "bea", password)
		one.must(t, 200, "GET", "/v1/referrals/"+id, token, nil)
		one.must(t, 200, "GET", "/v1/directory", other, nil)
		two.must(t, 204, "PUT", "/v1/organisations/"+b+"/users/"+ids["bea"]+"/password", two.signIn(t, "lee", password),
			map[string]string{"password": "Lantern#Otter-Path58"})
		one.must(t, 401, "GET", "/v1/referrals/"+id, token, nil)
		one.must(t, 401, "GET", "/v1/directory", other, nil)
		reset := one.must(t, 201, "POST", "/v1/sessions", "", map[string]string{"username": "bea", "password": "Lantern#Otter-Path58"})
		if reset["password_change_due"] != true {
			t.Fatalf("password_change_due %v after the reset", reset["password_change_due"])
		}
		one.must(t, 403, "GET", "/v1/referrals/"+id, reset["token"].(string), nil)
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

// mustKeyed posts body to path with an Idempotency-Key (postWithKey) and
// fails unless the answer has status want.
func (n *node) mustKeyed(t *testing.T, want int, path, token, key string, body any) map[string]any {
	t.Helper()
	status, out := n.postWithKey(t, path, token, key, body)
	if status != want {
		t.Fatalf("POST %s = %d, want %d: %v", path, status, want, out)
	}
	return out
}
