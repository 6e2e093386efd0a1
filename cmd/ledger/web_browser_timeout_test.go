package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// browserIdleTimeout is auth.session_idle_timeout in the timeout warning's
// browser tests: short, so the warning (half of it before the end, as the
// timeout is under four minutes) comes within seconds, yet long enough
// for axe-core to check the open dialog before the session ends.
const browserIdleTimeout = "24s"

// waitTimeoutDialog waits, on the page's own events, until the timeout
// warning is open (or closed).
func (c *chrome) waitTimeoutDialog(open bool) {
	c.t.Helper()
	eval[bool](c, fmt.Sprintf(`new Promise(resolve => {
		const d = document.getElementById("timeout-warning");
		if (d.open === %[1]t) { resolve(true); return; }
		new MutationObserver((_, o) => { if (d.open === %[1]t) { o.disconnect(); resolve(true); } })
			.observe(d, {attributes: true, attributeFilter: ["open"]});
	})`, open), chromedp.EvalAwaitPromise)
}

// sessionLeft asks GET /session from the page, as its script does.
func (c *chrome) sessionLeft() (bool, float64) {
	c.t.Helper()
	s := eval[map[string]any](c, `fetch("/session", {cache: "no-store"}).then(r => r.json())`, chromedp.EvalAwaitPromise)
	in, _ := s["signed_in"].(bool)
	left, _ := s["remaining_seconds"].(float64)
	return in, left
}

// sessionCookie is the browser's session cookie, which the page's script
// cannot read (HttpOnly).
func (c *chrome) sessionCookie(base string) string {
	c.t.Helper()
	res, err := chromedp.Call(c.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{base}})
	if err != nil {
		c.t.Fatalf("browser: cookies: %v", err)
	}
	for _, ck := range res.Cookies {
		if ck.Name == "ledger_session" {
			return ck.Value
		}
	}
	c.t.Fatal("the browser holds no session cookie")
	return ""
}

// sessionRequest sends method /session with the session cookie from
// outside the browser: another tab, as far as the page can tell.
func sessionRequest(t *testing.T, base, method, cookie string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, base+"/session", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.AddCookie(&http.Cookie{Name: "ledger_session", Value: cookie})
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatalf("%s /session: %v", method, err)
	}
	return res.StatusCode, body
}

// TestWebBrowserTimeoutWarningStaySignedIn_UI2: before an idle session
// ends, a signed-in page warns in a modal dialog (WCAG 2.2.1 Timing
// Adjustable): focus moves into it and stays there, it passes axe-core
// open, and "Stay signed in" keeps the session alive, puts focus back
// where it was and leaves what was typed; Escape does the same (R-UI-2).
func TestWebBrowserTimeoutWarningStaySignedIn_UI2(t *testing.T) {
	t.Setenv("LEDGER_AUTH_SESSION_IDLE_TIMEOUT", browserIdleTimeout)
	n := newWebNetwork(t)
	c := newChrome(t, false)
	c.signIn(n.base, "ann", annPassword)
	c.visit(n.base + "/make-a-referral")
	c.run(chromedp.SendKeys(chromedp.CSS("#reason"), "Rent arrears."))

	c.waitTimeoutDialog(true)
	if !eval[bool](c, `document.getElementById("timeout-warning").matches(":modal")`) {
		t.Fatal("the timeout warning is not modal")
	}
	if got := eval[string](c, `document.activeElement.textContent.trim()`); got != "Stay signed in" {
		t.Fatalf("focus is on %q, want the Stay signed in button", got)
	}
	c.wantText("#timeout-warning h2", "You'll be signed out soon")
	c.wantText("#timeout-warning", "For your security, you will be signed out in", "seconds", "Sign out")
	if said := eval[string](c, `document.querySelector("[data-timeout-announce]").textContent`); !strings.Contains(said, "signed out in") {
		t.Errorf("screen readers are told %q", said)
	}
	for range 3 { // Tab cycles within the dialog: Sign out, Stay signed in, Sign out
		c.run(chromedp.KeyEvent(kb.Tab))
		if !eval[bool](c, `document.getElementById("timeout-warning").contains(document.activeElement)`) {
			t.Fatalf("Tab left the dialog for %s", eval[string](c, `document.activeElement.outerHTML`))
		}
	}
	c.run(chromedp.KeyEvent(kb.Tab)) // back to Stay signed in
	c.check("timeout-warning")

	c.run(chromedp.Click(chromedp.CSS("[data-timeout-stay]")))
	c.waitTimeoutDialog(false)
	if id := eval[string](c, `document.activeElement.id`); id != "reason" {
		t.Errorf("after Stay signed in, focus is on #%s, want back on #reason", id)
	}
	// The warning came half the timeout after the page's request, so the
	// session had less than half left: now it has more.
	if in, left := c.sessionLeft(); !in || left <= 12 {
		t.Fatalf("after Stay signed in the session is signed in %v with %vs left, want more than 12s", in, left)
	}
	if kept := c.value("#reason"); kept != "Rent arrears." {
		t.Fatalf("what was typed is gone: %q", kept)
	}

	// Escape is "Stay signed in" too.
	c.waitTimeoutDialog(true)
	c.run(chromedp.KeyEvent(kb.Escape))
	c.waitTimeoutDialog(false)
	if in, left := c.sessionLeft(); !in || left <= 12 {
		t.Fatalf("after Escape the session is signed in %v with %vs left, want more than 12s", in, left)
	}
	c.visit(n.base + "/outgoing")
	c.wantText("h1", "Outgoing")
}

// TestWebBrowserTimeoutWarningRunsOut_UI2: left alone, the warning counts
// down and the page goes to the sign-in page, which says the session
// ended and returns to the page after signing in. A use of the session
// elsewhere while the warning is open (another tab) is found before the
// page gives up: it signs out only when the server says the session is
// over, never while another tab keeps it alive (R-UI-2, R-AUTH-3).
func TestWebBrowserTimeoutWarningRunsOut_UI2(t *testing.T) {
	t.Setenv("LEDGER_AUTH_SESSION_IDLE_TIMEOUT", browserIdleTimeout)
	n := newWebNetwork(t)
	c := newChrome(t, false)
	c.signIn(n.base, "ann", annPassword)
	c.visit(n.base + "/make-a-referral")
	c.waitTimeoutDialog(true)

	// Another tab uses the session while this one warns.
	cookie := c.sessionCookie(n.base)
	if status, body := sessionRequest(t, n.base, http.MethodPost, cookie); status != http.StatusOK || body["signed_in"] != true {
		t.Fatalf("keeping the session alive from elsewhere: %d %v", status, body)
	}

	before := eval[string](c, `String(performance.timeOrigin)`)
	c.waitNavigatedWithin(before, time.Minute)
	loc, err := url.Parse(eval[string](c, `location.href`))
	if err != nil || loc.Path != "/sign-in" || loc.Query().Get("ended") != "idle" || loc.Query().Get("next") != "/make-a-referral" {
		t.Fatalf("when the time ran out the page went to %s", loc)
	}
	// The page gave up only once the session was over, not at the end it
	// first counted down to, when the other tab's use had kept it alive.
	if status, body := sessionRequest(t, n.base, http.MethodGet, cookie); status != http.StatusUnauthorized {
		t.Fatalf("the page signed out while the session was alive: %d %v", status, body)
	}
	c.wantText("main", "You were signed out, for your security")
	c.check("sign-in-timed-out")

	c.run(chromedp.SendKeys(chromedp.CSS("#username"), "ann"), chromedp.SendKeys(chromedp.CSS("#password"), annPassword))
	c.submit(`form[action="/sign-in"] button`)
	c.wantText("h1", "Make a referral")
}
