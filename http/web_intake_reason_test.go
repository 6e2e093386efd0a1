package http

import (
	"net/http"
	"strings"
	"testing"
)

// TestWebIntakeReasonShownToReferrers_ORG2_UI2: the reason an org lead
// gives for switching intake off is for the organisations that refer to
// them to read (R-ORG-2), and GET /v1/organisations/{id} shows it to them;
// the pages show it where a referrer looks (R-UI-2): the directory, beside
// "Not accepting referrals", and the organisation's page, and the
// make-a-referral form says where to find it. Once intake is on again no
// reason is shown.
func TestWebIntakeReasonShownToReferrers_ORG2_UI2(t *testing.T) {
	n := newNetwork(t, withWebPages())
	const reason = "Staff shortage over the holidays"
	want(t, n.do(t, http.MethodPut, "/v1/organisations/"+n.OrgB+"/intake", n.LeadB.Token,
		map[string]any{"accepting": false, "reason": reason, "resume_on": "2027-01-04"}), http.StatusOK)
	if got := want(t, n.do(t, http.MethodGet, "/v1/organisations/"+n.OrgB, n.AdviserA.Token, nil), http.StatusOK).str("intake", "reason"); got != reason {
		t.Fatalf("the API shows the referrer the reason %q", got)
	}
	ann := n.pagesAs(t, n.AdviserA.Token)

	directory := showing(t, ann.get("/directory"), http.StatusOK)
	_, card, _ := strings.Cut(directory, `id="org-`+n.OrgB+`"`)
	card, _, _ = strings.Cut(card, "</section>")
	if !strings.Contains(card, "Not accepting referrals</strong> until 4 January 2027") || !strings.Contains(card, "Reason: "+reason) {
		t.Errorf("the directory's entry for the organisation does not give the reason:\n%s", card)
	}
	showing(t, ann.get("/organisations/"+n.OrgB), http.StatusOK, "Not accepting referrals", "Why not accepting referrals", reason)
	showing(t, ann.get("/make-a-referral"), http.StatusOK, `href="/directory"`, "why an organisation is not accepting referrals")

	want(t, n.do(t, http.MethodPut, "/v1/organisations/"+n.OrgB+"/intake", n.LeadB.Token, map[string]any{"accepting": true}), http.StatusOK)
	for _, path := range []string{"/directory", "/organisations/" + n.OrgB} {
		if page := showing(t, ann.get(path), http.StatusOK); strings.Contains(page, reason) {
			t.Errorf("%s still gives a reason once intake is on again", path)
		}
	}
}
