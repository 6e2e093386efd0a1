package http

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestWebErasedLockedCaseForms_LOCK6_PRIV3: once a locked client's data is
// erased the pages ask for no text the ledger would refuse to keep: the
// review and the unlock request go without notes or a reason (and the lock
// can be lifted through them), and temporary access, with nothing left to
// see, is no longer offered.
func TestWebErasedLockedCaseForms_LOCK6_PRIV3(t *testing.T) {
	n := newNetwork(t, withWebPages())
	client := n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserB.Token, nil).str("client_id")
	sam := n.addUser(t, n.OrgB, "sam.b", domain.RoleServiceManager)
	request := want(t, n.do(t, http.MethodPost, "/v1/clients/"+client+"/lock-requests", n.TeamManager.Token, map[string]any{
		"responsible_user_id": n.TeamManager.ID, "reason": "Staff member related."}), http.StatusCreated).str("id")
	want(t, n.do(t, http.MethodPost, "/v1/lock-requests/"+request+"/decision", sam.Token, map[string]any{"approve": true}), http.StatusOK)
	manager := n.web(t, n.TeamManager)
	review, unlock, access := "/locked-cases/"+client+"/review", "/locked-cases/"+client+"/unlock", "/clients/"+client+"/temporary-access"
	wantPage(t, manager.get(review), http.StatusOK, `name="review-notes"`)
	wantPage(t, manager.get(unlock), http.StatusOK, `name="unlock-reason"`)
	wantPage(t, manager.get(access), http.StatusOK, `name="access-reason"`)

	erasure := want(t, n.do(t, http.MethodPost, "/v1/clients/"+client+"/erasure-requests", n.TeamManager.Token,
		map[string]any{"reason": "The client asked."}), http.StatusCreated).str("id")
	want(t, n.do(t, http.MethodPost, "/v1/erasure-requests/"+erasure+"/decision", n.Admin.Token,
		map[string]any{"carry_out": true, "reason": "No hold."}), http.StatusOK)

	p := manager.get(access)
	wantPage(t, p, http.StatusOK, "nothing left to give access to")
	if strings.Contains(p.body, `action="`+access+`"`) {
		t.Error("temporary access to an erased client's case is still offered")
	}
	p = manager.get(review)
	wantPage(t, p, http.StatusOK, "no notes can be kept")
	if strings.Contains(p.body, `name="review-notes"`) {
		t.Error("the review of an erased client's locked case asks for notes")
	}
	p = manager.get(unlock)
	wantPage(t, p, http.StatusOK, "no reason can be kept")
	if strings.Contains(p.body, `name="unlock-reason"`) {
		t.Error("the unlock request of an erased client's locked case asks for a reason")
	}
	wantPage(t, manager.follow(manager.post(unlock, formOf(t, p.body, unlock, url.Values{}))), http.StatusOK)
	reqs := n.do(t, http.MethodGet, "/v1/lock-requests", sam.Token, nil).JSON["requests"].([]any)
	if len(reqs) != 1 || reqs[0].(map[string]any)["kind"] != "unlock" {
		t.Fatalf("the unlock request was not sent: %v", reqs)
	}
}
