package main

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestWebBrowserSeriousCaseReviewAndGrantee: the pages added for the
// serious case review's end, the grantee's own temporary access and the
// ledger checkpoint, in Chromium, each state checked by axe-core and at
// 320 px (R-UI-2, R-LOCK-4, R-LOCK-6, R-AUD-1).
func TestWebBrowserSeriousCaseReviewAndGrantee(t *testing.T) {
	n := newLocksNetwork(t)
	req := n.must(t, 201, "POST", "/v1/clients/"+n.client+"/lock-requests", n.tessToken, map[string]any{"responsible_user_id": n.ids["ben"],
		"reason": "Child death review.", "allow": []any{}, "deny": []any{}, "serious_case_review": true})
	n.must(t, 200, "POST", "/v1/lock-requests/"+req["id"].(string)+"/decision", n.samToken, map[string]any{"approve": true})
	n.must(t, 201, "POST", "/v1/clients/"+n.client+"/temporary-access", n.benToken, map[string]any{"user_id": n.ids["dora"],
		"reason": "Covering a visit.", "hours": 2})
	c := newChrome(t, false)

	c.signIn(n.base, "dora", locksPassword)
	c.visit(n.base + "/referrals/" + n.referral)
	c.wantText("main", "You have temporary access to this case until")
	c.check("referral-temporary-access")
	c.submit(`form[action$="/end"] button`)
	c.wantText(".banner", "Your temporary access ended.")
	c.signOut()

	c.signIn(n.base, "sam", locksPassword)
	c.visit(n.base + "/locked-cases")
	c.submit(`a[href$="/serious-case-review"]`)
	c.wantText("h1", "Record the serious case review complete")
	c.check("serious-case-review")
	c.submit(`form[action$="/serious-case-review"] button`)
	c.wantText(".banner", "Serious case review recorded complete")
	c.check("locked-cases-review-completed")
}

// TestWebBrowserLedgerCheckpoint: the ledger checkpoint page, its proof and
// its error, and the history page's bundle form with an error, in Chromium
// (R-UI-2, R-AUD-1, R-AUD-2, R-AUD-3).
func TestWebBrowserLedgerCheckpoint(t *testing.T) {
	auditKeys(t)
	n := newSearchNetwork(t)
	id, _, _ := n.makeReferral(t, "Browser Checkpointed Client")
	c := newChrome(t, false)
	c.signIn(n.base, "audrey", auditorPassword)
	c.visit(n.base + "/ledger-checkpoint")
	c.wantText("main", e2eOrigin, "Download the checkpoint")
	c.check("ledger-checkpoint")
	c.visit(n.base + "/ledger-checkpoint?from=x")
	c.wantText(".error-summary", "There is a problem")
	c.check("ledger-checkpoint-error")
	c.visit(n.base + "/ledger-checkpoint?from=1")
	c.wantText("main", "From 1 to")
	c.check("ledger-checkpoint-proof")
	c.visit(n.base + "/referrals/" + id + "/bundle?trusted-size=x")
	c.wantText(".error-summary", "Enter the size of the checkpoint you trust")
	c.check("history-trusted-size-error")
}

// TestWebBrowserLockOtherOrganisationTeam: the lock request form's team of
// another organisation, with half an entry refused, in Chromium (R-UI-2,
// R-LOCK-11).
func TestWebBrowserLockOtherOrganisationTeam(t *testing.T) {
	n := newLocksNetwork(t)
	c := newChrome(t, false)
	c.signIn(n.base, "tess", locksPassword)
	c.visit(n.base + "/clients/" + n.client + "/lock-request")
	c.run(chromedp.SetValue(chromedp.CSS("#responsible"), n.ids["ben"]),
		chromedp.SendKeys(chromedp.CSS("#lock-reason"), "A member of staff is related to the client."),
		chromedp.SendKeys(chromedp.CSS("#allow-other-team"), "Outreach"))
	c.submit(`form[action$="/lock-request"] button[type=submit]`)
	c.wantText(".error-summary", "Choose the organisation the team belongs to")
	c.check("lock-request-other-team-error")
	c.run(chromedp.SetValue(chromedp.CSS("#allow-other-org"), n.orgA))
	c.submit(`form[action$="/lock-request"] button[type=submit]`)
	c.wantText(".banner", "Lock requested")
}
