package http

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/session"
)

// TestWebSessionTimeoutEndpoint_UI2 drives /session, which the pages'
// timeout warning (WCAG 2.2.1 Timing Adjustable) asks, through the real
// router: GET tells how long the session has left without counting as a
// use, so asking never keeps an idle session alive; POST is a use, checked
// as every page is, refused from another site, and puts the end off; a
// session that is over, or none, is a 401 in JSON, not a sign-in page.
// The answer says whether the session is live and its time left, nothing
// more. Signed-in pages carry the idle timeout and the warning's lead for
// the script; the sign-in page carries neither (R-UI-2, R-AUTH-3).
func TestWebSessionTimeoutEndpoint_UI2(t *testing.T) {
	idle := 10 * time.Minute
	api := newTestAPI(t, withWebPages(), withSessions(session.Config{IdleTimeout: idle, AbsoluteTimeout: time.Hour}))
	user := api.signInUser(t, "admin", testAdminPassword)
	call := func(method, path, token string, headers ...string) *response {
		t.Helper()
		req, err := api.newRequest(method, path, "", nil, headers...)
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.AddCookie(&http.Cookie{Name: "ledger_session", Value: token})
		}
		r, err := api.send(req)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	left := func(r *response, status int, want time.Duration) {
		t.Helper()
		if r.Status != status {
			t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
		}
		if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control %q, want no-store", cc)
		}
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("Content-Type %q, want JSON", r.Header.Get("Content-Type"))
		}
		if len(r.JSON) != 2 {
			t.Errorf("the answer says more than whether the session is live and its time left: %s", r.Body)
		}
		for _, secret := range []string{user.Token, user.ID, user.Username, user.OrgID} {
			if strings.Contains(string(r.Body), secret) {
				t.Errorf("the answer holds %q: %s", secret, r.Body)
			}
		}
		signedIn, _ := r.JSON["signed_in"].(bool)
		secs, _ := r.JSON["remaining_seconds"].(float64)
		if signedIn != (status == http.StatusOK) || secs != want.Seconds() {
			t.Fatalf("answer %s, want signed in %v with %v left", r.Body, status == http.StatusOK, want)
		}
	}
	sameSite := []string{"Sec-Fetch-Site", "same-origin"}

	left(call(http.MethodGet, "/session", ""), http.StatusUnauthorized, 0)
	left(call(http.MethodPost, "/session", "", sameSite...), http.StatusUnauthorized, 0)
	left(call(http.MethodGet, "/session", "not-a-session"), http.StatusUnauthorized, 0)

	// Asking is not a use: the end stays where the sign-in put it.
	api.Clock.Advance(4 * time.Minute)
	left(call(http.MethodGet, "/session", user.Token), http.StatusOK, 6*time.Minute)
	api.Clock.Advance(4 * time.Minute)
	left(call(http.MethodGet, "/session", user.Token), http.StatusOK, 2*time.Minute)

	// A POST from another site, or a method /session does not take, is
	// refused and puts nothing off.
	if r := call(http.MethodPost, "/session", user.Token, "Sec-Fetch-Site", "cross-site"); r.Status != http.StatusForbidden {
		t.Fatalf("a cross-site POST /session: %d, want 403", r.Status)
	}
	if r := call(http.MethodPost, "/session", user.Token, "Origin", "https://elsewhere.example"); r.Status != http.StatusForbidden {
		t.Fatalf("a POST /session from another origin: %d, want 403", r.Status)
	}
	for _, m := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch} {
		if r := call(m, "/session", user.Token, sameSite...); r.Status != http.StatusMethodNotAllowed {
			t.Fatalf("%s /session: %d, want 405", m, r.Status)
		}
	}
	left(call(http.MethodGet, "/session", user.Token), http.StatusOK, 2*time.Minute)

	// Staying signed in is a use: the session now ends the idle timeout on.
	left(call(http.MethodPost, "/session", user.Token, sameSite...), http.StatusOK, idle)
	api.Clock.Advance(9 * time.Minute) // past the end the sign-in set
	left(call(http.MethodGet, "/session", user.Token), http.StatusOK, time.Minute)

	// Once over, the session is over for both methods, and for pages.
	api.Clock.Advance(time.Minute + time.Second)
	left(call(http.MethodGet, "/session", user.Token), http.StatusUnauthorized, 0)
	left(call(http.MethodPost, "/session", user.Token, sameSite...), http.StatusUnauthorized, 0)
	if r := call(http.MethodGet, "/directory", user.Token); !strings.Contains(string(r.Body), `action="/sign-in"`) {
		t.Fatalf("a page after the session ended: %d, not the sign-in page", r.Status)
	}

	// A session whose account was closed is over too (R-ORG-3), as for pages.
	admin := api.signIn(t, "admin", testAdminPassword)
	api.Admin.Token = admin // the harness's own session ended with the clock's jumps
	org := api.registerOrg(t, "Timeout Advice")
	other := api.addUser(t, org, "tim", domain.RoleAdviser)
	left(call(http.MethodGet, "/session", other.Token), http.StatusOK, idle)
	// One who must change a password someone else set may stay signed in
	// while they do, as they may sign out (R-AUTH-6).
	want(t, api.do(t, http.MethodPost, "/v1/organisations/"+org+"/users", admin, map[string]any{"username": "nell",
		"display_name": "Nell New", "email": "nell@example.org", "roles": []domain.Role{domain.RoleAdviser},
		"password": testInitialPassword}), http.StatusCreated)
	left(call(http.MethodPost, "/session", api.signIn(t, "nell", testInitialPassword), sameSite...), http.StatusOK, idle)
	want(t, api.do(t, http.MethodDelete, "/v1/organisations/"+org+"/users/"+other.ID, admin, nil), http.StatusNoContent)
	left(call(http.MethodGet, "/session", other.Token), http.StatusUnauthorized, 0)

	// Signed-in pages tell the script the idle timeout and the lead of
	// the warning, two minutes; the sign-in page has no warning.
	page := string(call(http.MethodGet, "/directory", admin).Body)
	for _, w := range []string{`data-session-timeout="600"`, `data-session-warning="120"`, `<dialog id="timeout-warning"`,
		"You'll be signed out soon", "Stay signed in"} {
		if !strings.Contains(page, w) {
			t.Errorf("a signed-in page lacks %s", w)
		}
	}
	signIn := string(call(http.MethodGet, "/sign-in", "").Body)
	if strings.Contains(signIn, "data-session-timeout") || strings.Contains(signIn, "timeout-warning") {
		t.Error("the sign-in page carries the timeout warning")
	}
	if p := string(call(http.MethodGet, "/sign-in?ended=idle", "").Body); !strings.Contains(p, "You were signed out, for your security") {
		t.Error("the sign-in page after the warning ran out does not say the session ended")
	}
}
