package http

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestWebNoticeLinksOpenForTheirReaders_NOTE1_NOTE2: the pages the email
// notices link to open for the people they are sent to (R-NOTE-2, API.md:
// links open a page of the web interface). The coordinators' overdue
// digest opens the network's Overdue page, which lists the referrals it
// names (Incoming is the coordinating body's own, empty, inbox); the
// intake-off reminder opens the
// organisation's intake page, where its lead switches intake back on.
func TestWebNoticeLinksOpenForTheirReaders_NOTE1_NOTE2(t *testing.T) {
	n := newNetwork(t, withWebPages())
	ref := want(t, n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserB.Token, nil), http.StatusOK).str("reference")
	n.Clock.Set(london(2026, time.December, 17, 9, 0)) // n.Referral was due on Wednesday 16
	coordinator := n.pagesAs(t, n.Admin.Token)
	showing(t, coordinator.get("/overdue"), http.StatusOK, ref)
	if page := string(coordinator.get("/incoming").Body); strings.Contains(page, ref) {
		t.Fatalf("the coordinator's Incoming lists %s; the test assumes it does not", ref)
	}

	want(t, n.do(t, http.MethodPut, "/v1/organisations/"+n.OrgB+"/intake", n.LeadB.Token,
		map[string]any{"accepting": false, "reason": "Staff away"}), http.StatusOK)
	lead := n.pagesAs(t, n.LeadB.Token)
	showing(t, lead.get("/organisations/"+n.OrgB+"/intake"), http.StatusOK, `action="/organisations/`+n.OrgB+`/intake"`)
}
