package http

import (
	"net/http"
	"testing"
)

// TestErasureDecisionRefusedAlikeWhetherOrNotTheRequestExists_PRIV2: only
// the coordinator decides erasure requests. Anyone else was told 403 for
// a request that exists but 404 for one that does not, so the answer told
// them which ids are erasure requests; they now get 403 for both (API.md:
// authenticated but not allowed is 403), and the coordinator 404 for an
// unknown one.
func TestErasureDecisionRefusedAlikeWhetherOrNotTheRequestExists_PRIV2(t *testing.T) {
	n := newNetwork(t)
	client := want(t, n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserA.Token, nil), http.StatusOK).str("client_id")
	request := want(t, n.do(t, http.MethodPost, "/v1/clients/"+client+"/erasure-requests", n.AdviserA.Token,
		map[string]any{"reason": "the client asked"}), http.StatusCreated).str("id")
	unknown := "11111111-1111-4111-8111-111111111111"
	decision := map[string]any{"carry_out": false, "reason": "a legal hold"}
	before := n.head(t)
	for _, user := range []testUser{n.AdviserA, n.AdviserC, n.Auditor} {
		for _, id := range []string{request, unknown} {
			n.do(t, http.MethodPost, "/v1/erasure-requests/"+id+"/decision", user.Token, decision).problem(t, http.StatusForbidden)
		}
	}
	n.do(t, http.MethodPost, "/v1/erasure-requests/"+unknown+"/decision", n.Admin.Token, decision).problem(t, http.StatusNotFound)
	if after := n.head(t); after != before {
		t.Errorf("a refused decision appended: head %d → %d", before, after)
	}
	want(t, n.do(t, http.MethodPost, "/v1/erasure-requests/"+request+"/decision", n.Admin.Token, decision), http.StatusOK)
}
