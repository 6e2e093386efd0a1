package http

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestMethodNotAllowedNamesHEAD: every resource with a GET answers HEAD as
// its GET (RFC 9110, 9.3.2), but the 405 of a method it does not take
// listed in Allow only the methods of the route table, so a client was
// told HEAD is not supported where it is. A 405's Allow must name every
// method the resource supports (RFC 9110, 15.5.6): HEAD beside GET, and
// no HEAD where there is no GET.
func TestMethodNotAllowedNamesHEAD(t *testing.T) {
	n := newNetwork(t)
	for _, tc := range []struct {
		method, path string
		allow        []string
	}{
		{http.MethodOptions, "/v1/referrals/" + n.Referral, []string{"GET", "HEAD"}},
		{http.MethodPut, "/v1/referrals", []string{"GET", "HEAD", "POST"}},
		{http.MethodDelete, "/v1/organisations/" + n.OrgB, []string{"GET", "HEAD", "PATCH"}},
		{http.MethodPut, "/healthz", []string{"GET", "HEAD"}},
		{http.MethodGet, "/v1/referrals/" + n.Referral + "/notes", []string{"POST"}},
	} {
		r := n.do(t, tc.method, tc.path, n.AdviserA.Token, nil)
		r.problem(t, http.StatusMethodNotAllowed)
		allow := strings.Split(r.Header.Get("Allow"), ", ")
		slices.Sort(allow)
		if !slices.Equal(allow, tc.allow) {
			t.Errorf("%s %s: Allow %q, want %v", tc.method, tc.path, r.Header.Get("Allow"), tc.allow)
		}
		if slices.Contains(tc.allow, "HEAD") {
			want(t, n.do(t, http.MethodHead, tc.path, n.AdviserA.Token, nil), http.StatusOK)
		}
	}
}
