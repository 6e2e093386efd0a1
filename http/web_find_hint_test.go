package http

import (
	"net/http"
	"strings"
	"testing"
)

// TestWebFindHintSaysWhoseReferrals_AUTH4: the find-by-reference page says
// whose referrals the user can find, as GET /v1/referrals?reference=
// searches them: an adviser their organisation's, the coordinator and
// auditors every organisation's, not "only referrals your organisation
// made or received", which would send them elsewhere for a referral they
// can find here.
func TestWebFindHintSaysWhoseReferrals_AUTH4(t *testing.T) {
	n := newNetwork(t, withWebPages())
	for _, u := range []testUser{n.Admin, n.Auditor} {
		p := n.web(t, u).get("/find")
		wantPage(t, p, http.StatusOK, "You can find the referrals of every organisation.")
		if strings.Contains(p.body, "your organisation made or received") {
			t.Errorf("%s is told they find only their organisation's referrals:\n%s", u.Username, p.body)
		}
	}
	wantPage(t, n.web(t, n.AdviserA).get("/find"), http.StatusOK, "You can only find referrals your organisation made or received.")
}
