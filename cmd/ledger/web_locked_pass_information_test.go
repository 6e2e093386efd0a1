package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestWebLockedRefusalLinksPassInformation_LOCK3_LOCK8_UI1: an adviser
// refused a locked case's page is told whom it is locked to (R-LOCK-3)
// and offered the way to pass information on without seeing the case
// (R-LOCK-8): the form comes filled in with the reference they asked for,
// and what they send reaches the responsible person.
func TestWebLockedRefusalLinksPassInformation_LOCK3_LOCK8_UI1(t *testing.T) {
	n := newLocksNetwork(t)
	form := "/clients/" + n.client + "/lock-request"
	req := url.Values{"responsible": {n.ids["ben"]}, "lock-reason": {"Staff member related."}}
	if p := n.tess.post(form, req); p.status != http.StatusSeeOther {
		t.Fatalf("lock request: %d\n%s", p.status, p.body)
	}
	q := n.queue(t)
	if len(q) != 1 {
		t.Fatalf("queue: %v", q)
	}
	decide := "/lock-requests/" + q[0].(map[string]any)["id"].(string)
	if p := n.sam.post(decide, url.Values{"decision": {"approve"}, "confirm": {"yes"}}); p.status != http.StatusSeeOther {
		t.Fatalf("approving: %d\n%s", p.status, p.body)
	}

	link := `/pass-information?case=` + n.reference
	p := n.dora.get("/referrals/" + n.referral)
	wantStatus(t, p, http.StatusForbidden, "Ben Adviser", `href="`+link+`"`)
	if strings.Contains(p.body, "rent arrears") || strings.Contains(p.body, "Client Person") {
		t.Fatalf("the refusal shows the case:\n%s", p.body)
	}
	wantStatus(t, n.dora.get(link), http.StatusOK, `value="`+n.reference+`"`)
	// Anything but a reference or a client id is not put in the form.
	if p := n.dora.get(`/pass-information?case=` + url.QueryEscape(`"><b>x`)); strings.Contains(p.body, "&lt;b&gt;x") || strings.Contains(p.body, "<b>x") {
		t.Fatalf("the form took a case that is neither a reference nor a client id")
	}
	if p := n.dora.post("/pass-information", url.Values{"case": {n.reference}, "message-text": {"Called about the tenancy."}}); p.status != http.StatusSeeOther {
		t.Fatalf("passing information: %d\n%s", p.status, p.body)
	}
	wantStatus(t, n.ben.get("/messages"), http.StatusOK, "Called about the tenancy.", "Dora Duty")
}
