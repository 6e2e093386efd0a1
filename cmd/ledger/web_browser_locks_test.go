package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestWebBrowserLocks: case locking in the browser, every page and state
// checked by axe-core and at 320 px (R-UI-2, R-LOCK-1..8): a team manager
// requests a lock (a mistake first), another manager, the service
// manager, approves it after checking the decision; the denied adviser is
// refused the case; the helpdesk passes on child-protection information,
// which reaches the responsible person's messages; the responsible person
// grants temporary access and ends it early; the team manager reviews the
// lock and asks to unlock it. Then, with JavaScript off, the second
// service manager decides the unlock request and the helpdesk sends again.
func TestWebBrowserLocks(t *testing.T) {
	n := newLocksNetwork(t)
	c := newChrome(t, false)
	base := n.base
	referral := base + "/referrals/" + n.referral

	// The team manager's lock request.
	c.signIn(base, "tess", locksPassword)
	c.visit(referral)
	c.submit(`a[href^="/clients/` + n.client + `/lock-request"]`)
	c.wantText("h1", "Request a case lock")
	c.check("lock-request")
	c.submit(`form[action$="/lock-request"] button[type=submit]`)
	c.wantText(".error-summary", "There is a problem")
	c.check("lock-request-error")
	c.run(chromedp.SetValue(chromedp.CSS("#responsible"), n.ids["ben"]),
		chromedp.SendKeys(chromedp.CSS("#lock-reason"), "A member of staff is related to the client."),
		chromedp.Click(chromedp.CSS(`input[name="deny-user"][value="`+n.ids["bob"]+`"]`)))
	c.submit(`form[action$="/lock-request"] button[type=submit]`)
	c.wantText(".banner", "Lock requested")
	c.wantText("h1", n.reference)
	c.visit(base + "/locked-cases")
	c.wantText("main", "There are no locked cases to show")
	c.check("locked-cases-empty")
	c.signOut()

	// Another manager decides it, after a confirmation step.
	c.signIn(base, "sam", locksPassword)
	c.visit(base + "/lock-requests")
	c.wantText("main", n.reference, "Tess Team-Manager", "Ben Adviser")
	c.check("lock-requests")
	c.submit(`a[href^="/lock-requests/"]`)
	c.wantText("main", "A member of staff is related to the client.", "Bob Caseworker")
	c.check("lock-decision")
	c.submit(`form[action^="/lock-requests/"] button[type=submit]`)
	c.wantText(".error-summary", "Choose whether to approve or refuse")
	c.check("lock-decision-error")
	c.run(chromedp.Click(chromedp.CSS("#decision")))
	c.submit(`form[action^="/lock-requests/"] button[type=submit]`)
	c.wantText("h1", "Check your decision")
	c.check("lock-decision-confirm")
	c.submit(`form[action^="/lock-requests/"] button[type=submit]`)
	c.wantText(".banner", "Lock approved")
	c.check("lock-requests-empty")
	c.signOut()

	// The denied adviser is refused the case, told whom it is locked to.
	c.signIn(base, "bob", bobPassword)
	c.visit(referral)
	c.wantText("main", "You cannot do this", "Ben Adviser")
	c.check("referral-locked-refused")
	c.signOut()

	// The helpdesk passes information on.
	c.signIn(base, "hal", locksPassword)
	c.visit(base + "/pass-information")
	c.check("pass-information")
	c.run(chromedp.SendKeys(chromedp.CSS("#case"), n.reference))
	c.submit(`form[action="/pass-information"] button`)
	c.wantText(".error-summary", "There is a problem")
	c.check("pass-information-error")
	c.run(chromedp.SendKeys(chromedp.CSS("#message-text"), "A neighbour called: the children are alone at home."),
		chromedp.Click(chromedp.CSS("#child-protection")))
	c.submit(`form[action="/pass-information"] button`)
	c.wantText(".banner", "Sent to the person responsible, if there is one.")
	c.check("pass-information-sent")
	c.signOut()

	// The responsible person reads it and grants temporary access.
	c.signIn(base, "ben", benPassword)
	c.visit(base + "/messages")
	c.wantText("main", "1 child protection message", "Child protection: urgent", "the children are alone", "Hal Helpdesk")
	c.check("messages")
	c.submit(`a[href$="/temporary-access"]`)
	c.wantText("main", "Nobody has temporary access now")
	c.check("temporary-access")
	c.run(chromedp.SetValue(chromedp.CSS("#grantee"), n.ids["dora"]), chromedp.SendKeys(chromedp.CSS("#access-reason"), "Covering a home visit."))
	c.run(chromedp.SetValue(chromedp.CSS("#hours"), "30"))
	c.submit(`form[action$="/temporary-access"] button`)
	c.wantText(".error-summary", "from 1 to 24")
	c.check("temporary-access-error")
	c.run(chromedp.SetValue(chromedp.CSS("#hours"), "2"))
	c.submit(`form[action$="/temporary-access"] button`)
	c.wantText(".banner", "Temporary access granted")
	c.wantText("main", "Dora Duty")
	c.check("temporary-access-granted")
	c.signOut()

	c.signIn(base, "dora", locksPassword)
	c.visit(referral)
	c.wantText("h1", n.reference)
	c.signOut()

	c.signIn(base, "ben", benPassword)
	c.visit(base + "/clients/" + n.client + "/temporary-access")
	c.submit(`a[href$="/end"]`)
	c.wantText("h1", "End temporary access")
	c.check("end-access")
	c.submit(`form[action$="/end"] button`)
	c.wantText(".banner", "Temporary access ended")
	c.signOut()

	c.signIn(base, "dora", locksPassword)
	c.visit(referral)
	c.wantText("main", "You cannot do this")
	c.signOut()

	// The team manager's report, review and unlock request.
	c.signIn(base, "tess", locksPassword)
	c.visit(base + "/locked-cases")
	c.wantText("main", n.reference, "Ben Adviser", "Bob Caseworker", "Refused", "Record the monthly review")
	c.check("locked-cases")
	c.submit(`a[href$="/review"]`)
	c.check("lock-review")
	c.submit(`form[action$="/review"] button`)
	c.wantText(".error-summary", "There is a problem")
	c.check("lock-review-error")
	c.run(chromedp.Click(chromedp.CSS("#keep-locked")), chromedp.SendKeys(chromedp.CSS("#review-notes"), "Still needed."))
	c.submit(`form[action$="/review"] button`)
	c.wantText(".banner", "Review recorded")
	c.submit(`a[href$="/unlock"]`)
	c.check("unlock-request")
	c.run(chromedp.SendKeys(chromedp.CSS("#unlock-reason"), "The member of staff has left."))
	c.submit(`form[action$="/unlock"] button`)
	c.wantText(".banner", "Unlock requested")
	c.check("locked-cases-unlock-requested")
	c.signOut()
	noClientDataIn(t, c.requested(), "Client Person", "rent arrears", "neighbour", "children")

	// JavaScript off: the other service manager decides the unlock request;
	// the helpdesk sends again; the lock request form still works.
	off := newChrome(t, true)
	off.signIn(base, "una", locksPassword)
	off.visit(base + "/lock-requests")
	off.wantText("main", "Unlock", "Tess Team-Manager")
	off.submit(`a[href^="/lock-requests/"]`)
	off.wantText("main", "The member of staff has left.")
	off.run(chromedp.Click(chromedp.CSS("#decision")))
	off.submit(`form[action^="/lock-requests/"] button[type=submit]`)
	off.wantText("h1", "Check your decision")
	off.submit(`form[action^="/lock-requests/"] button[type=submit]`)
	off.wantText(".banner", "Unlock approved")
	off.signOut()
	off.signIn(base, "hal", locksPassword)
	off.visit(base + "/pass-information")
	off.run(chromedp.SendKeys(chromedp.CSS("#case"), strings.ToLower(n.reference)),
		chromedp.SendKeys(chromedp.CSS("#message-text"), "Another call."))
	off.submit(`form[action="/pass-information"] button`)
	off.wantText(".banner", "Sent to the person responsible, if there is one.")
	off.signOut()
	off.signIn(base, "bob", bobPassword)
	off.visit(referral)
	off.wantText("h1", n.reference) // unlocked: open to need to know again
	off.signOut()
	off.signIn(base, "tess", locksPassword)
	off.visit(base + "/clients/" + n.client + "/lock-request")
	off.wantText("h1", "Request a case lock")
	off.submit(`form[action$="/lock-request"] button[type=submit]`)
	off.wantText(".error-summary", "There is a problem")
	off.run(chromedp.SetValue(chromedp.CSS("#responsible"), n.ids["ben"]),
		chromedp.SendKeys(chromedp.CSS("#lock-reason"), "Asked on the wrong case."))
	off.submit(`form[action$="/lock-request"] button[type=submit]`)
	off.wantText(".banner", "Lock requested")
	off.signOut()

	// The team manager takes the new request back from the referral's page
	// (R-LOCK-1, R-LOCK-10): with a mistake first, then without JavaScript.
	c.signIn(base, "tess", locksPassword)
	c.visit(referral)
	c.submit(`a[href^="/lock-requests/"][href*="/withdraw"]`)
	c.wantText("h1", "Withdraw a lock request")
	c.check("lock-withdraw")
	c.submit(`form[action$="/withdraw"] button[type=submit]`)
	c.wantText(".error-summary", "There is a problem")
	c.check("lock-withdraw-error")
	c.signOut()
	off.signIn(base, "tess", locksPassword)
	off.visit(referral)
	off.submit(`a[href^="/lock-requests/"][href*="/withdraw"]`)
	off.run(chromedp.SendKeys(chromedp.CSS("#withdraw-reason"), "Asked on the wrong case."))
	off.submit(`form[action$="/withdraw"] button[type=submit]`)
	off.wantText(".banner", "Lock request withdrawn")
	off.visit(base + "/clients/" + n.client + "/lock-request")
	off.wantText("h1", "Request a case lock") // free for a new request
}
