package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestWebFormAfterSessionEndedSaysSo_UI2_AUTH3: a form sent after the
// session ended (idle timeout, sign-out elsewhere) is not acted on, and
// the sign-in page says why and that nothing was saved, then brings the
// user back to the page the form was on (WCAG 2.2.1, 3.3: no silent loss).
func TestWebFormAfterSessionEndedSaysSo_UI2_AUTH3(t *testing.T) {
	n := newWebNetwork(t)
	ann := n.browser(t)
	ann.signIn("ann", annPassword, "/")
	base, _ := url.Parse(n.base)
	var token string
	for _, ck := range ann.c.Jar.Cookies(base) {
		if strings.HasSuffix(ck.Name, "ledger_session") {
			token = ck.Value
		}
	}
	if token == "" {
		t.Fatal("no session cookie")
	}
	// The session ends (as after the idle timeout).
	if status, _ := n.call(t, "DELETE", "/v1/sessions/current", token, nil); status != http.StatusNoContent {
		t.Fatalf("ending the session: %d", status)
	}
	p := ann.send("POST", "/make-a-referral", url.Values{"client-name": {"Client Person"}}, "Referer", n.base+"/make-a-referral")
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/sign-in") {
		t.Fatalf("a form without a session: %d %q", p.status, p.location)
	}
	page := ann.get(p.location)
	wantStatus(t, page, http.StatusOK, "You were signed out", "was not saved", `name="next" value="/make-a-referral"`)
	if p := ann.signIn("ann", annPassword, "/make-a-referral"); p.location != "/make-a-referral" {
		t.Errorf("after signing in again: %q", p.location)
	}
	// Signing out with no session left, or a plain visit to the sign-in
	// page, says nothing of the kind.
	if p := n.browser(t).post("/sign-out", url.Values{}); strings.Contains(p.location, "ended") {
		t.Errorf("signing out without a session: %q", p.location)
	}
	if p := n.browser(t).get("/sign-in"); strings.Contains(p.body, "You were signed out") {
		t.Errorf("the sign-in page says the user was signed out")
	}
}
