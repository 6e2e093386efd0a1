package http

import (
	"net/http"
	"testing"

	"github.com/google/uuid"
)

// TestLockRequestReadNeedsTheTeamManagerRoleHeldNow_LOCK10_LOCK9: asking
// for a lock, reading the request back and taking it back are team
// managers' work (R-LOCK-10), judged on the roles held now, as its
// withdrawal is. The team manager who asked, moved by their org lead to
// adviser while it waits, no longer reads it, nor its reason, the client's
// data whose every read needs a ground (R-LOCK-9): GET
// /v1/lock-requests/{id} and its withdrawal page answer as for a request
// that does not exist. Given the role back, they read it, reason and all.
func TestLockRequestReadNeedsTheTeamManagerRoleHeldNow_LOCK10_LOCK9(t *testing.T) {
	n := newLockNet(t, withWebPages())
	request := n.requestLockOn(t, n.Client, nil)
	path := "/v1/lock-requests/" + request
	user := "/v1/organisations/" + n.OrgB + "/users/" + n.TeamManager.ID
	if got := want(t, n.do(t, http.MethodGet, path, n.TeamManager.Token, nil), http.StatusOK); got.str("reason") == "" {
		t.Fatalf("the team manager who asked reads their request without its reason: %s", got.Body)
	}
	web := n.web(t, n.TeamManager)
	page := "/lock-requests/" + request + "/withdraw"
	wantPage(t, web.get(page), http.StatusOK)

	want(t, n.do(t, http.MethodPatch, user, n.LeadB.Token, map[string]any{"roles": []string{"adviser"}}), http.StatusOK)
	n.sameAsUnknown(t, n.TeamManager, http.MethodGet, path, "/v1/lock-requests/"+uuid.NewString(), nil)
	wantPage(t, web.get(page), http.StatusNotFound)

	want(t, n.do(t, http.MethodPatch, user, n.LeadB.Token, map[string]any{"roles": []string{"team_manager"}}), http.StatusOK)
	if got := want(t, n.do(t, http.MethodGet, path, n.TeamManager.Token, nil), http.StatusOK); got.str("reason") == "" || got.str("status") != "requested" {
		t.Fatalf("given the role back, the team manager reads %s", got.Body)
	}
	wantPage(t, web.get(page), http.StatusOK)
}
