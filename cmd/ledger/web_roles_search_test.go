package main

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestWebSearchAndAuditPagesByRole_UI2_AUTH4: the search page is every
// signed-in person's, in everyone's navigation; a case's page, its history
// and access log pages answer each role exactly as GET /v1/referrals/{id}/history
// and GET /v1/clients/{id}/access-log answer them (and the referral page
// as GET /v1/referrals/{id}) (R-AUTH-4, R-LOCK-9):
// on a case none of the role users' organisation is party to, only the
// coordinator and the auditor get in, everyone else "not found"; on their
// own organisation's case, everyone it involves reads the history and only
// the coordinator and the auditor the access log (403 to the rest).
func TestWebSearchAndAuditPagesByRole_UI2_AUTH4(t *testing.T) {
	n := newRolesNetwork(t)
	orgD := n.must(t, 201, "POST", "/v1/organisations", n.admin, map[string]any{"name": "Food Bank",
		"admin_email": "d@food.example", "services": []any{}})["id"].(string)
	ann := n.signIn(t, "ann", annPassword)
	makeTo := func(org, client string) (string, string) {
		r := n.must(t, 201, "POST", "/v1/referrals", ann, map[string]any{"to_organisation_id": org,
			"client": map[string]string{"name": client, "date_of_birth": "1980-03-27"}, "reason": "rent arrears",
			"consent": map[string]any{"method": "written", "confirmed": true}, "privacy_notice_given": true})
		return r["id"].(string), r["client_id"].(string)
	}
	other, otherClient := makeTo(orgD, "Other Client")
	own, ownClient := makeTo(n.orgB, "Own Client")
	networkWide := []domain.Role{domain.RoleCoordinator, domain.RoleAuditor}
	checkPageRoles(t, n, []pageRule{
		{Path: "/search", Allowed: allRoles, Nav: true},
		{Path: "/search?status=made&made-from=1%201%202026", Allowed: allRoles},
		{Path: "/referrals/" + other + "/history", Allowed: networkWide, Denied: http.StatusNotFound},
		{Path: "/referrals/" + other + "/history?revision=0", Allowed: networkWide, Denied: http.StatusNotFound},
		{Path: "/referrals/" + other + "/access-log", Allowed: networkWide, Denied: http.StatusNotFound},
	})

	// The same answers as the API, role by role, on both cases.
	for _, r := range allRoles {
		token := n.signIn(t, "role-"+strings.ReplaceAll(string(r), "_", "-"), rolePassword)
		for _, c := range []struct{ page, api string }{
			{"/referrals/" + other, "/v1/referrals/" + other},
			{"/referrals/" + own, "/v1/referrals/" + own},
			{"/referrals/" + other + "/history", "/v1/referrals/" + other + "/history"},
			{"/referrals/" + own + "/history", "/v1/referrals/" + own + "/history"},
			{"/referrals/" + other + "/access-log", "/v1/clients/" + otherClient + "/access-log"},
			{"/referrals/" + own + "/access-log", "/v1/clients/" + ownClient + "/access-log"},
		} {
			api, _ := n.call(t, "GET", c.api, token, nil)
			if p := n.as[r].get(c.page); p.status != api {
				t.Errorf("GET %s as %s = %d; the API answers %s with %d", c.page, r, p.status, c.api, api)
			}
		}
		p := n.as[r].get("/referrals/" + own + "/access-log")
		want := http.StatusForbidden
		switch {
		case slices.Contains(networkWide, r):
			want = http.StatusOK
		case r.Network(): // system support, emergency duty: not party to the case
			want = http.StatusNotFound
		}
		if p.status != want {
			t.Errorf("the access log of their organisation's case as %s = %d, want %d", r, p.status, want)
		}
	}
	wantStatus(t, n.as[domain.RoleAuditor].get("/referrals/00000000-0000-0000-0000-000000000000/history"), http.StatusNotFound)
	wantStatus(t, n.as[domain.RoleAuditor].get("/referrals/00000000-0000-0000-0000-000000000000/access-log"), http.StatusNotFound)
	wantStatus(t, n.as[domain.RoleAuditor].get("/referrals/not-an-id/history"), http.StatusNotFound)
}
