package http

import (
	"net/http"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestWebLockRequestLinkOnlyWhenAsked_LOCK1: the referral's page offers a
// team manager "Request a lock" only when the ledger would take the
// request: not once the case is locked or a request waits for a decision
// (the link led to a page that only said so), and not once the client's
// data is erased (the form was drawn, then its request refused).
func TestWebLockRequestLinkOnlyWhenAsked_LOCK1(t *testing.T) {
	n := newNetwork(t, withWebPages())
	manager := n.web(t, n.TeamManager)
	link := func(referral string) bool {
		t.Helper()
		p := manager.get("/referrals/" + referral)
		wantPage(t, p, http.StatusOK)
		return strings.Contains(p.body, "/lock-request?referral="+referral)
	}
	client := n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserB.Token, nil).str("client_id")
	if !link(n.Referral) {
		t.Fatal("no lock request link on a case that can be locked")
	}
	request := want(t, n.do(t, http.MethodPost, "/v1/clients/"+client+"/lock-requests", n.TeamManager.Token, map[string]any{
		"responsible_user_id": n.TeamManager.ID, "reason": "Staff member related."}), http.StatusCreated).str("id")
	if link(n.Referral) {
		t.Error("a lock request link while a lock request waits for a decision")
	}
	sam := n.addUser(t, n.OrgB, "sam.b", domain.RoleServiceManager)
	want(t, n.do(t, http.MethodPost, "/v1/lock-requests/"+request+"/decision", sam.Token, map[string]any{"approve": true}), http.StatusOK)
	if link(n.Referral) {
		t.Error("a lock request link on a locked case")
	}

	erased := n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client Erased")
	erasedClient := n.do(t, http.MethodGet, "/v1/referrals/"+erased, n.AdviserB.Token, nil).str("client_id")
	req := want(t, n.do(t, http.MethodPost, "/v1/clients/"+erasedClient+"/erasure-requests", n.AdviserB.Token,
		map[string]any{"reason": "The client asked."}), http.StatusCreated).str("id")
	want(t, n.do(t, http.MethodPost, "/v1/erasure-requests/"+req+"/decision", n.Admin.Token,
		map[string]any{"carry_out": true, "reason": "No hold."}), http.StatusOK)
	if link(erased) {
		t.Error("a lock request link on a client whose data is erased")
	}
}
