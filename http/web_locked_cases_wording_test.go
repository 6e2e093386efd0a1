package http

import (
	"net/http"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestWebLockedCasesSaysWhose_LOCK7: the locked-cases report says whose
// cases it lists: the coordinator's is every locked case in the network,
// as GET /v1/locked-cases answers them, not "the cases you asked for,
// approved or are responsible for", which a coordinator never did; a
// manager's is theirs.
func TestWebLockedCasesSaysWhose_LOCK7(t *testing.T) {
	n := newNetwork(t, withWebPages())
	client := n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserB.Token, nil).str("client_id")
	request := want(t, n.do(t, http.MethodPost, "/v1/clients/"+client+"/lock-requests", n.TeamManager.Token, map[string]any{
		"responsible_user_id": n.TeamManager.ID, "reason": "Staff member related."}), http.StatusCreated).str("id")
	sam := n.addUser(t, n.OrgB, "sam.b", domain.RoleServiceManager)
	want(t, n.do(t, http.MethodPost, "/v1/lock-requests/"+request+"/decision", sam.Token, map[string]any{"approve": true}), http.StatusOK)

	admin := n.web(t, n.Admin).get("/locked-cases")
	wantPage(t, admin, http.StatusOK, "Every locked case in the network", ">1</span> locked case")
	if strings.Contains(admin.body, "you asked for") {
		t.Errorf("the coordinator's report says it lists the cases they asked for:\n%s", admin.body)
	}
	wantPage(t, n.web(t, n.TeamManager).get("/locked-cases"), http.StatusOK, "The locked cases you asked for, approved or are responsible for")
}
