package http

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestWebErasureRequestWhereItStandsForThoseWhoPassedItOn_PRIV2_UI2: GET
// /v1/erasure-requests/{id} shows the adviser and org lead of the
// organisation that passed a client's erasure request on where it stands,
// but its page in the web interface refused them with 403 (it read the
// request as the coordinator's alone), and nothing in the interface led
// them to it.
// The page now answers as the API does: the organisation's caseworkers see
// the request's status, without the coordinator's decision form; anyone
// else gets the 404 of a request that does not exist; and the referral
// links to the request while it waits (R-PRIV-2, R-UI-1, R-UI-2).
func TestWebErasureRequestWhereItStandsForThoseWhoPassedItOn_PRIV2_UI2(t *testing.T) {
	n := newNetwork(t, withWebPages())
	client := n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserA.Token, nil).str("client_id")
	ann := n.web(t, n.AdviserA)
	ask := "/clients/" + client + "/erasure-request"
	sent := ann.post(ask, formOf(t, ann.get(ask+"?referral="+n.Referral).body, ask, url.Values{"erasure-reason": {"The client asked."}}))
	reqs := n.do(t, http.MethodGet, "/v1/erasure-requests", n.Admin.Token, nil).JSON["erasure_requests"].([]any)
	if len(reqs) != 1 {
		t.Fatalf("%d erasure requests, want 1", len(reqs))
	}
	id := reqs[0].(map[string]any)["id"].(string)
	page := "/erasure-requests/" + id
	// The referral links to the request while it waits, for those who
	// may see it.
	wantPage(t, ann.follow(sent), http.StatusOK, "passed to the coordinator", `href="`+page+`"`)
	wantPage(t, n.web(t, n.LeadA).get("/referrals/"+n.Referral), http.StatusOK, `href="`+page+`"`)
	for _, u := range []testUser{n.AdviserB, n.HelpdeskB, n.Auditor, n.Admin} {
		if p := n.web(t, u).get("/referrals/" + n.Referral); strings.Contains(p.body, page) {
			t.Errorf("%s: the referral links to an erasure request they may not see", u.Username)
		}
	}
	wantPage(t, ann.get(page), http.StatusOK, "Waiting for a decision", `href="/referrals/`+n.Referral+`"`)

	for _, u := range []testUser{n.AdviserA, n.LeadA, n.AdviserB, n.HelpdeskB, n.AdviserC, n.Auditor, n.Admin} {
		api := n.do(t, http.MethodGet, "/v1/erasure-requests/"+id, u.Token, nil)
		p := n.web(t, u).get(page)
		if p.status != api.Status {
			t.Errorf("%s: the page answers %d, the API %d", u.Username, p.status, api.Status)
		}
		if p.status == http.StatusOK && (u.ID == n.Admin.ID) != strings.Contains(p.body, `action="`+page+`"`) {
			t.Errorf("%s: the decision form shown wrongly:\n%s", u.Username, p.body)
		}
	}
	// Only the coordinator decides it.
	form := url.Values{"decision": {"refuse"}, "decision-reason": {"Legal hold."}, "confirm": {"yes"}}
	wantPage(t, ann.post(page, form), http.StatusForbidden)
	if st := n.do(t, http.MethodGet, "/v1/erasure-requests/"+id, n.Admin.Token, nil).str("status"); st != "requested" {
		t.Fatalf("the adviser decided the request: %s", st)
	}
	// Decided, it says how, to those who passed it on.
	admin := n.web(t, n.Admin)
	refuse := admin.post(page, formOf(t, admin.get(page).body, page, url.Values{"decision": {"refuse"}, "decision-reason": {"Legal hold."}}))
	wantPage(t, admin.post(page, formOf(t, refuse.body, page, nil)), http.StatusSeeOther)
	wantPage(t, ann.get(page), http.StatusOK, "Refused")
}
