package http

import (
	"net/http"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestWebLockedCasesOfferAccessLog_UI2: the responsible person and the
// coordinator, whom GET /v1/clients/{id}/access-log answers, are offered
// the case's access log from the locked-cases report (R-LOCK-9), and it
// opens. A manager who is not the responsible person is not
// offered the log, which would refuse them.
func TestWebLockedCasesOfferAccessLog_UI2(t *testing.T) {
	n := newNetwork(t, withWebPages())
	client := n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserB.Token, nil).str("client_id")
	tom := n.addUser(t, n.OrgB, "tom.b", domain.RoleTeamManager)
	request := want(t, n.do(t, http.MethodPost, "/v1/clients/"+client+"/lock-requests", tom.Token, map[string]any{
		"responsible_user_id": n.TeamManager.ID, "reason": "Staff member related."}), http.StatusCreated).str("id")
	sam := n.addUser(t, n.OrgB, "sam.b", domain.RoleServiceManager)
	want(t, n.do(t, http.MethodPost, "/v1/lock-requests/"+request+"/decision", sam.Token, map[string]any{"approve": true}), http.StatusOK)

	logLink := `href="/referrals/` + n.Referral + `/access-log"`
	for _, u := range []testUser{n.TeamManager, n.Admin} {
		b := n.web(t, u)
		wantPage(t, b.get("/locked-cases"), http.StatusOK, logLink)
		wantPage(t, b.get("/referrals/"+n.Referral+"/access-log"), http.StatusOK, "Access log")
	}
	// The requester, not responsible: its log is not offered (the API
	// refuses it to them).
	other := n.web(t, tom).get("/locked-cases")
	if strings.Contains(other.body, logLink) {
		t.Errorf("a manager who may not read the access log is offered it:\n%s", other.body)
	}
	want(t, n.do(t, http.MethodGet, "/v1/clients/"+client+"/access-log", tom.Token, nil), http.StatusForbidden)
}

// TestWebMessagesOfferAccessLog_UI2: an adviser a case is locked to, who
// has no locked-cases report, finds the case's access log, which GET
// /v1/clients/{id}/access-log answers them (R-LOCK-9), from their
// messages page beside the case's temporary access.
func TestWebMessagesOfferAccessLog_UI2(t *testing.T) {
	n := newNetwork(t, withWebPages())
	client := n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserB.Token, nil).str("client_id")
	request := want(t, n.do(t, http.MethodPost, "/v1/clients/"+client+"/lock-requests", n.TeamManager.Token, map[string]any{
		"responsible_user_id": n.AdviserB.ID, "reason": "Staff member related."}), http.StatusCreated).str("id")
	sam := n.addUser(t, n.OrgB, "sam.b", domain.RoleServiceManager)
	want(t, n.do(t, http.MethodPost, "/v1/lock-requests/"+request+"/decision", sam.Token, map[string]any{"approve": true}), http.StatusOK)
	want(t, n.do(t, http.MethodGet, "/v1/clients/"+client+"/access-log", n.AdviserB.Token, nil), http.StatusOK)

	b := n.web(t, n.AdviserB)
	logLink := `href="/referrals/` + n.Referral + `/access-log"`
	wantPage(t, b.get("/messages"), http.StatusOK, logLink)
	wantPage(t, b.get("/referrals/"+n.Referral+"/access-log"), http.StatusOK, "Access log")
}
