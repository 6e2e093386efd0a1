package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestWebLockPagesByRole_UI2_LOCK10: the case-locking pages, for every
// role (R-UI-2): the locked-cases report for managers and the coordinator,
// the queue for service managers, the review and unlock forms for team
// managers, the end of a serious case review for service managers, temporary access for the responsible person, messages for the
// roles a case can be locked to, passing information for anyone, in the
// navigation of the helpdesk.
func TestWebLockPagesByRole_UI2_LOCK10(t *testing.T) {
	n := newRolesNetwork(t)
	ann := n.signIn(t, "ann", annPassword)
	tm, sm := n.signIn(t, "role-team-manager", rolePassword), n.signIn(t, "role-service-manager", rolePassword)
	referral := func() string {
		ref := n.must(t, 201, "POST", "/v1/referrals", ann, map[string]any{"to_organisation_id": n.orgB, "urgent": false,
			"client": map[string]string{"name": "Client Person"}, "reason": "rent arrears",
			"consent": map[string]any{"method": "written", "confirmed": true}, "privacy_notice_given": true})
		return n.must(t, 200, "GET", "/v1/referrals/"+ref["id"].(string), tm, nil)["client_id"].(string)
	}
	locked, open, reviewed := referral(), referral(), referral()
	for _, client := range []string{locked, reviewed} {
		req := n.must(t, 201, "POST", "/v1/clients/"+client+"/lock-requests", tm, map[string]any{
			"responsible_user_id": n.users[domain.RoleAdviser], "reason": "Staff member related.", "allow": []any{}, "deny": []any{},
			"serious_case_review": client == reviewed})
		n.must(t, 200, "POST", "/v1/lock-requests/"+req["id"].(string)+"/decision", sm, map[string]any{"approve": true})
	}
	unlock := n.must(t, 201, "POST", "/v1/clients/"+locked+"/unlock-requests", tm, map[string]any{"reason": "The risk has passed."})

	managers := []domain.Role{domain.RoleTeamManager, domain.RoleServiceManager}
	checkPageRoles(t, n, []pageRule{
		{Path: "/locked-cases", Allowed: append(slices.Clone(managers), domain.RoleCoordinator), Denied: 403, Nav: true},
		{Path: "/lock-requests", Allowed: []domain.Role{domain.RoleServiceManager}, Denied: 403, Nav: true},
		{Path: "/lock-requests/" + unlock["id"].(string), Allowed: []domain.Role{domain.RoleServiceManager}, Denied: 403},
		{Path: "/clients/" + open + "/lock-request", Allowed: []domain.Role{domain.RoleTeamManager}, Denied: 403},
		{Path: "/locked-cases/" + locked + "/review", Allowed: []domain.Role{domain.RoleTeamManager}, Denied: 403},
		{Path: "/locked-cases/" + locked + "/unlock", Allowed: []domain.Role{domain.RoleTeamManager}, Denied: 403},
		{Path: "/locked-cases/" + reviewed + "/serious-case-review", Allowed: []domain.Role{domain.RoleServiceManager}, Denied: 403},
		{Path: "/clients/" + locked + "/temporary-access", Allowed: []domain.Role{domain.RoleAdviser}, Denied: 403},
		{Path: "/messages", Allowed: caseworkerRoles, Denied: 403, Nav: true},
		{Path: "/pass-information", Allowed: allRoles},
	})
	for _, r := range allRoles {
		nav := navLink.FindString(n.as[r].follow(n.as[r].get("/")).body)
		if got := strings.Contains(nav, `href="/pass-information"`); got != (r == domain.RoleHelpdesk) {
			t.Errorf("the navigation of %s shows Pass information: %v", r, got)
		}
	}
	// A lock request on a case already locked is refused as the API refuses it.
	wantStatus(t, n.as[domain.RoleTeamManager].get("/clients/"+locked+"/lock-request"), 409, "already locked")
}
