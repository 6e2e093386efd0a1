package http

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// pageTitleAndHeading gives a page's title, without the service's name,
// and its h1.
func pageTitleAndHeading(t *testing.T, body string) (title, h1 string) {
	t.Helper()
	tm := regexp.MustCompile(`<title>(.*?) – Referral ledger</title>`).FindStringSubmatch(body)
	hm := regexp.MustCompile(`<h1[^>]*>(.*?)</h1>`).FindStringSubmatch(body)
	if tm == nil || hm == nil {
		t.Fatalf("no title or no h1:\n%s", body)
	}
	return tm[1], strings.TrimSpace(hm[1])
}

// TestWebLockDecidedTitleIsHeading_UI1_LOCK6_LOCK10: the page of a
// request withdrawn, or decided already, is titled as its h1 says, so
// the browser's tab and a screen reader's first words name the same
// page (R-UI-1: the title matches the h1); a decision sent from an old
// page is titled "Error: " and the same.
func TestWebLockDecidedTitleIsHeading_UI1_LOCK6_LOCK10(t *testing.T) {
	n := newNetwork(t, withWebPages())
	client := n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserB.Token, nil).str("client_id")
	sam := n.addUser(t, n.OrgB, "sam.b", domain.RoleServiceManager)
	samWeb := n.web(t, sam)

	withdrawn := want(t, n.do(t, http.MethodPost, "/v1/clients/"+client+"/lock-requests", n.TeamManager.Token, map[string]any{
		"responsible_user_id": n.AdviserB.ID, "reason": "Staff member related."}), http.StatusCreated).str("id")
	want(t, n.do(t, http.MethodPost, "/v1/lock-requests/"+withdrawn+"/withdrawal", n.TeamManager.Token, map[string]any{"reason": "Asked on the wrong case."}), http.StatusOK)
	page := samWeb.get("/lock-requests/" + withdrawn)
	wantPage(t, page, http.StatusOK, "This lock request was withdrawn")
	if title, h1 := pageTitleAndHeading(t, page.body); title != h1 {
		t.Errorf("the withdrawn request's page is titled %q, its h1 is %q", title, h1)
	}

	decided := want(t, n.do(t, http.MethodPost, "/v1/clients/"+client+"/lock-requests", n.TeamManager.Token, map[string]any{
		"responsible_user_id": n.AdviserB.ID, "reason": "Staff member related."}), http.StatusCreated).str("id")
	want(t, n.do(t, http.MethodPost, "/v1/lock-requests/"+decided+"/decision", sam.Token, map[string]any{"approve": true}), http.StatusOK)
	page = samWeb.get("/lock-requests/" + decided)
	wantPage(t, page, http.StatusOK, "This lock request was already decided")
	if title, h1 := pageTitleAndHeading(t, page.body); title != h1 {
		t.Errorf("the decided request's page is titled %q, its h1 is %q", title, h1)
	}
	page = samWeb.post("/lock-requests/"+decided, url.Values{"decision": {"refuse"}, "decision-reason": {"Too late."}, "confirm": {"yes"}})
	wantPage(t, page, http.StatusConflict, "The decision you sent was not recorded")
	if title, h1 := pageTitleAndHeading(t, page.body); title != "Error: "+h1 {
		t.Errorf("a decision not recorded gives the title %q, want \"Error: \" and its h1 %q", title, h1)
	}
}
