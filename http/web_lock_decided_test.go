package http

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestWebLockDecisionAgain_UI1_LOCK1_LOCK6: a lock or unlock request's page,
// opened again after it was decided (Back) or sent again, says it was
// decided, how and by whom, to the service managers who could have
// decided it: not "page not found". Anyone else is answered as before.
func TestWebLockDecisionAgain_UI1_LOCK1_LOCK6(t *testing.T) {
	n := newNetwork(t, withWebPages())
	client := n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserB.Token, nil).str("client_id")
	sam := n.addUser(t, n.OrgB, "sam.b", domain.RoleServiceManager)
	una := n.addUser(t, n.OrgB, "una.b", domain.RoleServiceManager)
	otherSM := n.addUser(t, n.OrgC, "sm.c", domain.RoleServiceManager)
	lockRequest := func() string {
		return want(t, n.do(t, http.MethodPost, "/v1/clients/"+client+"/lock-requests", n.TeamManager.Token, map[string]any{
			"responsible_user_id": n.AdviserB.ID, "reason": "Staff member related."}), http.StatusCreated).str("id")
	}
	samWeb, unaWeb := n.web(t, sam), n.web(t, una)

	// Refused: the API then knows no such request; the page says what became of it.
	decide := "/lock-requests/" + lockRequest()
	first := formOf(t, samWeb.get(decide).body, decide, url.Values{"decision": {"refuse"}, "decision-reason": {"Not needed."}})
	check := samWeb.post(decide, first)
	samWeb.twice(decide, formOf(t, check.body, decide, nil), "Lock request refused.", domain.LockRefusedType)
	wantPage(t, samWeb.get(decide), http.StatusOK, "This lock request was already decided", "You refused it", "The case was not locked.")
	wantPage(t, unaWeb.get(decide), http.StatusOK, "This lock request was already decided", "Test "+sam.Username+" refused it")
	p := samWeb.post(decide, first) // Back to the first step, and send it again
	wantPage(t, p, http.StatusConflict, "This lock request was already decided", "The decision you sent was not recorded")
	if c := n.countEvents(t, domain.LockRefusedType); c != 1 {
		t.Fatalf("%d refusals recorded, want 1", c)
	}

	// Approved, then unlocked.
	decide = "/lock-requests/" + lockRequest()
	check = unaWeb.post(decide, formOf(t, unaWeb.get(decide).body, decide, url.Values{"decision": {"approve"}}))
	unaWeb.twice(decide, formOf(t, check.body, decide, nil), "Lock approved.", domain.LockApprovedType)
	wantPage(t, samWeb.get(decide), http.StatusOK, "This lock request was already decided", "Test "+una.Username+" approved it", "The case is locked.")
	unlock := "/lock-requests/" + want(t, n.do(t, http.MethodPost, "/v1/clients/"+client+"/unlock-requests", n.TeamManager.Token,
		map[string]any{"reason": "The risk has passed."}), http.StatusCreated).str("id")
	check = samWeb.post(unlock, formOf(t, samWeb.get(unlock).body, unlock, url.Values{"decision": {"approve"}}))
	samWeb.twice(unlock, formOf(t, check.body, unlock, nil), "Unlock approved.", domain.UnlockApprovedType)
	wantPage(t, samWeb.get(unlock), http.StatusOK, "This unlock request was already decided", "You approved it", "The case is no longer locked.")

	// Who could not have decided it learns nothing new.
	wantPage(t, n.web(t, otherSM).get(decide), http.StatusNotFound, "Page not found")
	wantPage(t, n.web(t, n.TeamManager).get(decide), http.StatusForbidden)
	wantPage(t, samWeb.get("/lock-requests/00000000-0000-4000-8000-000000000001"), http.StatusNotFound, "Page not found")
}
