package http

import (
	"net/http"
	"strings"
	"testing"
)

// TestWebReferralLinksRefusedErasureRequest_PRIV2_UI2: once the
// coordinator refuses an erasure request, GET /v1/erasure-requests/{id}
// still shows the organisation that passed it on that it was refused, but
// the referral stopped linking to it as soon as it was decided, so the
// adviser could not learn from the interface what became of the client's
// request. The referral now links the latest request the organisation
// passed on, saying it was refused; others are not offered it.
func TestWebReferralLinksRefusedErasureRequest_PRIV2_UI2(t *testing.T) {
	n := newNetwork(t, withWebPages())
	client := n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserA.Token, nil).str("client_id")
	id := want(t, n.do(t, http.MethodPost, "/v1/clients/"+client+"/erasure-requests", n.AdviserA.Token,
		map[string]any{"reason": "The client asked."}), http.StatusCreated).str("id")
	want(t, n.do(t, http.MethodPost, "/v1/erasure-requests/"+id+"/decision", n.Admin.Token,
		map[string]any{"carry_out": false, "reason": "Legal hold."}), http.StatusOK)
	if st := n.do(t, http.MethodGet, "/v1/erasure-requests/"+id, n.AdviserA.Token, nil).str("status"); st != "refused" {
		t.Fatalf("the API shows the adviser %q", st)
	}
	page := "/erasure-requests/" + id
	ann := n.web(t, n.AdviserA)
	wantPage(t, ann.get("/referrals/"+n.Referral), http.StatusOK, "the coordinator refused it", `href="`+page+`"`)
	wantPage(t, ann.get(page), http.StatusOK, "Refused")
	for _, u := range []testUser{n.AdviserB, n.HelpdeskB, n.Auditor, n.Admin} {
		if p := n.web(t, u).get("/referrals/" + n.Referral); strings.Contains(p.body, page) {
			t.Errorf("%s: the referral links to an erasure request they may not see", u.Username)
		}
	}
}
