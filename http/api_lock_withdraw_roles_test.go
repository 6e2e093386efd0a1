package http

import (
	"net/http"
	"testing"
)

// TestWithdrawalNeedsTheTeamManagerRoleHeldNow_LOCK10: withdrawing a lock
// request is team managers' work (R-LOCK-10), judged on the roles the
// caller holds now. The team manager who asked for the lock, moved by
// their org lead to adviser while it waits, may no longer take it back:
// 403 and nothing recorded, the request still waiting for its service
// manager. Given the role back, they may.
func TestWithdrawalNeedsTheTeamManagerRoleHeldNow_LOCK10(t *testing.T) {
	n := newLockNet(t)
	request := n.requestLockOn(t, n.Client, nil)
	user := "/v1/organisations/" + n.OrgB + "/users/" + n.TeamManager.ID

	want(t, n.do(t, http.MethodPatch, user, n.LeadB.Token, map[string]any{"roles": []string{"adviser"}}), http.StatusOK)
	before := n.head(t)
	n.withdraw(t, n.TeamManager, request, "not needed after all").problem(t, http.StatusForbidden)
	if after := n.head(t); after != before {
		t.Fatalf("a withdrawal by a former team manager recorded something: head %d → %d", before, after)
	}
	if got := want(t, n.do(t, http.MethodGet, "/v1/lock-requests/"+request, n.ServiceManager.Token, nil), http.StatusOK); got.str("status") != "requested" {
		t.Fatalf("after a refused withdrawal the request reads %s", got.Body)
	}

	want(t, n.do(t, http.MethodPatch, user, n.LeadB.Token, map[string]any{"roles": []string{"team_manager"}}), http.StatusOK)
	want(t, n.withdraw(t, n.TeamManager, request, "not needed after all"), http.StatusOK)
}
