package http

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/session"
)

// TestWebUnknownAddressSignedIn_UI2: a mistyped address, or a form's
// address opened as a page, answered to a signed-in user is their page,
// with their navigation and their first page as the way on, not a page
// asking them to sign in; one not signed in, or whose session is over,
// is still asked to sign in. Such a page is not a use of the session: it
// keeps no idle session alive.
func TestWebUnknownAddressSignedIn_UI2(t *testing.T) {
	a := newTestAPI(t, withWebPages(), withSessions(session.Config{IdleTimeout: 10 * time.Minute, AbsoluteTimeout: time.Hour}))
	user := a.signInUser(t, "admin", testAdminPassword)
	signedIn := a.pagesAs(t, user.Token)
	a.Clock.Advance(4 * time.Minute)
	for _, path := range []string{"/no-such-page", "/referrals/00000000-0000-4000-8000-0000000000ab/close"} {
		r := signedIn.get(path)
		page := string(r.Body)
		if r.Status != http.StatusNotFound && r.Status != http.StatusMethodNotAllowed {
			t.Fatalf("GET %s: %d", path, r.Status)
		}
		if strings.Contains(page, `href="/sign-in"`) || strings.Contains(page, "sign in and") {
			t.Errorf("GET %s asks a signed-in user to sign in:\n%s", path, page)
		}
		if !strings.Contains(page, `action="/sign-out"`) || !strings.Contains(page, ">Go to ") {
			t.Errorf("GET %s lacks the user's navigation and way on:\n%s", path, page)
		}
	}
	showing(t, signedIn.get("/session"), http.StatusOK, `"remaining_seconds":360`)
	for _, b := range []*pagesBrowser{a.pagesAs(t, ""), a.pagesAs(t, "not-a-session")} {
		showing(t, b.get("/no-such-page"), http.StatusNotFound, `href="/sign-in"`)
	}
}
