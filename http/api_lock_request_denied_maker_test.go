package http

import (
	"net/http"
	"testing"

	"github.com/google/uuid"
)

// TestLockRequestReadRefusedToAMakerItsDenyListNames_LOCK2_LOCK9: the team
// manager who asked for a lock, moved by their org lead into a team the
// request's deny list names while it waits, may no longer withdraw it
// (R-LOCK-10), and no longer reads it either: its reason is the client's
// data, which the lock being asked for keeps them from (R-LOCK-2,
// R-LOCK-9). GET /v1/lock-requests/{id} and the withdrawal page answer as
// for a request that does not exist. Moved out of that team, they read it
// again.
func TestLockRequestReadRefusedToAMakerItsDenyListNames_LOCK2_LOCK9(t *testing.T) {
	n := newLockNet(t, withWebPages())
	request := n.requestLockOn(t, n.Client, map[string]any{"deny": []map[string]any{{"team": "Duty"}}})
	path := "/v1/lock-requests/" + request
	user := "/v1/organisations/" + n.OrgB + "/users/" + n.TeamManager.ID
	web := n.web(t, n.TeamManager)
	page := "/lock-requests/" + request + "/withdraw"
	if got := want(t, n.do(t, http.MethodGet, path, n.TeamManager.Token, nil), http.StatusOK); got.str("reason") == "" {
		t.Fatalf("the team manager who asked reads their request without its reason: %s", got.Body)
	}

	want(t, n.do(t, http.MethodPatch, user, n.LeadB.Token, map[string]any{"team": "duty"}), http.StatusOK)
	n.sameAsUnknown(t, n.TeamManager, http.MethodGet, path, "/v1/lock-requests/"+uuid.NewString(), nil)
	wantPage(t, web.get(page), http.StatusNotFound)
	before := n.head(t)
	if status := n.do(t, http.MethodPost, path+"/withdrawal", n.TeamManager.Token, map[string]any{"reason": "not needed"}).Status; status < 400 {
		t.Fatalf("a withdrawal by a team manager the request's deny list names: %d", status)
	}
	if after := n.head(t); after != before {
		t.Fatalf("a refused withdrawal recorded something: head %d → %d", before, after)
	}

	want(t, n.do(t, http.MethodPatch, user, n.LeadB.Token, map[string]any{"team": "intake"}), http.StatusOK)
	if got := want(t, n.do(t, http.MethodGet, path, n.TeamManager.Token, nil), http.StatusOK); got.str("reason") == "" || got.str("status") != "requested" {
		t.Fatalf("moved out of the denied team, the team manager reads %s", got.Body)
	}
	wantPage(t, web.get(page), http.StatusOK)
}
