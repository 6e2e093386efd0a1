package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestWebBrowserSearchAndAudit: the coordinator finds a case through the
// search page with filters (a mistake first); the auditor opens it, reads
// its timeline with the hash chain, steps back to an earlier revision and
// to a date, and reads the access log. Every page and state is checked by
// axe-core and at 320 px; no URL holds client data (R-LEDGER-5, R-LOCK-9,
// R-UI-2).
func TestWebBrowserSearchAndAudit(t *testing.T) {
	n := newSearchNetwork(t)
	id, _, ref := n.makeReferral(t, "Browser Client")
	n.makeReferral(t, "Another Client")
	ben := n.signIn(t, "ben", benPassword)
	n.must(t, 200, "POST", "/v1/referrals/"+id+"/acknowledgement", ben, map[string]any{})
	n.must(t, 201, "POST", "/v1/referrals/"+id+"/notes", ben, map[string]any{"text": "Called the client back."})

	c := newChrome(t, false)
	c.signIn(n.base, "admin", adminPassword)
	c.visit(n.base + "/search")
	c.wantText("h1", "Search referrals")
	c.check("search")
	c.run(chromedp.SendKeys(chromedp.CSS("#made-from"), "31 2 2026"))
	c.submit(`form[action="/search"] button[type=submit]`)
	c.wantText(".error-summary", "There is a problem", "Enter the first date")
	c.check("search-error")
	eval[chromedp.Void](c, `document.querySelector("#made-from").value = ""`)
	c.run(chromedp.SetValue(chromedp.CSS("#status"), "acknowledged"),
		chromedp.SetValue(chromedp.CSS("#to"), optionValue(c, "#to", "Housing Trust")),
		chromedp.SendKeys(chromedp.CSS("#made-from"), "1 1 2026"))
	c.submit(`form[action="/search"] button[type=submit]`)
	c.wantText("main", "Referrals found", ref)
	if rows := eval[int](c, `document.querySelectorAll("tbody tr").length`); rows != 1 {
		t.Errorf("the search lists %d referrals, want only the acknowledged one:\n%s", rows, c.text("tbody"))
	}
	c.check("search-results")
	c.signOut()

	c.signIn(n.base, "audrey", auditorPassword)
	c.visit(n.base + "/search")
	c.run(chromedp.SendKeys(chromedp.CSS("#reference"), strings.ToLower(ref)))
	c.submit(`form[action="/search"] button[type=submit]`)
	c.submit(`a.reference`)
	c.wantText("h1", ref)
	if eval[int](c, `document.querySelectorAll("main form").length`) != 0 {
		t.Fatal("the auditor's referral page has a form")
	}
	c.check("auditor-referral")
	c.submit(`a[href$="/history"]`)
	c.wantText("main", "The hash chain of this referral's events verifies", "Referral made", "Note added", "Called the client back.")
	c.check("history")
	c.run(chromedp.SetValue(chromedp.CSS("#revision"), "0"))
	c.submit(`form:has(#revision) button[type=submit]`)
	c.wantText("main", "as it stood at revision 0")
	c.wantText(".summary", "New")
	c.check("history-revision")
	c.run(chromedp.SendKeys(chromedp.CSS("#as-of-date"), "1 1 2099"))
	c.submit(`form:has(#as-of-date) button[type=submit]`)
	c.wantText(".summary", "Acknowledged")
	c.submit(`a[href$="/access-log"]`)
	c.wantText("h1", "Access log")
	c.wantText("tbody", "Audrey Auditor", "Read the referral")
	c.check("access-log")
	noClientDataIn(t, c.requested(), "Browser Client", "Another Client", "Called the client back")
}

// TestWebBrowserSearchWithoutJavaScript searches and steps a case's
// timeline back with JavaScript switched off: plain GET forms (R-UI-1).
func TestWebBrowserSearchWithoutJavaScript(t *testing.T) {
	n := newSearchNetwork(t)
	_, _, ref := n.makeReferral(t, "No Script Client")
	c := newChrome(t, true)
	c.signIn(n.base, "audrey", auditorPassword)
	c.visit(n.base + "/search")
	c.run(chromedp.SetValue(chromedp.CSS("#status"), "made"), chromedp.SendKeys(chromedp.CSS("#reference"), ref))
	c.submit(`form[action="/search"] button[type=submit]`)
	c.wantText("main", "Referrals found", ref)
	c.submit(`a.reference`)
	c.submit(`a[href$="/history"]`)
	c.run(chromedp.SetValue(chromedp.CSS("#revision"), "0"))
	c.submit(`form:has(#revision) button[type=submit]`)
	c.wantText("main", "as it stood at revision 0")
	c.layoutChecks("history-no-js")
}

// TestWebBrowserFindAClient_REF14_UI2: an adviser finds a client their
// organisation referred by name and date of birth on the Find a client
// page, a mistake first; each state is checked by axe-core and at 320 px,
// and neither the name nor the date of birth is in any URL (R-REF-14,
// R-UI-2, R-PRIV-7).
func TestWebBrowserFindAClient_REF14_UI2(t *testing.T) {
	n := newSearchNetwork(t)
	_, _, ref := n.makeReferral(t, "Findable Client")
	c := newChrome(t, false)
	c.signIn(n.base, "ann", annPassword)
	c.visit(n.base + "/find-a-client")
	c.wantText("h1", "Find a client your organisation referred")
	c.check("find-a-client")
	c.submit(`form[action="/find-a-client"] button[type=submit]`)
	c.wantText(".error-summary", "There is a problem")
	c.check("find-a-client-error")
	c.run(chromedp.SendKeys(chromedp.CSS("#client-name"), "Findable Client"),
		chromedp.SendKeys(chromedp.CSS("#client-dob"), "27 3 1980"))
	c.submit(`form[action="/find-a-client"] button[type=submit]`)
	c.wantText("main", "1 client found", ref)
	c.check("find-a-client-found")
	noClientDataIn(t, c.requested(), "Findable Client", "1980")
}
