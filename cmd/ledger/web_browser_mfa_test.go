package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/referral-ledger/ledger/auth"
	ledgernode "github.com/referral-ledger/ledger/node"
)

// mfaNode starts a node requiring a second factor of the network roles,
// as production does, on a clock the test moves from one TOTP step to the
// next (issue 17).
func mfaNode(t *testing.T) (*node, *shiftedClock) {
	t.Helper()
	t.Setenv(envMFARoles, networkMFARoles)
	clk := &shiftedClock{}
	withNodeOptions(t, ledgernode.WithClock(clk.now))
	return startNode(t, t.TempDir()), clk
}

// totpAt is the code of secret at the node's time.
func totpAt(t *testing.T, secret string, clk *shiftedClock) string {
	t.Helper()
	code, err := auth.TOTPCode(secret, auth.TOTPStep(clk.now()))
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// enterCode types code into the page's #code and submits its form.
func (c *chrome) enterCode(form, code string) {
	c.t.Helper()
	c.run(chromedp.SendKeys(chromedp.CSS("#code"), code))
	c.submit(`form[action="` + form + `"] button`)
}

// TestWebBrowserSecondFactor_Issue17: the bootstrap coordinator is sent to
// set up an authenticator app at first sign-in (a QR code drawn on the
// server and the key as text) and can reach nothing else; a wrong code is
// refused; the right one shows ten recovery codes once. Signing in again
// asks for the app's code on a second page; a recovery code works too.
// The organisation's page offers no reset of the coordinator's own second
// factor; replacing it asks for the password. Every page is axe clean.
func TestWebBrowserSecondFactor_Issue17(t *testing.T) {
	n, clk := mfaNode(t)
	c := newChrome(t, false)
	base := n.base

	c.signIn(base, "admin", adminPassword)
	c.wantText("h1", "Set up an authenticator app")
	c.wantText("main", "You need a second factor before you can continue")
	if eval[int](c, `document.querySelectorAll("svg.qr-code path").length`) != 1 {
		t.Fatal("no QR code drawn on the page")
	}
	c.check("mfa-enrol")
	c.visit(base + "/overdue")
	c.wantText("h1", "Set up an authenticator app") // nothing else until enrolled
	secret := strings.ReplaceAll(c.text("#secret"), " ", "")
	c.enterCode("/two-factor", "12")
	c.wantText(".error-summary", "There is a problem")
	c.check("mfa-enrol-error")
	c.enterCode("/two-factor", totpAt(t, secret, clk))
	c.wantText("h1", "Your authenticator app is set up")
	codes := eval[[]string](c, `Array.from(document.querySelectorAll(".recovery-code")).map(e => e.textContent)`)
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes shown, want 10", len(codes))
	}
	c.check("mfa-recovery-codes")
	c.visit(base + "/two-factor")
	c.wantText("main", "Recovery codes left", "10")
	if strings.Contains(c.text("main"), codes[0]) {
		t.Fatal("the recovery codes are shown again")
	}
	c.check("mfa-status")
	c.signOut()

	// Sign in with the app's next code, after a wrong one.
	clk.set(auth.TOTPPeriod)
	c.signIn(base, "admin", adminPassword)
	c.wantText("h1", "Enter the code from your authenticator app")
	c.check("mfa-sign-in-code")
	c.enterCode("/sign-in/code", "000000")
	c.wantText(".error-summary", "The code is not right")
	c.check("mfa-sign-in-code-error")
	c.enterCode("/sign-in/code", totpAt(t, secret, clk))
	if h := c.text("h1"); strings.Contains(h, "Sign in") || strings.Contains(h, "code") || strings.Contains(h, "authenticator") {
		t.Fatalf("not signed in: %q", h)
	}
	c.signOut()

	// A recovery code instead of the app.
	c.signIn(base, "admin", adminPassword)
	c.enterCode("/sign-in/code", codes[0])
	if h := c.text("h1"); strings.Contains(h, "Sign in") || strings.Contains(h, "code") {
		t.Fatalf("not signed in with a recovery code: %q", h)
	}

	// The organisation's page offers no reset of one's own second factor
	// (issue 17): a session alone could then remove it. The coordinator
	// replaces theirs on their own page, which asks for their password.
	clk.set(2 * auth.TOTPPeriod)
	res := n.must(t, 201, "POST", "/v1/sessions", "", map[string]string{"username": "admin", "password": adminPassword,
		"code": totpAt(t, secret, clk)})
	user := res["user"].(map[string]any)
	org, id := user["organisation_id"].(string), user["id"].(string)
	c.visit(base + "/organisations/" + org + "/second-factor")
	c.wantText("h1", "Second factor")
	c.check("mfa-organisation")
	if eval[int](c, `document.querySelectorAll('form[action="/organisations/`+org+`/users/`+id+`/second-factor/reset"]').length`) != 0 {
		t.Fatal("the organisation's page offers a reset of the coordinator's own second factor")
	}
	c.visit(base + "/two-factor")
	c.submit(`form[action="/two-factor/new"] button`)
	c.wantText("h1", "Set up an authenticator app")
	replacement := strings.ReplaceAll(c.text("#secret"), " ", "")
	c.enterCode("/two-factor", totpAt(t, replacement, clk))
	c.wantText(".error-summary", "Enter your password")
	c.check("mfa-replace-error")
	if s := strings.ReplaceAll(c.text("#secret"), " ", ""); s != replacement {
		t.Fatal("the refused replacement showed another secret")
	}
	c.run(chromedp.SendKeys(chromedp.CSS("#current-password"), adminPassword))
	c.enterCode("/two-factor", totpAt(t, replacement, clk))
	c.wantText("h1", "Your authenticator app is set up")
	c.signOut()
	clk.set(3 * auth.TOTPPeriod)
	c.signIn(base, "admin", adminPassword)
	c.enterCode("/sign-in/code", totpAt(t, replacement, clk))
	if h := c.text("h1"); strings.Contains(h, "Sign in") || strings.Contains(h, "code") {
		t.Fatalf("not signed in with the replacement app: %q", h)
	}
}

// TestWebBrowserSecondFactorWithoutJavaScript_Issue17: setting up the app
// and signing in with a code work with JavaScript off.
func TestWebBrowserSecondFactorWithoutJavaScript_Issue17(t *testing.T) {
	n, clk := mfaNode(t)
	c := newChrome(t, true)
	c.signIn(n.base, "admin", adminPassword)
	c.wantText("h1", "Set up an authenticator app")
	secret := strings.ReplaceAll(c.text("#secret"), " ", "")
	c.enterCode("/two-factor", totpAt(t, secret, clk))
	c.wantText("h1", "Your authenticator app is set up")
	c.signOut()
	clk.set(time.Duration(auth.TOTPPeriod))
	c.signIn(n.base, "admin", adminPassword)
	c.wantText("h1", "Enter the code from your authenticator app")
	c.enterCode("/sign-in/code", totpAt(t, secret, clk))
	if h := c.text("h1"); strings.Contains(h, "Sign in") || strings.Contains(h, "code") {
		t.Fatalf("not signed in: %q", h)
	}
}
