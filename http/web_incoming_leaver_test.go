package http

import (
	"net/http"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestWebIncomingFiltersByALeaver_VIEW1_UI2: an adviser's account closes
// with referrals still assigned to them. GET /v1/inbox?assigned= lists
// those of any user of the organisation, the leaver included, so their org
// lead can find and reassign them (R-VIEW-1, per assigned adviser); the
// Incoming page offers the leaver in its filter while an open referral is
// assigned to them, and lists exactly what the API lists, not every
// referral as if nothing had been asked for (R-UI-2).
func TestWebIncomingFiltersByALeaver_VIEW1_UI2(t *testing.T) {
	n := newNetwork(t, withWebPages())
	leaver := n.addUser(t, n.OrgB, "leaver.b", domain.RoleAdviser)
	theirs := n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client Of The Leaver")
	n.act(t, n.LeadB.Token, theirs, "assignment", map[string]any{"user_id": leaver.ID}, http.StatusOK)
	want(t, n.do(t, http.MethodDelete, "/v1/organisations/"+n.OrgB+"/users/"+leaver.ID, n.LeadB.Token, nil), http.StatusNoContent)
	ref := func(id string) string {
		return n.do(t, http.MethodGet, "/v1/referrals/"+id, n.AdviserB.Token, nil).str("reference")
	}

	api := listedIDs(n.viewList(t, n.LeadB.Token, "/v1/inbox?assigned="+leaver.ID))
	if len(api) != 1 || api[0] != theirs {
		t.Fatalf("the API lists %v for the leaver, want [%s]", api, theirs)
	}
	lead := n.web(t, n.LeadB)
	wantPage(t, lead.get("/incoming"), http.StatusOK, `<option value="`+leaver.ID+`">`)
	p := lead.get("/incoming?assigned=" + leaver.ID)
	wantPage(t, p, http.StatusOK, `<option value="`+leaver.ID+`" selected>`, ref(theirs))
	if strings.Contains(p.body, ref(n.Referral)) {
		t.Errorf("the leaver's list shows a referral not assigned to them:\n%s", p.body)
	}

	// Reassigned, the leaver holds nothing open: no longer offered, and
	// their list, as the API's, is empty.
	n.act(t, n.LeadB.Token, theirs, "assignment", map[string]any{"user_id": n.AdviserB.ID}, http.StatusOK)
	if got := listedIDs(n.viewList(t, n.LeadB.Token, "/v1/inbox?assigned="+leaver.ID)); len(got) != 0 {
		t.Fatalf("the API lists %v for the leaver after reassignment", got)
	}
	if p := lead.get("/incoming"); strings.Contains(p.body, `<option value="`+leaver.ID+`"`) {
		t.Errorf("the leaver is still offered with nothing assigned to them:\n%s", p.body)
	}
	wantPage(t, lead.get("/incoming?assigned="+leaver.ID), http.StatusOK, "No open referrals match these filters")
}
