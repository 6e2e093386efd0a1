package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// TestSeveralNodesLockWithdrawal_LOCK1_LOCK6_LOCK10_VIEW1: a lock or
// unlock request withdrawn on one node is seen withdrawn on the other on
// its very next read — the request itself, the service managers' queue and
// the locked-cases report (R-LOCK-1, R-LOCK-6, R-LOCK-10, R-VIEW-1) — and a
// withdrawal on one node of a request decided on the other is 409, with no
// second event on the client's stream.
func TestSeveralNodesLockWithdrawal_LOCK1_LOCK6_LOCK10_VIEW1(t *testing.T) {
	ctl, one, two := startTwoNodes(t, 13, "LEDGER_AUTH_MFA_REQUIRED_ROLES", "none")

	admin := one.signIn(t, "admin", adminPassword)
	a := one.must(t, 201, "POST", "/v1/organisations", admin, map[string]any{"name": "Advice Centre", "admin_email": "a@advice.example"})["id"].(string)
	b := one.must(t, 201, "POST", "/v1/organisations", admin, map[string]any{"name": "Housing Trust", "admin_email": "b@housing.example"})["id"].(string)
	const password = "Kestrel#Wing42"
	ids := map[string]string{}
	for _, u := range []struct{ name, org, role string }{
		{"ann", a, "adviser"}, {"bea", b, "adviser"}, {"tess", b, "team_manager"}, {"sam", b, "service_manager"},
	} {
		ids[u.name] = one.must(t, 201, "POST", "/v1/organisations/"+u.org+"/users", admin, map[string]any{"username": u.name,
			"display_name": u.name, "email": u.name + "@example.org", "roles": []string{u.role},
			"password": "Initial#Auk-2050"})["id"].(string)
		one.firstSignIn(t, u.name, "Initial#Auk-2050", password)
	}
	ann := one.signIn(t, "ann", password)
	client := one.must(t, 201, "POST", "/v1/referrals", ann, map[string]any{"to_organisation_id": b,
		"client": map[string]string{"name": "Client Person"}, "reason": "rent arrears",
		"consent": map[string]any{"method": "verbal", "confirmed": true}, "privacy_notice_given": true})["client_id"].(string)
	tess, sam := one.signIn(t, "tess", password), one.signIn(t, "sam", password)
	lockBody := map[string]any{"responsible_user_id": ids["bea"], "reason": "Staff member related.",
		"allow": []any{}, "deny": []any{}, "hide_notification": false}
	queued := func(n *node, req string) bool {
		t.Helper()
		for _, r := range n.must(t, 200, "GET", "/v1/lock-requests?status=requested", sam, nil)["requests"].([]any) {
			if r.(map[string]any)["id"] == req {
				return true
			}
		}
		return false
	}
	withdrawals := func() int {
		n := 0
		for _, e := range ctl.Stream("client-" + client) {
			if e.Type == "client.lock_request_withdrawn" {
				n++
			}
		}
		return n
	}

	// A lock request made on node 1 and withdrawn on node 2.
	req := one.must(t, 201, "POST", "/v1/clients/"+client+"/lock-requests", tess, lockBody)["id"].(string)
	if !queued(two, req) {
		t.Fatal("node 2's queue does not list the lock request made on node 1")
	}
	two.must(t, 200, "POST", "/v1/lock-requests/"+req+"/withdrawal", tess, map[string]any{"reason": "made in error"})
	if got := one.must(t, 200, "GET", "/v1/lock-requests/"+req, tess, nil)["status"]; got != "withdrawn" {
		t.Fatalf("after the withdrawal on node 2, node 1 shows the lock request %v", got)
	}
	if queued(one, req) {
		t.Fatal("after the withdrawal on node 2, node 1's queue still lists the request")
	}
	// Withdrawn again on node 1: a conflict, nothing recorded.
	one.must(t, 409, "POST", "/v1/lock-requests/"+req+"/withdrawal", tess, map[string]any{"reason": "again"})
	if n := withdrawals(); n != 1 {
		t.Fatalf("%d withdrawals on the client's stream, want 1", n)
	}

	// A lock request decided on node 1, then withdrawn on node 2: 409.
	req = one.must(t, 201, "POST", "/v1/clients/"+client+"/lock-requests", tess, lockBody)["id"].(string)
	one.must(t, 200, "POST", "/v1/lock-requests/"+req+"/decision", sam, map[string]any{"approve": true})
	two.must(t, 409, "POST", "/v1/lock-requests/"+req+"/withdrawal", tess, map[string]any{"reason": "too late"})
	if n := withdrawals(); n != 1 {
		t.Fatalf("%d withdrawals on the client's stream after a refused one, want 1", n)
	}

	// An unlock request made on node 2 and withdrawn on node 1: node 2's
	// locked-cases report no longer shows it asked for.
	unlockRequested := func(n *node) bool {
		t.Helper()
		for _, c := range n.must(t, 200, "GET", "/v1/locked-cases", tess, nil)["cases"].([]any) {
			if c := c.(map[string]any); c["client_id"] == client {
				return c["unlock_requested"] == true
			}
		}
		t.Fatalf("the locked case is not in the locked-cases report")
		return false
	}
	unlock := two.must(t, 201, "POST", "/v1/clients/"+client+"/unlock-requests", tess, map[string]any{"reason": "no longer needed"})["id"].(string)
	if !unlockRequested(one) {
		t.Fatal("node 1's locked-cases report does not show the unlock request made on node 2")
	}
	one.must(t, 200, "POST", "/v1/lock-requests/"+unlock+"/withdrawal", tess, map[string]any{"reason": "still needed"})
	if unlockRequested(two) {
		t.Fatal("after the withdrawal on node 1, node 2's locked-cases report still shows the unlock request")
	}
	if got := two.must(t, 200, "GET", "/v1/lock-requests/"+unlock, tess, nil)["status"]; got != "withdrawn" {
		t.Fatalf("after the withdrawal on node 1, node 2 shows the unlock request %v", got)
	}
	// The unlock request withdrawn on node 1, decided on node 2: 409.
	two.must(t, 409, "POST", "/v1/lock-requests/"+unlock+"/decision", sam, map[string]any{"approve": true})
	if n := withdrawals(); n != 2 {
		t.Fatalf("%d withdrawals on the client's stream, want 2", n)
	}
}

// TestSeveralNodesLockRequestETag_LEDGER2_LOCK10: the ETag of GET
// /v1/lock-requests/{id} is the revision of the client's stream whichever
// node answers, so one read on one node lets the withdrawal through on the
// other, and once the case moved on elsewhere it is stale there too: 412,
// nothing recorded (R-LEDGER-2, R-LOCK-10).
func TestSeveralNodesLockRequestETag_LEDGER2_LOCK10(t *testing.T) {
	ctl, one, two := startTwoNodes(t, 17, "LEDGER_AUTH_MFA_REQUIRED_ROLES", "none")
	admin := one.signIn(t, "admin", adminPassword)
	a := one.must(t, 201, "POST", "/v1/organisations", admin, map[string]any{"name": "Advice Centre", "admin_email": "a@advice.example"})["id"].(string)
	b := one.must(t, 201, "POST", "/v1/organisations", admin, map[string]any{"name": "Housing Trust", "admin_email": "b@housing.example"})["id"].(string)
	const password = "Kestrel#Wing42"
	ids := map[string]string{}
	for _, u := range []struct{ name, org, role string }{{"ann", a, "adviser"}, {"bea", b, "adviser"}, {"tess", b, "team_manager"}} {
		ids[u.name] = one.must(t, 201, "POST", "/v1/organisations/"+u.org+"/users", admin, map[string]any{"username": u.name,
			"display_name": u.name, "email": u.name + "@example.org", "roles": []string{u.role},
			"password": "Initial#Auk-2050"})["id"].(string)
		one.firstSignIn(t, u.name, "Initial#Auk-2050", password)
	}
	client := one.must(t, 201, "POST", "/v1/referrals", one.signIn(t, "ann", password), map[string]any{"to_organisation_id": b,
		"client": map[string]string{"name": "Client Person"}, "reason": "rent arrears",
		"consent": map[string]any{"method": "verbal", "confirmed": true}, "privacy_notice_given": true})["client_id"].(string)
	tess := one.signIn(t, "tess", password)
	body := map[string]any{"responsible_user_id": ids["bea"], "reason": "Staff member related.", "allow": []any{}, "deny": []any{}}
	do := func(n *node, method, path, etag string, body any) (int, string) {
		t.Helper()
		var r io.Reader
		if body != nil {
			raw, _ := json.Marshal(body)
			r = bytes.NewReader(raw)
		}
		req, _ := http.NewRequest(method, n.base+path, r)
		req.Header.Set("Authorization", "Bearer "+tess)
		req.Header.Set("Content-Type", "application/json")
		if etag != "" {
			req.Header.Set("If-Match", etag)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode, res.Header.Get("ETag")
	}
	appended := func() int { return len(ctl.Stream("client-" + client)) }

	first := one.must(t, 201, "POST", "/v1/clients/"+client+"/lock-requests", tess, body)["id"].(string)
	_, onOne := do(one, "GET", "/v1/lock-requests/"+first, "", nil)
	_, onTwo := do(two, "GET", "/v1/lock-requests/"+first, "", nil)
	if onOne == "" || onOne != onTwo {
		t.Fatalf("ETag on node 1 %q, on node 2 %q: want one, the same", onOne, onTwo)
	}
	if status, _ := do(two, "POST", "/v1/lock-requests/"+first+"/withdrawal", onOne, map[string]any{"reason": "wrong case"}); status != 200 {
		t.Fatalf("withdrawal on node 2 with node 1's ETag: %d", status)
	}

	second := two.must(t, 201, "POST", "/v1/clients/"+client+"/lock-requests", tess, body)["id"].(string)
	_, stale := do(two, "GET", "/v1/lock-requests/"+second, "", nil)
	// The case moves on on node 1: an erasure request on the client's stream.
	one.must(t, 201, "POST", "/v1/clients/"+client+"/erasure-requests", one.signIn(t, "bea", password), map[string]any{"reason": "asked"})
	before := appended()
	if status, _ := do(one, "POST", "/v1/lock-requests/"+second+"/withdrawal", stale, map[string]any{"reason": "not needed"}); status != 412 {
		t.Fatalf("withdrawal on node 1 with an ETag read before the case moved on: %d, want 412", status)
	}
	if n := appended(); n != before {
		t.Fatalf("a refused withdrawal recorded %d events", n-before)
	}
	_, fresh := do(two, "GET", "/v1/lock-requests/"+second, "", nil)
	if status, _ := do(one, "POST", "/v1/lock-requests/"+second+"/withdrawal", fresh, map[string]any{"reason": "not needed"}); status != 200 {
		t.Fatalf("withdrawal on node 1 with node 2's fresh ETag: %d", status)
	}
}

// TestSeveralNodesWithdrawalRacesDecision_LOCK1_LOCK10: a service manager
// approves a lock request on node 1 while its team manager withdraws it on
// node 2; the withdrawal reaches the log first, the approval's append then
// meets the moved stream and is answered 409, so the request is withdrawn
// once and never also approved (R-LOCK-1, R-LOCK-10, R-LEDGER-2).
func TestSeveralNodesWithdrawalRacesDecision_LOCK1_LOCK10(t *testing.T) {
	ctl, one, two := startTwoNodes(t, 19, "LEDGER_AUTH_MFA_REQUIRED_ROLES", "none")
	admin := one.signIn(t, "admin", adminPassword)
	a := one.must(t, 201, "POST", "/v1/organisations", admin, map[string]any{"name": "Advice Centre", "admin_email": "a@advice.example"})["id"].(string)
	b := one.must(t, 201, "POST", "/v1/organisations", admin, map[string]any{"name": "Housing Trust", "admin_email": "b@housing.example"})["id"].(string)
	const password = "Kestrel#Wing42"
	ids := map[string]string{}
	for _, u := range []struct{ name, org, role string }{{"ann", a, "adviser"}, {"bea", b, "adviser"},
		{"tess", b, "team_manager"}, {"sam", b, "service_manager"}} {
		ids[u.name] = one.must(t, 201, "POST", "/v1/organisations/"+u.org+"/users", admin, map[string]any{"username": u.name,
			"display_name": u.name, "email": u.name + "@example.org", "roles": []string{u.role},
			"password": "Initial#Auk-2050"})["id"].(string)
		one.firstSignIn(t, u.name, "Initial#Auk-2050", password)
	}
	client := one.must(t, 201, "POST", "/v1/referrals", one.signIn(t, "ann", password), map[string]any{"to_organisation_id": b,
		"client": map[string]string{"name": "Client Person"}, "reason": "rent arrears",
		"consent": map[string]any{"method": "verbal", "confirmed": true}, "privacy_notice_given": true})["client_id"].(string)
	tess, sam := one.signIn(t, "tess", password), one.signIn(t, "sam", password)
	req := one.must(t, 201, "POST", "/v1/clients/"+client+"/lock-requests", tess, map[string]any{"responsible_user_id": ids["bea"],
		"reason": "Staff member related.", "allow": []any{}, "deny": []any{}})["id"].(string)
	two.must(t, 200, "GET", "/v1/lock-requests/"+req, tess, nil)

	// Only the client's stream: the nodes append sessions and access log
	// batches meanwhile, and holding one of those instead would let the
	// approval through first.
	reached, release := ctl.HoldNextAppendTo("client-" + client)
	defer release()
	decided := make(chan int, 1)
	go func() {
		status, _ := one.call(t, "POST", "/v1/lock-requests/"+req+"/decision", sam, map[string]any{"approve": true})
		decided <- status
	}()
	<-reached // the approval's append waits at the log
	two.must(t, 200, "POST", "/v1/lock-requests/"+req+"/withdrawal", tess, map[string]any{"reason": "made in error"})
	release()
	if status := <-decided; status != 409 {
		t.Fatalf("the approval that lost the race: %d, want 409", status)
	}
	var types []string
	for _, e := range ctl.Stream("client-" + client) {
		switch e.Type {
		case "client.lock_approved", "client.lock_refused", "client.lock_request_withdrawn":
			types = append(types, e.Type)
		}
	}
	if len(types) != 1 || types[0] != "client.lock_request_withdrawn" {
		t.Fatalf("the client's stream holds %v, want one withdrawal", types)
	}
	if got := one.must(t, 200, "GET", "/v1/lock-requests/"+req, tess, nil)["status"]; got != "withdrawn" {
		t.Fatalf("node 1 shows the request %v", got)
	}
}
