package http

import (
	"net/http"
	"strings"
	"testing"
)

// TestWebOutgoingByStatus_VIEW2: the Outgoing page filters the
// organisation's referrals by status, as GET /v1/outbox?status= does, so a
// referrer can follow those still waiting, or those declined (R-VIEW-2).
func TestWebOutgoingByStatus_VIEW2(t *testing.T) {
	n := newNetwork(t, withWebPages())
	acked := n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client Acked")
	want(t, n.do(t, http.MethodPost, "/v1/referrals/"+acked+"/acknowledgement", n.AdviserB.Token, map[string]any{}), http.StatusOK)
	ref := func(id string) string {
		return n.do(t, http.MethodGet, "/v1/referrals/"+id, n.AdviserA.Token, nil).str("reference")
	}
	adviser := n.web(t, n.AdviserA)
	wantPage(t, adviser.get("/outgoing"), http.StatusOK, ref(n.Referral), ref(acked))
	p := adviser.get("/outgoing?status=acknowledged")
	wantPage(t, p, http.StatusOK, `<option value="acknowledged" selected>`, ref(acked))
	if strings.Contains(p.body, ref(n.Referral)) {
		t.Errorf("the acknowledged ones include a new referral:\n%s", p.body)
	}
	wantPage(t, adviser.get("/outgoing?status=declined"), http.StatusOK, "No referrals your organisation made match this filter.")
	// A status the filter does not offer is no filter.
	wantPage(t, adviser.get("/outgoing?status=bogus"), http.StatusOK, ref(n.Referral), ref(acked))
}
