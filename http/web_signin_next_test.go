package http

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestWebSignInNextWithControlCharacter_UI2: the page to go back to after
// signing in is never another site, even spelt with a tab or a line break,
// which browsers drop from a Location ("/\t/evil.example/" would lead to
// //evil.example/): the sign-in sends such a browser to its first page.
func TestWebSignInNextWithControlCharacter_UI2(t *testing.T) {
	a := newTestAPI(t, withWebPages())
	for _, next := range []string{"/\t/evil.example/", "/\n/evil.example/", "/\t\t/evil.example/incoming"} {
		form := url.Values{"username": {"admin"}, "password": {testAdminPassword}, "next": {next}}
		req, err := http.NewRequest(http.MethodPost, a.URL+"/sign-in", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", a.URL)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		// The transport, not a client: a client refuses to read such a
		// Location at all, where a browser follows it.
		res, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
			t.Errorf("sign-in with next %q: %d, Location %q; want 303 to /", next, res.StatusCode, res.Header.Get("Location"))
		}
	}
	// The sign-in form does not carry such a next on either.
	page := showing(t, a.pagesAs(t, "").get("/sign-in?next="+url.QueryEscape("/\t/evil.example/")), http.StatusOK)
	if strings.Contains(page, "evil.example") {
		t.Error("the sign-in form carries a next that leads to another site")
	}
}
