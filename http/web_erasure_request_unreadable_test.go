package http

import (
	"net/http"
	"testing"
)

// TestWebErasureRequestPageUnreadableViews_OPS4: an erasure request's page
// read from views that could not be read was the page of a request that
// does not exist (404), to the coordinator and to the adviser who passed
// it on. It now answers 503, and shows the request again once the views
// can be read (R-OPS-4, R-PRIV-2, R-UI-2).
func TestWebErasureRequestPageUnreadableViews_OPS4(t *testing.T) {
	n := newNetwork(t, withWebPages())
	client := n.clientOf(t, n.Referral)
	id := want(t, n.requestErasure(t, n.AdviserA.Token, client, "Asked by phone."), http.StatusCreated).str("id")
	page := "/erasure-requests/" + id
	admin, adviser := n.web(t, n.Admin), n.web(t, n.AdviserA)
	for _, u := range []*webUser{admin, adviser} {
		wantPage(t, u.get(page), http.StatusOK, "Waiting for a decision")
	}

	// The table of erasure requests is gone from views.db under the
	// server: its reads fail, as on a damaged file.
	restore := n.hideViewsTable(t, "erasure_requests")
	for _, u := range []*webUser{admin, adviser} {
		wantPage(t, u.get(page), http.StatusServiceUnavailable)
	}

	restore()
	for _, u := range []*webUser{admin, adviser} {
		wantPage(t, u.get(page), http.StatusOK, "Waiting for a decision")
	}
}
