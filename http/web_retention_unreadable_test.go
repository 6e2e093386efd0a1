package http

import (
	"net/http"
	"testing"
)

// TestWebRetentionPageUnreadableViews_PRIV5: the coordinator's retention
// page listed no client when the views could not be read, as if nobody
// were due to be shredded. It now answers 503, and lists the clients again
// once the views can be read (R-PRIV-5, R-OPS-4).
func TestWebRetentionPageUnreadableViews_PRIV5(t *testing.T) {
	n := newNetwork(t, withWebPages())
	client := n.clientOf(t, n.Referral)
	want(t, n.do(t, http.MethodPost, "/v1/referrals/"+n.Referral+"/acknowledgement", n.AdviserB.Token, map[string]any{}), http.StatusOK)
	want(t, n.do(t, http.MethodPost, "/v1/referrals/"+n.Referral+"/closure", n.AdviserB.Token,
		map[string]any{"outcome": "positive", "comment": "done"}), http.StatusOK)
	admin := n.web(t, n.Admin)
	wantPage(t, admin.get("/retention"), http.StatusOK, client)

	// The clients index is gone from views.db under the server: its
	// reads fail, as on a damaged file.
	restore := n.hideViewsTable(t, "clients")
	wantPage(t, admin.get("/retention"), http.StatusServiceUnavailable)

	restore()
	wantPage(t, admin.get("/retention"), http.StatusOK, client)
}
