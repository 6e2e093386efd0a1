package http

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestWebAccessLogAfterErasureSaysReasonsAreErased_PRIV3_LOCK9_UI2: once
// the client is erased, the access log's page says that the reasons given
// for reads can no longer be shown, as the API marks each entry erased,
// rather than showing a read that needed a reason as one given none
// (R-PRIV-3, R-LOCK-9, R-UI-2).
func TestWebAccessLogAfterErasureSaysReasonsAreErased_PRIV3_LOCK9_UI2(t *testing.T) {
	n := newLockNet(t, withWebPages())
	n.lock(t, n.Client, nil)
	want(t, n.do(t, http.MethodGet, "/v1/clients/"+n.Client+"/subject-access?reason="+url.QueryEscape("SAR-2026-17"),
		n.Admin.Token, nil), http.StatusOK)
	page := "/referrals/" + n.Referral + "/access-log"
	const erased = "The client's details have been erased"
	before := n.web(t, n.Admin).get(page)
	wantPage(t, before, http.StatusOK, "Reason: SAR-2026-17")
	if strings.Contains(before.body, erased) {
		t.Fatal("before erasure, the access log says the client's details are erased")
	}
	n.eraseAs(t, n.AdviserB.Token, n.Client, "The client asked to be forgotten.")
	after := n.web(t, n.Admin).get(page)
	wantPage(t, after, http.StatusOK, erased)
	if strings.Contains(after.body, "SAR-2026-17") {
		t.Fatal("after erasure, the access log shows the reason")
	}
}
