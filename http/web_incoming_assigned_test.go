package http

import (
	"net/http"
	"strings"
	"testing"
)

// TestWebIncomingPerAssignedAdviser_VIEW1: the Incoming page filters by any
// adviser of the organisation, as GET /v1/inbox?assigned= does, not only
// "assigned to me": an org lead or manager sees one adviser's referrals
// (R-VIEW-1, per assigned adviser). An id that is not a user of the
// organisation is no filter, as the page never offers it; the user's own
// id is "Me".
func TestWebIncomingPerAssignedAdviser_VIEW1(t *testing.T) {
	n := newNetwork(t, withWebPages())
	other := n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client Other")
	ref := func(id string) string {
		return n.do(t, http.MethodGet, "/v1/referrals/"+id, n.AdviserB.Token, nil).str("reference")
	}
	want(t, n.do(t, http.MethodPost, "/v1/referrals/"+n.Referral+"/assignment", n.AdviserB.Token,
		map[string]any{"user_id": n.AdviserB.ID}), http.StatusOK)

	lead := n.web(t, n.LeadB)
	p := lead.get("/incoming")
	wantPage(t, p, http.StatusOK, `<option value="`+n.AdviserB.ID+`"`, ref(n.Referral), ref(other))
	p = lead.get("/incoming?assigned=" + n.AdviserB.ID)
	wantPage(t, p, http.StatusOK, `<option value="`+n.AdviserB.ID+`" selected>`, ref(n.Referral))
	if strings.Contains(p.body, ref(other)) {
		t.Errorf("the adviser's list shows a referral not assigned to them:\n%s", p.body)
	}
	api := n.do(t, http.MethodGet, "/v1/inbox?assigned="+n.AdviserB.ID, n.LeadB.Token, nil).JSON["referrals"].([]any)
	if len(api) != 1 {
		t.Fatalf("the API lists %d, want 1", len(api))
	}
	wantPage(t, lead.get("/incoming?assigned=me"), http.StatusOK, "No open referrals match these filters")
	wantPage(t, n.web(t, n.AdviserB).get("/incoming?assigned=me"), http.StatusOK, ref(n.Referral))
	// The user's own id is "Me", chosen in the filter as the list it shows.
	own := n.web(t, n.AdviserB).get("/incoming?assigned=" + n.AdviserB.ID)
	wantPage(t, own, http.StatusOK, `<option value="me" selected>`, ref(n.Referral))
	if strings.Contains(own.body, ref(other)) {
		t.Errorf("the adviser's own list shows a referral not assigned to them:\n%s", own.body)
	}
	// Someone of another organisation is no filter.
	wantPage(t, lead.get("/incoming?assigned="+n.AdviserA.ID), http.StatusOK, ref(n.Referral), ref(other))
}
