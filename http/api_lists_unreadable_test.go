package http

import (
	"net/http"
	"strings"
	"testing"
)

// TestReferralListsUnreadableViews_OPS4: the inbox, outbox, overdue list
// and search answered 500 ("internal") when the views could not be read,
// as for a fault of the server's own; it is a 503 naming no client data
// and saying to retry, like every other read of views that cannot be read,
// and the lists are back once the views can be read again (R-OPS-4).
func TestReferralListsUnreadableViews_OPS4(t *testing.T) {
	n := newNetwork(t)
	lists := map[string]string{
		"/v1/inbox":   n.AdviserB.Token,
		"/v1/outbox":  n.AdviserA.Token,
		"/v1/overdue": n.Admin.Token,
		"/v1/referrals?reference=" + want(t, n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserA.Token, nil), http.StatusOK).str("reference"): n.AdviserA.Token,
	}
	for path, token := range lists {
		want(t, n.do(t, http.MethodGet, path, token, nil), http.StatusOK)
	}
	restore := n.hideViewsTable(t, "referrals")
	for path, token := range lists {
		r := n.do(t, http.MethodGet, path, token, nil)
		p := r.problem(t, http.StatusServiceUnavailable)
		if !strings.Contains(p.Detail, "retry") || strings.Contains(string(r.Body), "Client") {
			t.Errorf("GET %s: %s", path, r.Body)
		}
	}
	restore()
	for path, token := range lists {
		want(t, n.do(t, http.MethodGet, path, token, nil), http.StatusOK)
	}
}
