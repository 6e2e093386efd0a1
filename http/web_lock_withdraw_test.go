package http

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestWebWithdrawLockRequest_LOCK1_LOCK6_LOCK10: with JavaScript off, the
// team manager who asked for a lock finds on the referral's page that it
// waits and a link to withdraw it; the page asks for a reason (the error
// summary names it when it is missing), its button withdraws the request
// once however often it is pressed, and the referral then offers a new
// lock request. An unlock request is withdrawn the same way from the
// locked cases, and the case stays locked. Whoever may not withdraw a
// request gets no link, and its page answers as the API does: 404 to
// whoever may not see the request, 403 to a service manager who decides it.
func TestWebWithdrawLockRequest_LOCK1_LOCK6_LOCK10(t *testing.T) {
	n := newNetwork(t, withWebPages())
	client := n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserB.Token, nil).str("client_id")
	sam := n.addUser(t, n.OrgB, "sam.b", domain.RoleServiceManager)
	request := want(t, n.do(t, http.MethodPost, "/v1/clients/"+client+"/lock-requests", n.TeamManager.Token, map[string]any{
		"responsible_user_id": n.AdviserB.ID, "reason": "Staff member related."}), http.StatusCreated).str("id")
	manager := n.web(t, n.TeamManager)
	referral := "/referrals/" + n.Referral
	page := "/lock-requests/" + request + "/withdraw"

	p := manager.get(referral)
	wantPage(t, p, http.StatusOK, "waiting for a service manager's decision", `href="`+page+`?referral=`+n.Referral+`"`, "Withdraw the lock request")
	if strings.Contains(p.body, "/lock-request?referral=") {
		t.Fatal("a lock request link while a lock request waits")
	}
	for _, other := range []*webUser{n.web(t, n.AdviserB), n.web(t, sam), n.web(t, n.AdviserA)} {
		if strings.Contains(other.get(referral).body, page) {
			t.Fatal("a withdrawal link for someone who may not withdraw the request")
		}
	}
	wantPage(t, n.web(t, n.AdviserB).get(page), http.StatusNotFound)
	wantPage(t, n.web(t, n.AdviserA).get(page), http.StatusNotFound)
	wantPage(t, n.web(t, sam).get(page), http.StatusForbidden)

	form := manager.get(page + "?referral=" + n.Referral)
	wantPage(t, form, http.StatusOK, "Withdraw a lock request", "Withdraw this request", "Asked for by you")
	// Opened from the referral, it is one of the case's pages: no menu
	// entry is current; from the locked-cases report, that entry is.
	if strings.Contains(form.body, `aria-current="page"`) {
		t.Error("the withdrawal page opened from a referral marks a menu entry current")
	}
	if !strings.Contains(manager.get(page).body, `href="/locked-cases" aria-current="page"`) {
		t.Error("the withdrawal page opened from the locked cases does not mark that menu entry current")
	}
	empty := manager.post(page, formOf(t, form.body, page, url.Values{"withdraw-reason": {"  "}}))
	wantPage(t, empty, http.StatusUnprocessableEntity, "There is a problem", `href="#withdraw-reason"`)
	if c := n.countEvents(t, domain.LockRequestWithdrawnType); c != 0 {
		t.Fatalf("a withdrawal without a reason was recorded (%d)", c)
	}
	to := manager.twice(page, formOf(t, empty.body, page, url.Values{"withdraw-reason": {"Asked on the wrong case."}}),
		"Lock request withdrawn.", domain.LockRequestWithdrawnType)
	if to != referral {
		t.Fatalf("the withdrawal went to %q, want back to the referral", to)
	}
	after := manager.get(referral)
	wantPage(t, after, http.StatusOK, "/lock-request?referral="+n.Referral)
	if strings.Contains(after.body, page) {
		t.Fatal("a withdrawal link for a request already withdrawn")
	}
	wantPage(t, manager.get(page), http.StatusOK, "This request was already withdrawn.")
	// The service manager who would have decided it is told so, not
	// that it was decided, and a decision sent from an old page is not
	// recorded.
	samWeb, decide := n.web(t, sam), "/lock-requests/"+request
	wantPage(t, samWeb.get(decide), http.StatusOK, "This lock request was withdrawn", "Test "+n.TeamManager.Username+" withdrew it")
	wantPage(t, samWeb.post(decide, url.Values{"decision": {"approve"}, "confirm": {"yes"}}), http.StatusConflict, "This lock request was withdrawn")
	if c := n.countEvents(t, domain.LockApprovedType); c != 0 {
		t.Fatalf("a withdrawn request was approved (%d)", c)
	}
	if strings.Contains(manager.get(page).body, "Withdraw this request") {
		t.Fatal("a withdrawn request's page still offers to withdraw it")
	}

	// An unlock request, from the locked cases.
	again := want(t, n.do(t, http.MethodPost, "/v1/clients/"+client+"/lock-requests", n.TeamManager.Token, map[string]any{
		"responsible_user_id": n.AdviserB.ID, "reason": "Staff member related."}), http.StatusCreated).str("id")
	want(t, n.do(t, http.MethodPost, "/v1/lock-requests/"+again+"/decision", sam.Token, map[string]any{"approve": true}), http.StatusOK)
	unlock := want(t, n.do(t, http.MethodPost, "/v1/clients/"+client+"/unlock-requests", n.TeamManager.Token,
		map[string]any{"reason": "The risk has passed."}), http.StatusCreated).str("id")
	unlockPage := "/lock-requests/" + unlock + "/withdraw"
	wantPage(t, manager.get("/locked-cases"), http.StatusOK, `href="`+unlockPage+`"`, "Withdraw the unlock request")
	form = manager.get(unlockPage)
	wantPage(t, form, http.StatusOK, "Withdraw an unlock request", "the case stays locked")
	done := manager.post(unlockPage, formOf(t, form.body, unlockPage, url.Values{"withdraw-reason": {"A new risk came up."}}))
	wantPage(t, manager.follow(done), http.StatusOK, "Unlock request withdrawn. The case stays locked.")
	if cases := n.do(t, http.MethodGet, "/v1/locked-cases", sam.Token, nil).JSON["cases"].([]any); len(cases) != 1 {
		t.Fatalf("%d locked cases after the unlock request was withdrawn, want 1", len(cases))
	}
}
