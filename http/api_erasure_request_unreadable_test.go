package http

import (
	"net/http"
	"strings"
	"testing"
)

// TestErasureRequestUnreadableViews_OPS4: an erasure request read from
// views that could not be read was "not found": GET
// /v1/erasure-requests/{id} answered 404 to the coordinator and to the
// adviser who passed it on, and a decision on it 404, for a request that
// exists. Each now answers 503 problem+json naming no client data, nothing
// is recorded, and the request is back once the views can be read again
// (R-OPS-4, R-PRIV-2).
func TestErasureRequestUnreadableViews_OPS4(t *testing.T) {
	n := newNetwork(t)
	client := n.clientOf(t, n.Referral)
	reason := "Asked by phone."
	id := want(t, n.requestErasure(t, n.AdviserA.Token, client, reason), http.StatusCreated).str("id")
	path := "/v1/erasure-requests/" + id
	for _, token := range []string{n.Admin.Token, n.AdviserA.Token} {
		if got := want(t, n.do(t, http.MethodGet, path, token, nil), http.StatusOK).str("id"); got != id {
			t.Fatalf("GET %s = %s", path, got)
		}
	}

	// The table of erasure requests is gone from views.db under the
	// server: its reads fail, as on a damaged file.
	restore := n.hideViewsTable(t, "erasure_requests")
	unavailable := func(r *response) {
		t.Helper()
		p := r.problem(t, http.StatusServiceUnavailable)
		if strings.Contains(string(r.Body), client) || strings.Contains(string(r.Body), reason) {
			t.Errorf("the 503 names the client or the reason: %s", r.Body)
		}
		if !strings.Contains(p.Detail, "retry") {
			t.Errorf("the 503 does not say to retry: %s", r.Body)
		}
	}
	for _, token := range []string{n.Admin.Token, n.AdviserA.Token} {
		unavailable(n.do(t, http.MethodGet, path, token, nil))
	}
	before := n.head(t)
	for _, decision := range []map[string]any{{"carry_out": false, "reason": "a legal hold"}, {}} {
		unavailable(n.do(t, http.MethodPost, path+"/decision", n.Admin.Token, decision))
	}
	if after := n.head(t); after != before {
		t.Errorf("a decision on views that cannot be read appended: head %d → %d", before, after)
	}

	restore()
	for _, token := range []string{n.Admin.Token, n.AdviserA.Token} {
		if got := want(t, n.do(t, http.MethodGet, path, token, nil), http.StatusOK).str("status"); got != "requested" {
			t.Fatalf("GET %s once the views read again: status %s, want requested", path, got)
		}
	}
}
