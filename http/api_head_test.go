package http

import (
	"net/http"
	"testing"
)

// TestHeadAnswersAsGet: every resource that answers GET answers HEAD
// (RFC 9110, 9.3.2) with the GET's status and headers and no body: a
// document, a referral, a page, a refusal. A HEAD of a referral is a read
// of it under the same access rules, so it is refused alike.
func TestHeadAnswersAsGet(t *testing.T) {
	n := newNetwork(t, withWebPages())
	for _, tc := range []struct {
		name, path, token string
	}{
		{"OpenAPI", "/v1/openapi.json", ""},
		{"Health", "/healthz", ""},
		{"Referral", "/v1/referrals/" + n.Referral, n.AdviserB.Token},
		{"ReferralOfAnotherOrganisation", "/v1/referrals/" + n.Referral, n.AdviserC.Token},
		{"SignedOut", "/v1/referrals/" + n.Referral, ""},
		{"SignInPage", "/sign-in", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			get := n.do(t, http.MethodGet, tc.path, tc.token, nil)
			head := n.do(t, http.MethodHead, tc.path, tc.token, nil)
			if head.Status != get.Status || head.Header.Get("Content-Type") != get.Header.Get("Content-Type") {
				t.Errorf("HEAD %s: %d %q; GET: %d %q", tc.path, head.Status, head.Header.Get("Content-Type"), get.Status, get.Header.Get("Content-Type"))
			}
			if len(head.Body) != 0 {
				t.Errorf("HEAD %s answered a body of %d bytes", tc.path, len(head.Body))
			}
			if get.Status == http.StatusOK && len(get.Body) == 0 {
				t.Errorf("GET %s answered no body: the comparison proves nothing", tc.path)
			}
		})
	}
}
