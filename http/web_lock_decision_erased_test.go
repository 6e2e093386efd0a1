package http

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestWebLockDecisionOfErasedClientSaysErased_PRIV3: a lock request still
// waiting when its client's data was erased showed its reason on the
// service manager's decision page as "Not kept", as if the team manager
// had given none or it had never been recorded, while the API answers
// "erased": true. The page now says the reason was erased with the
// client's details, on the decision page and on its "Check your
// decision" page.
func TestWebLockDecisionOfErasedClientSaysErased_PRIV3(t *testing.T) {
	n := newNetwork(t, withWebPages())
	client := n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserB.Token, nil).str("client_id")
	sam := n.addUser(t, n.OrgB, "sam.b", domain.RoleServiceManager)
	id := want(t, n.do(t, http.MethodPost, "/v1/clients/"+client+"/lock-requests", n.TeamManager.Token, map[string]any{
		"responsible_user_id": n.TeamManager.ID, "reason": "Qz7lock staff member related."}), http.StatusCreated).str("id")
	reason := regexp.MustCompile(`(?s)<dt>Reason</dt><dd[^>]*>(.*?)</dd>`)
	page := n.web(t, sam).get("/lock-requests/" + id)
	wantPage(t, page, http.StatusOK)
	if m := reason.FindStringSubmatch(page.body); m == nil || m[1] != "Qz7lock staff member related." {
		t.Fatalf("before the erasure the reason should show:\n%s", page.body)
	}
	erasure := want(t, n.do(t, http.MethodPost, "/v1/clients/"+client+"/erasure-requests", n.TeamManager.Token,
		map[string]any{"reason": "The client asked."}), http.StatusCreated).str("id")
	want(t, n.do(t, http.MethodPost, "/v1/erasure-requests/"+erasure+"/decision", n.Admin.Token,
		map[string]any{"carry_out": true, "reason": "No hold."}), http.StatusOK)

	b := n.web(t, sam)
	decision := b.get("/lock-requests/" + id)
	confirm := b.post("/lock-requests/"+id, formOf(t, decision.body, "/lock-requests/"+id,
		url.Values{"decision": {"refuse"}, "decision-reason": {"Not needed now."}}))
	if !strings.Contains(confirm.body, "Check your decision") {
		t.Fatalf("the decision does not come to its check page:\n%s", confirm.body)
	}
	for _, p := range []webPage{decision, confirm} {
		wantPage(t, p, http.StatusOK)
		m := reason.FindStringSubmatch(p.body)
		if m == nil {
			t.Fatalf("the request's reason row is missing:\n%s", p.body)
		}
		if regexp.MustCompile(`Qz7lock|Not kept`).MatchString(m[1]) || !regexp.MustCompile(`(?i)erased`).MatchString(m[1]) {
			t.Errorf("the erased client's lock request reason reads %q, want it to say it was erased", m[1])
		}
	}
}
