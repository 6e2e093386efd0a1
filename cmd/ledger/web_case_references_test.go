package main

import (
	"net/http"
	"strings"
	"testing"
)

// TestWebCasePagesNameOnlyReferralsTheUserMayKnow_AUTH4_UI2: a client
// referred by Advice Centre to Housing Trust and also to a fourth
// organisation. The case pages of Housing Trust's staff (the lock request,
// the erasure request) name the case by the referral their organisation
// received, never by the reference of the referral between the two
// others, which need to know keeps from them (R-AUTH-4) as the API does;
// the referrer's own pages name both of its referrals.
func TestWebCasePagesNameOnlyReferralsTheUserMayKnow_AUTH4_UI2(t *testing.T) {
	n := newLocksNetwork(t)
	orgD := n.must(t, 201, "POST", "/v1/organisations", n.admin, map[string]any{"name": "Fourth Service",
		"admin_email": "fourth@example.org"})["id"].(string)
	other := n.must(t, 201, "POST", "/v1/referrals", n.annToken, map[string]any{"to_organisation_id": orgD,
		"client": map[string]any{"client_id": n.client}, "reason": "debt advice",
		"consent": map[string]any{"method": "written", "confirmed": true}, "privacy_notice_given": true})
	otherRef := other["reference"].(string)
	if otherRef == "" || otherRef == n.reference {
		t.Fatalf("second referral's reference %q (first %q)", otherRef, n.reference)
	}
	// The API keeps it from Housing Trust.
	n.must(t, 404, "GET", "/v1/referrals/"+other["id"].(string), n.benToken, nil)

	for _, tc := range []struct {
		who  string
		b    *browser
		path string
	}{
		{"team manager, lock request", n.tess, "/clients/" + n.client + "/lock-request"},
		{"adviser, erasure request", n.ben, "/clients/" + n.client + "/erasure-request"},
	} {
		t.Run(tc.who, func(t *testing.T) {
			p := tc.b.get(tc.path)
			wantStatus(t, p, http.StatusOK, n.reference)
			if strings.Contains(p.body, otherRef) || strings.Contains(p.body, other["id"].(string)) {
				t.Errorf("%s shows the referral between two other organisations (%s)", tc.path, otherRef)
			}
		})
	}

	ann := n.browser(t)
	ann.signIn("ann", annPassword, "/")
	wantStatus(t, ann.get("/clients/"+n.client+"/erasure-request"), http.StatusOK, n.reference, otherRef)
}
