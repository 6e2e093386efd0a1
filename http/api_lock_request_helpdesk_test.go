package http

import (
	"net/http"
	"testing"

	"github.com/google/uuid"
)

// TestLockRequestNotShownToHelpdesk_LOCK2_LOCK12: helpdesk never has
// access to a case a lock covers (R-LOCK-2). The team manager who asked
// for a lock, made helpdesk while the request waits, no longer reads it
// (and its reason, the client's data) at GET /v1/lock-requests/{id}: they
// get what they would get for a request that does not exist (R-LOCK-12).
func TestLockRequestNotShownToHelpdesk_LOCK2_LOCK12(t *testing.T) {
	n := newLockNet(t)
	request := n.requestLockOn(t, n.Client, nil)
	want(t, n.do(t, http.MethodGet, "/v1/lock-requests/"+request, n.TeamManager.Token, nil), http.StatusOK)

	want(t, n.do(t, http.MethodPatch, "/v1/organisations/"+n.OrgB+"/users/"+n.TeamManager.ID, n.LeadB.Token,
		map[string]any{"roles": []string{"helpdesk"}}), http.StatusOK)
	n.sameAsUnknown(t, n.TeamManager, http.MethodGet, "/v1/lock-requests/"+request, "/v1/lock-requests/"+uuid.NewString(), nil)
}
