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
