package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestWebOrgLeadPagesByRole_UI2_ORG3: the org lead's pages, for every role.
// Housing Trust's (orgB, the role users' own) are its org lead's and the
// coordinator's, as GET /v1/organisations/{id}/users and PATCH
// /v1/organisations/{id} are; another organisation's are the
// coordinator's alone; an organisation that does not exist is not found.
// "Your organisation" is in the navigation of org leads only, and takes
// them to their own organisation's users.
func TestWebOrgLeadPagesByRole_UI2_ORG3(t *testing.T) {
	n := newRolesNetwork(t)
	lead := []domain.Role{domain.RoleOrgLead, domain.RoleCoordinator}
	coordinator := []domain.Role{domain.RoleCoordinator}
	own := "/organisations/" + n.orgB
	other := "/organisations/" + n.orgA
	adviser := n.users[domain.RoleAdviser]
	checkPageRoles(t, n, []pageRule{
		{Path: own + "/users", Allowed: lead, Denied: http.StatusForbidden},
		{Path: own + "/users/new", Allowed: lead, Denied: http.StatusForbidden},
		{Path: own + "/users/" + adviser, Allowed: lead, Denied: http.StatusForbidden},
		{Path: own + "/users/" + adviser + "/close", Allowed: lead, Denied: http.StatusForbidden},
		{Path: own + "/users/" + adviser + "/password", Allowed: lead, Denied: http.StatusForbidden},
		{Path: own + "/intake", Allowed: lead, Denied: http.StatusForbidden},
		{Path: own + "/profile", Allowed: lead, Denied: http.StatusForbidden},
		{Path: other + "/users", Allowed: coordinator, Denied: http.StatusForbidden},
		{Path: other + "/users/new", Allowed: coordinator, Denied: http.StatusForbidden},
		{Path: other + "/intake", Allowed: coordinator, Denied: http.StatusForbidden},
		{Path: other + "/profile", Allowed: coordinator, Denied: http.StatusForbidden},
		{Path: "/organisations/00000000-0000-4000-8000-000000000000/users", Denied: http.StatusNotFound},
	})
	// A user the organisation does not have: not found to those who may
	// look, refused to the others, as the API's rule comes first.
	for _, r := range allRoles {
		want := http.StatusForbidden
		if r == domain.RoleOrgLead || r == domain.RoleCoordinator {
			want = http.StatusNotFound
		}
		if p := n.as[r].get(own + "/users/00000000-0000-4000-8000-000000000000"); p.status != want {
			t.Errorf("an unknown user as %s: %d, want %d", r, p.status, want)
		}
	}
	for _, r := range allRoles {
		b := n.as[r]
		nav := navLink.FindString(b.follow(b.get("/")).body)
		isLead := r == domain.RoleOrgLead
		if shown := strings.Contains(nav, `href="/organisation"`); shown != isLead {
			t.Errorf("the navigation of %s shows Your organisation: %v", r, shown)
		}
		p := b.get("/organisation")
		switch {
		case isLead && (p.status != http.StatusSeeOther || p.location != own+"/users"):
			t.Errorf("/organisation as the org lead: %d %q", p.status, p.location)
		case !isLead && p.status != http.StatusForbidden:
			t.Errorf("/organisation as %s: %d, want 403", r, p.status)
		}
	}
}
