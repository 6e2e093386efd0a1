package http

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/session"
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

// TestWebPageAfterSessionTimedOut_UI2_AUTH3: a page asked for with a
// session cookie whose session has timed out (a link followed after a
// break, with no script to warn before) leads to a sign-in page that says
// the user was signed out and why, and comes back to the page after; a
// browser that never signed in gets the plain sign-in page.
func TestWebPageAfterSessionTimedOut_UI2_AUTH3(t *testing.T) {
	a := newTestAPI(t, withWebPages(), withSessions(session.Config{IdleTimeout: 10 * time.Minute, AbsoluteTimeout: time.Hour}))
	user := a.signInUser(t, "admin", testAdminPassword)
	b := a.pagesAs(t, user.Token)
	showing(t, b.get("/directory"), http.StatusOK)
	a.Clock.Advance(11 * time.Minute)
	r := b.get("/directory")
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/sign-in?ended=idle&next=%2Fdirectory" {
		t.Fatalf("a page after the session timed out: %d %q", r.Status, r.Header.Get("Location"))
	}
	showing(t, b.get(r.Header.Get("Location")), http.StatusOK, "You were signed out, for your security", `name="next" value="/directory"`)

	fresh := a.pagesAs(t, "")
	r = fresh.get("/directory")
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/sign-in?next=%2Fdirectory" {
		t.Fatalf("a page without a session: %d %q", r.Status, r.Header.Get("Location"))
	}
	if page := showing(t, fresh.get(r.Header.Get("Location")), http.StatusOK); strings.Contains(page, "You were signed out") {
		t.Error("a browser that never signed in is told it was signed out")
	}
}
