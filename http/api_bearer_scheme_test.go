package http

import (
	"net/http"
	"testing"
)

// TestBearerSchemeIsCaseInsensitive_AUTH3: the name of an authentication
// scheme is case-insensitive (RFC 9110, section 11.1) and one or more
// spaces may follow it (RFC 6750, section 2.1), so a client library that
// sends "bearer <token>" is signed in, not told 401; and signing out with
// such a header ends that very session.
func TestBearerSchemeIsCaseInsensitive_AUTH3(t *testing.T) {
	a := newTestAPI(t)
	token := a.signIn(t, "admin", testAdminPassword)
	for _, h := range []string{"bearer " + token, "BEARER " + token, "Bearer   " + token} {
		want(t, a.do(t, http.MethodGet, "/v1/directory", "", nil, "Authorization", h), http.StatusOK)
	}
	for _, h := range []string{"Basic " + token, "Bearer" + token, "Bearer ", token} {
		a.do(t, http.MethodGet, "/v1/directory", "", nil, "Authorization", h).problem(t, http.StatusUnauthorized)
	}
	want(t, a.do(t, http.MethodDelete, "/v1/sessions/current", "", nil, "Authorization", "bearer "+token), http.StatusNoContent)
	a.do(t, http.MethodGet, "/v1/directory", token, nil).problem(t, http.StatusUnauthorized)
}
