package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// fillKnownClient fills in the make-a-referral form for a client with the
// given name and date of birth.
func (c *chrome) fillKnownClient(to, name, dob string) {
	c.t.Helper()
	c.run(chromedp.SetValue(chromedp.CSS("#to"), to), chromedp.SendKeys(chromedp.CSS("#client-name"), name),
		chromedp.SendKeys(chromedp.CSS("#client-dob"), dob),
		chromedp.SendKeys(chromedp.CSS("#reason"), "Rent arrears again."), chromedp.Click(chromedp.CSS("#basis")),
		chromedp.Click(chromedp.CSS("#consent-confirmed")), chromedp.Click(chromedp.CSS("#privacy-notice")))
}

// TestWebBrowserKnownClient_REF14: in a real browser, with and without
// JavaScript, making a referral for a client the organisation already
// referred asks whether it is the same person (checked by axe-core, also
// with its error, and at 320 px), and "yes" refers them again under the
// same client id; no URL holds the client's name or date of birth.
func TestWebBrowserKnownClient_REF14(t *testing.T) {
	n := newWebNetwork(t)
	ann := n.signIn(t, "ann", annPassword)
	first := n.must(t, 201, "POST", "/v1/referrals", ann, map[string]any{"to_organisation_id": n.orgB,
		"client": map[string]string{"name": "Zoë Ångström", "date_of_birth": "1975-11-05"}, "reason": "Rent arrears.",
		"consent": map[string]any{"method": "written", "confirmed": true}, "privacy_notice_given": true})
	client := first["client_id"].(string)

	for _, jsOff := range []bool{false, true} {
		t.Run(fmt.Sprintf("javascript off %v", jsOff), func(t *testing.T) {
			c := newChrome(t, jsOff)
			c.signIn(n.base, "ann", annPassword)
			c.visit(n.base + "/make-a-referral")
			c.fillKnownClient(n.orgB, "zoe  ANGSTROM", "5 11 1975")
			c.submit(`form[action="/make-a-referral"] button[type=submit]`)
			c.wantText("h1", "This client may already be known to your organisation")
			c.wantText("main", first["reference"].(string), "New, made", "No, someone else")
			if !jsOff {
				c.check("known-client")
				c.submit(`form[action="/make-a-referral"] button[type=submit]`)
				c.wantText(".error-summary", "There is a problem", "Choose whether this is the same person")
				c.check("known-client-error")
			}
			c.run(chromedp.Click(chromedp.CSS("#known-client")))
			c.submit(`form[action="/make-a-referral"] button[type=submit]`)
			c.wantText(".banner", "Referral made")
			path := eval[string](c, `location.pathname`)
			id := strings.TrimPrefix(path, "/referrals/")
			if got := n.must(t, 200, "GET", "/v1/referrals/"+id, n.admin, nil)["client_id"]; got != client {
				t.Fatalf("referred again under client %v, want %s", got, client)
			}
			noClientDataIn(t, c.requested(), "Zoë", "zoe", "ANGSTROM", "Ångström", "1975", "5 11")
		})
	}
}
