package main

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestWebBrowserLifecycle declines and forwards referrals through the pages
// in a real browser, checking each page and state with axe-core and at
// 320 px: the referral page's lifecycle forms, the confirmation step, a
// refusal beside its field, a declined referral offering reopening, and a
// forwarded one showing its chain (R-REF-9, R-REF-10, R-REF-12, R-UI-2).
// A withdrawal is made with JavaScript off (R-UI-1, R-REF-11).
func TestWebBrowserLifecycle(t *testing.T) {
	n := newWebNetwork(t)
	annToken := n.signIn(t, "ann", annPassword)
	food := n.must(t, 201, "POST", "/v1/organisations", n.admin, map[string]any{"name": "Food Bank",
		"admin_email": "d@food.example", "services": []any{}})["id"].(string)
	declined, forwarded, withdrawn := n.lifecycleReferral(t, annToken), n.lifecycleReferral(t, annToken), n.lifecycleReferral(t, annToken)

	c := newChrome(t, false)
	c.signIn(n.base, "ben", benPassword)
	c.visit(n.base + declined)
	c.wantText("main", "Decline referral", "Forward referral")
	c.check("referral-lifecycle-forms")

	// Decline, confirmed.
	c.run(chromedp.Click(chromedp.CSS("#decline-reason-no_capacity")),
		chromedp.SendKeys(chromedp.CSS("#decline-comment"), "Full until spring."))
	c.submit(`form[action$="/decline"] button`)
	c.wantText("h1", "Are you sure you want to decline this referral?")
	c.wantText("main", "No capacity", "Full until spring.")
	c.check("lifecycle-confirm-decline")
	c.submit(`form[action$="/decline"] button`)
	c.wantText(".banner", "Referral declined")
	c.wantText("main", "Declined", "No capacity", "Reopen referral")
	c.check("referral-declined")

	// Forward: first without an organisation (refused beside the field,
	// before any "Are you sure?"), then to the Food Bank, confirmed.
	c.visit(n.base + forwarded)
	c.run(chromedp.SendKeys(chromedp.CSS("#forward-comment"), "They run a debt clinic."),
		chromedp.Click(chromedp.CSS("#forward-basis-verbal")), chromedp.Click(chromedp.CSS("#forward-consent-confirmed")))
	c.submit(`form[action$="/forward"] button`)
	c.wantText(".error-summary", "There is a problem")
	c.check("referral-forward-error")
	c.run(chromedp.SetValue(chromedp.CSS("#forward-to"), food)) // the rest of the form is kept
	c.submit(`form[action$="/forward"] button`)
	c.wantText("h1", "Are you sure you want to forward this referral?")
	c.wantText("main", "Food Bank")
	c.check("lifecycle-confirm-forward")
	c.submit(`form[action$="/forward"] button`)
	c.wantText(".banner", "Referral forwarded")
	c.wantText("main", "Forwarded referrals", "(this referral)", "to Food Bank")
	c.check("referral-forwarded")
	c.submit(`ol.chain a.link`) // along the chain to the new referral
	c.wantText("main", "Why it was forwarded to you", "They run a debt clinic.")
	c.check("referral-forwarded-new")

	// Withdraw with JavaScript off.
	nojs := newChrome(t, true)
	nojs.signIn(n.base, "ann", annPassword)
	nojs.visit(n.base + withdrawn)
	nojs.run(chromedp.SendKeys(chromedp.CSS("#withdraw-reason"), "The client moved away."))
	nojs.submit(`form[action$="/withdraw"] button`)
	nojs.wantText("h1", "Are you sure you want to withdraw this referral?")
	nojs.submit(`form[action$="/withdraw"] button`)
	nojs.wantText(".banner", "Referral withdrawn")
	nojs.wantText("main", "Withdrawn", "The client moved away.")
}
