package http

import (
	"net/http"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestLockRequestQueue_LOCK6_LOCK10: GET /v1/lock-requests lists the
// requests waiting for the calling service manager: their organisation's
// lock and unlock requests, never one they made themselves, nothing of
// another organisation; other roles are refused.
func TestLockRequestQueue_LOCK6_LOCK10(t *testing.T) {
	n := newLockNet(t)
	otherSM := n.addUser(t, n.OrgA, "service.a", domain.RoleServiceManager)
	// The requester holds both manager roles: the request is not theirs to decide.
	both := n.addUser(t, n.OrgB, "both.b", domain.RoleTeamManager, domain.RoleServiceManager)

	queue := func(u testUser) []any {
		t.Helper()
		r := want(t, n.do(t, http.MethodGet, "/v1/lock-requests?status=requested", u.Token, nil), http.StatusOK)
		l, _ := r.get("requests").([]any)
		return l
	}
	if l := queue(n.ServiceManager); len(l) != 0 {
		t.Fatalf("queue before any request: %v", l)
	}
	req := want(t, n.do(t, http.MethodPost, "/v1/clients/"+n.Client+"/lock-requests", both.Token, map[string]any{
		"responsible_user_id": n.AdviserB.ID, "reason": "Risk from a member of staff.", "allow": []any{}, "deny": []any{}}), http.StatusCreated).str("id")

	l := queue(n.ServiceManager)
	if len(l) != 1 {
		t.Fatalf("the service manager's queue: %v", l)
	}
	item := l[0].(map[string]any)
	if item["id"] != req || item["kind"] != "lock" || item["client_id"] != n.Client || item["requested_by"] != both.ID ||
		item["reason"] != "Risk from a member of staff." || item["responsible_user_id"] != n.AdviserB.ID {
		t.Fatalf("the queued request: %v", item)
	}
	if l := queue(both); len(l) != 0 {
		t.Fatalf("the requester's own queue lists their request: %v", l)
	}
	if l := queue(otherSM); len(l) != 0 {
		t.Fatalf("another organisation's service manager sees the request: %v", l)
	}
	for _, u := range []testUser{n.TeamManager, n.AdviserB, n.HelpdeskB, n.Admin, n.Auditor} {
		if r := n.do(t, http.MethodGet, "/v1/lock-requests", u.Token, nil); r.Status != http.StatusForbidden {
			t.Errorf("GET /v1/lock-requests as %s: %d", u.Username, r.Status)
		}
	}
	if r := n.do(t, http.MethodGet, "/v1/lock-requests?status=locked", n.ServiceManager.Token, nil); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("an unknown status: %d", r.Status)
	}

	want(t, n.do(t, http.MethodPost, "/v1/lock-requests/"+req+"/decision", n.ServiceManager.Token, map[string]any{"approve": true}), http.StatusOK)
	if l := queue(n.ServiceManager); len(l) != 0 {
		t.Fatalf("a decided request is still queued: %v", l)
	}
	unlock := want(t, n.do(t, http.MethodPost, "/v1/clients/"+n.Client+"/unlock-requests", n.TeamManager.Token,
		map[string]any{"reason": "The risk has passed."}), http.StatusCreated).str("id")
	for _, u := range []testUser{n.ServiceManager, both} {
		l := queue(u)
		if len(l) != 1 || l[0].(map[string]any)["id"] != unlock || l[0].(map[string]any)["kind"] != "unlock" {
			t.Fatalf("%s's queue with an unlock request: %v", u.Username, l)
		}
	}
}

// TestLockRequestReasonReadLogged_LOCK9 (R-LOCK-9): the reason of a lock
// or unlock request is the client's data, sealed under their key. The
// service manager who reads it to decide — in GET /v1/lock-requests or on
// the request's page — reads the case, and each read is in its access
// log: locked: true for an unlock request, whose case is locked, before
// the answer. The list of requests, which shows no reason, is no read.
func TestLockRequestReasonReadLogged_LOCK9(t *testing.T) {
	n := newLockNet(t, withWebPages())
	smWeb := n.web(t, n.ServiceManager)
	reasonReads := func(tb testing.TB) []accessLogEntry {
		tb.Helper()
		var out []accessLogEntry
		for _, e := range n.accessLogEntries(tb, n.Client) {
			if e.UserID == n.ServiceManager.ID {
				out = append(out, e)
			}
		}
		return out
	}
	check := func(tb testing.TB, got []accessLogEntry, endpoints []string, locked bool) {
		tb.Helper()
		if len(got) != len(endpoints) {
			tb.Fatalf("the service manager's reads in the access log: %+v, want %v", got, endpoints)
		}
		for i, e := range got {
			if e.Endpoint != endpoints[i] || e.Grant != "lock_decision" || e.Locked != locked || e.Reason != nil {
				tb.Fatalf("access log entry %d: %+v, want %s, grant lock_decision, locked %v", i, e, endpoints[i], locked)
			}
		}
	}

	lock := want(t, n.do(t, http.MethodPost, "/v1/clients/"+n.Client+"/lock-requests", n.TeamManager.Token, map[string]any{
		"responsible_user_id": n.AdviserB.ID, "reason": "Risk from a member of staff.", "allow": []any{}, "deny": []any{}}),
		http.StatusCreated).str("id")
	wantPage(t, smWeb.get("/lock-requests"), http.StatusOK)
	check(t, reasonReads(t), nil, false)
	wantPage(t, smWeb.get("/lock-requests/"+lock), http.StatusOK, "Risk from a member of staff.")
	r := want(t, n.do(t, http.MethodGet, "/v1/lock-requests", n.ServiceManager.Token, nil), http.StatusOK)
	if l, _ := r.get("requests").([]any); len(l) != 1 || l[0].(map[string]any)["reason"] != "Risk from a member of staff." {
		t.Fatalf("the queue: %s", r.Body)
	}
	check(t, reasonReads(t), []string{"GET /lock-requests/:id", "GET /v1/lock-requests"}, false)

	want(t, n.do(t, http.MethodPost, "/v1/lock-requests/"+lock+"/decision", n.ServiceManager.Token, map[string]any{"approve": true}), http.StatusOK)
	unlock := want(t, n.do(t, http.MethodPost, "/v1/clients/"+n.Client+"/unlock-requests", n.TeamManager.Token,
		map[string]any{"reason": "The risk has passed."}), http.StatusCreated).str("id")
	before := len(reasonReads(t))
	wantPage(t, smWeb.get("/lock-requests"), http.StatusOK)
	wantPage(t, smWeb.get("/lock-requests/"+unlock), http.StatusOK, "The risk has passed.")
	r = want(t, n.do(t, http.MethodGet, "/v1/lock-requests", n.ServiceManager.Token, nil), http.StatusOK)
	if l, _ := r.get("requests").([]any); len(l) != 1 || l[0].(map[string]any)["reason"] != "The risk has passed." {
		t.Fatalf("the queue: %s", r.Body)
	}
	check(t, reasonReads(t)[before:], []string{"GET /lock-requests/:id", "GET /v1/lock-requests"}, true)
	// The request on its own, where its 201's Location points.
	before = len(reasonReads(t))
	if got := want(t, n.do(t, http.MethodGet, "/v1/lock-requests/"+unlock, n.ServiceManager.Token, nil), http.StatusOK).str("reason"); got != "The risk has passed." {
		t.Fatalf("GET /v1/lock-requests/{id}: reason %q", got)
	}
	check(t, reasonReads(t)[before:], []string{"GET /v1/lock-requests/:id"}, true)
	want(t, n.do(t, http.MethodGet, "/v1/lock-requests/"+unlock, n.TeamManager.Token, nil), http.StatusOK)
	var mine []accessLogEntry
	for _, e := range n.accessLogEntries(t, n.Client) {
		if e.UserID == n.TeamManager.ID && e.Endpoint == "GET /v1/lock-requests/:id" {
			mine = append(mine, e)
		}
	}
	if len(mine) != 1 || mine[0].Grant != "lock_request" || !mine[0].Locked {
		t.Fatalf("the requester reading their request back: %+v, want one entry, grant lock_request, locked", mine)
	}
	wantPage(t, n.web(t, n.Auditor).get("/referrals/"+n.Referral+"/access-log"), http.StatusOK,
		"Read why a lock or unlock was asked for, to decide it", "A service manager deciding a lock or unlock request on the case")

}
