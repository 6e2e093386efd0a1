package http

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestWithdrawPageRecordsNoRead_LOCK9 (R-LOCK-9): the page that withdraws
// a lock or unlock request shows what the request is and who asked, never
// its reason, which is the client's data. Opening it, and sending it
// without a reason, recorded a read of the locked case in its access log
// all the same ("lock_request", by GET /lock-requests/:id/withdraw), as if
// the team manager had read the reason: the responsible person and the
// auditors were told of a read that did not happen. The page now records
// nothing; reading the request through the API, which shows the reason,
// still does.
func TestWithdrawPageRecordsNoRead_LOCK9(t *testing.T) {
	n := newLockNet(t, withWebPages())
	n.lock(t, n.Client, nil)
	unlock := want(t, n.do(t, http.MethodPost, "/v1/clients/"+n.Client+"/unlock-requests", n.TeamManager.Token,
		map[string]any{"reason": "the risk has passed"}), http.StatusCreated).str("id")
	w := n.web(t, n.TeamManager)
	page := "/lock-requests/" + unlock + "/withdraw"
	p := w.get(page)
	wantPage(t, p, http.StatusOK, "Withdraw an unlock request")
	if strings.Contains(p.body, "the risk has passed") {
		t.Fatalf("the withdrawal page shows the request's reason:\n%s", p.body)
	}
	wantPage(t, w.post(page, formOf(t, p.body, page, url.Values{"withdraw-reason": {""}})), http.StatusUnprocessableEntity)
	want(t, n.do(t, http.MethodGet, "/v1/lock-requests/"+unlock, n.TeamManager.Token, nil), http.StatusOK)

	api := 0
	for _, r := range n.storedReads(t, n.Client) {
		switch {
		case strings.Contains(r.Endpoint, "/withdraw"):
			t.Errorf("the withdrawal page recorded a read of the locked case: %+v", r)
		case r.Endpoint == "GET /v1/lock-requests/:id" && r.UserID == n.TeamManager.ID:
			api++
		}
	}
	if api != 1 {
		t.Fatalf("the API's read of the request recorded %d times, want 1", api)
	}
}
