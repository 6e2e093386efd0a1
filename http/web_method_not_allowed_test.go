package http

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestWebFormAddressOpenedAsPage_UI1: a form's address opened as a page
// (it stays in the address bar when the form comes back with an error,
// and is then reloaded from there, bookmarked or opened in a new tab) is
// answered with a page that says nothing was sent, as every other page
// is, not with the API's problem document; a form sent to a page that
// takes none likewise. The API and the operations endpoints keep their
// problem documents.
func TestWebFormAddressOpenedAsPage_UI1(t *testing.T) {
	a := newTestAPI(t, withWebPages())
	user := a.signInUser(t, "admin", testAdminPassword)
	b := a.pagesAs(t, user.Token)
	for _, path := range []string{"/sign-out", "/referrals/00000000-0000-4000-8000-0000000000ab/notes"} {
		r := b.get(path)
		showing(t, r, http.StatusMethodNotAllowed, "This page cannot be opened", "Nothing was sent or changed")
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("GET %s: Content-Type %q, want a page", path, ct)
		}
		if r.Header.Get("Allow") != "POST" {
			t.Errorf("GET %s: Allow %q, want POST", path, r.Header.Get("Allow"))
		}
		if r.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("GET %s: the page has no Content-Security-Policy", path)
		}
	}
	r := b.send(http.MethodPost, "/incoming", url.Values{"x": {"y"}})
	showing(t, r, http.StatusMethodNotAllowed, "This form cannot be sent here", "Nothing was changed")

	for _, path := range []string{"/v1/referrals", "/healthz"} {
		r := a.do(t, http.MethodDelete, path, user.Token, nil)
		r.problem(t, http.StatusMethodNotAllowed)
	}
}
