package main

// The coordinator's pages for every role (R-UI-2, R-VIEW-3, R-PRIV-2/5/6):
// each answers as the API's rule for the same data says, and the
// navigation offers each page exactly to those it lets in.

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestWebCoordinatorPagesByRole_UI2_VIEW3_PRIV2: the overdue page is the
// coordinator's and the org leads' (GET /v1/overdue); organisations, users,
// the erasure requests' list, subject access and retention the
// coordinator's alone; an erasure request's page also for the caseworkers
// of the organisation that passed it on;
// an organisation's page everyone's (GET /v1/organisations/{id}); the
// erasure request form is for the caseworkers of an organisation that knows
// the client, not found for any other organisation, refused to its other
// roles, as POST /v1/clients/{id}/erasure-requests answers.
func TestWebCoordinatorPagesByRole_UI2_VIEW3_PRIV2(t *testing.T) {
	n := newRolesNetwork(t)
	ann := n.signIn(t, "ann", annPassword)
	_, client := n.referralFor(t, ann, "Rola Roles")
	ben := n.signIn(t, "ben", benPassword)
	req := n.must(t, 201, "POST", "/v1/clients/"+client+"/erasure-requests", ben, map[string]any{"reason": "asked in person"})
	coordinator := []domain.Role{domain.RoleCoordinator}
	checkPageRoles(t, n, []pageRule{
		{Path: "/overdue", Allowed: []domain.Role{domain.RoleCoordinator, domain.RoleOrgLead}, Denied: http.StatusForbidden, Nav: true},
		{Path: "/overdue.csv", Allowed: []domain.Role{domain.RoleCoordinator, domain.RoleOrgLead}, Denied: http.StatusForbidden},
		{Path: "/organisations", Allowed: coordinator, Denied: http.StatusForbidden, Nav: true},
		{Path: "/organisations/new", Allowed: coordinator, Denied: http.StatusForbidden},
		{Path: "/organisations/" + n.orgB, Allowed: allRoles},
		{Path: "/users", Allowed: coordinator, Denied: http.StatusForbidden, Nav: true},
		{Path: "/erasure-requests", Allowed: coordinator, Denied: http.StatusForbidden, Nav: true},
		{Path: "/subject-access", Allowed: coordinator, Denied: http.StatusForbidden},
		{Path: "/clients/" + client + "/subject-access", Allowed: coordinator, Denied: http.StatusForbidden},
		{Path: "/clients/" + client + "/subject-access.json", Allowed: coordinator, Denied: http.StatusForbidden},
		{Path: "/retention", Allowed: coordinator, Denied: http.StatusForbidden, Nav: true},
	})

	// An erasure request's page: the coordinator, who decides it, and the
	// caseworkers of the organisation that passed it on (Housing Trust's
	// roles here), who see where it stands, as GET
	// /v1/erasure-requests/{id} answers; anyone else gets the 404 of a
	// request that does not exist (R-PRIV-2, R-LOCK-12).
	page := "/erasure-requests/" + req["id"].(string)
	for _, r := range allRoles {
		want := http.StatusNotFound
		if r == domain.RoleCoordinator || (!r.Network() && slices.Contains(caseworkerRoles, r)) {
			want = http.StatusOK
		}
		if p := n.as[r].get(page); p.status != want {
			t.Errorf("GET %s as %s = %d, want %d", page, r, p.status, want)
		}
	}

	// The erasure request form: the organisation roles are Housing
	// Trust's, which received the referral; the network roles the
	// coordinating body's, which never knew the client.
	ask := "/clients/" + client + "/erasure-request"
	for _, r := range allRoles {
		want := http.StatusOK
		switch {
		case r.Network():
			want = http.StatusNotFound
		case !slices.Contains(caseworkerRoles, r):
			want = http.StatusForbidden
		}
		if p := n.as[r].get(ask); p.status != want {
			t.Errorf("GET %s as %s = %d, want %d", ask, r, p.status, want)
		}
	}
	// The API answers the same to each of them.
	for _, r := range allRoles {
		token := n.signIn(t, "role-"+strings.ReplaceAll(string(r), "_", "-"), rolePassword)
		status, _ := n.call(t, "POST", "/v1/clients/"+client+"/erasure-requests", token, map[string]any{"reason": ""})
		page := n.as[r].get(ask).status
		if page == http.StatusOK {
			page = http.StatusUnprocessableEntity // allowed: the empty reason is what the API refuses
		}
		if status != page {
			t.Errorf("as %s the API answers %d, the page %d", r, status, page)
		}
	}
}
