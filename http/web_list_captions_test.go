package http

import (
	"net/http"
	"regexp"
	"testing"
)

var tableCaption = regexp.MustCompile(`<caption class="visually-hidden">([^<]*)</caption>`)

// TestWebListCaptionsSayTheirOrder_VIEW1_VIEW2_UI2: a table of referrals
// tells screen-reader users in what order its rows come, and each list's
// caption is true to its own order (R-UI-2): Incoming's open referrals
// soonest deadline first (R-VIEW-1), its ended ones latest first; Outgoing
// (R-VIEW-2) and Search newest made first, as the API lists them.
func TestWebListCaptionsSayTheirOrder_VIEW1_VIEW2_UI2(t *testing.T) {
	n := newNetwork(t, withWebPages())
	want(t, n.do(t, http.MethodPost, "/v1/referrals/"+n.Referral+"/acknowledgement", n.AdviserB.Token, map[string]any{}), http.StatusOK)
	want(t, n.do(t, http.MethodPost, "/v1/referrals/"+n.Referral+"/closure", n.AdviserB.Token,
		map[string]any{"outcome": "positive", "comment": "Housed."}), http.StatusOK)
	n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client One")
	ann, ben := n.pagesAs(t, n.AdviserA.Token), n.pagesAs(t, n.AdviserB.Token)

	for _, c := range []struct {
		who     *pagesBrowser
		path    string
		caption string
	}{
		{ben, "/incoming", "Incoming referrals, soonest deadline first"},
		{ben, "/incoming?status=closed", "Incoming referrals, latest closed first"},
		{ann, "/outgoing", "Referrals your organisation made, newest first"},
		{ann, "/search", "Referrals, newest made first"},
	} {
		m := tableCaption.FindStringSubmatch(showing(t, c.who.get(c.path), http.StatusOK))
		if m == nil || m[1] != c.caption {
			t.Errorf("%s: the table's caption is %q, want %q", c.path, m, c.caption)
		}
	}
}
