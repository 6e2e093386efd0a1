package main

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestWebBrowserOrgLead: the org lead's work in a real browser, every page
// and state checked by axe-core and at 320 px (R-UI-1, R-UI-2): Lena adds
// a user, a mistake first; the new user signs in with the one-time
// password and must change it (R-AUTH-6); Lena edits and then closes the
// account after the confirmation step (R-ORG-3); switches intake off with
// a reason and a resume date, a mistake first, then on again (R-ORG-2);
// and saves the directory entry (R-ORG-1).
func TestWebBrowserOrgLead(t *testing.T) {
	n := newOrgLeadNetwork(t)
	c := newChrome(t, false)
	base := n.base

	c.signIn(base, "lena", lenaPassword)
	c.submit(`nav a[href="/organisation"]`)
	c.wantText("h1", "Users")
	c.wantText("main", "Housing Trust", "Ben Adviser", "Lena Lead")
	c.check("orglead-users")

	c.submit(`a[href$="/users/new"]`)
	c.wantText("h1", "Add a user")
	c.wantText("#password-hint", "They must change it when they first sign in")
	c.check("orglead-add-user")
	c.run(chromedp.SendKeys(chromedp.CSS("#display-name"), "Nia Newcomer"), chromedp.SendKeys(chromedp.CSS("#username"), "nia"))
	c.submit(`form[action$="/users"] button[type=submit]`)
	c.wantText(".error-summary", "There is a problem", "Enter a one-time password")
	if kept := c.value("#display-name"); kept != "Nia Newcomer" {
		t.Fatalf("the name typed was not kept: %q", kept)
	}
	c.check("orglead-add-user-error")
	c.run(chromedp.SendKeys(chromedp.CSS("#email"), "nia@example.org"), chromedp.Click(chromedp.CSS("#roles")),
		chromedp.SendKeys(chromedp.CSS("#team"), "Tenancy"), chromedp.SendKeys(chromedp.CSS("#password"), "Initial#Puffin63"))
	c.submit(`form[action$="/users"] button[type=submit]`)
	c.wantText(".banner", "User added")
	c.wantText("main", "Nia Newcomer", "Never")
	c.check("orglead-user-added")
	c.signOut()

	// Nia's first sign-in: the one-time password must be changed first.
	c.signIn(base, "nia", "Initial#Puffin63")
	c.wantText("h1", "Change your password")
	c.wantText("main", "You need to choose a new password")
	c.run(chromedp.SendKeys(chromedp.CSS("#current-password"), "Initial#Puffin63"),
		chromedp.SendKeys(chromedp.CSS("#new-password"), "Puffin#Burrow63"), chromedp.SendKeys(chromedp.CSS("#confirm-password"), "Puffin#Burrow63"))
	c.submit(`form[action="/password"] button`)
	c.wantText(".banner", "Your password has been changed")
	c.signIn(base, "nia", "Puffin#Burrow63")
	c.wantText("h1", "Incoming referrals")
	c.signOut()

	c.signIn(base, "lena", lenaPassword)
	c.visit(base + n.orgBURL + "/users")
	c.submit(`td a[href$="/users/` + n.userID(t, n.orgB, "nia") + `"]`)
	c.wantText("h1", "Nia Newcomer")
	c.wantText("main", "Last signed in")
	c.check("orglead-edit-user")
	eval[chromedp.Void](c, `document.querySelector("#team").value = ""`)
	c.run(chromedp.SendKeys(chromedp.CSS("#team"), "Money"))
	c.submit(`form[action*="/users/"] button[type=submit]`)
	c.wantText(".banner", "have been saved")
	c.submit(`a[href$="/close"]`)
	c.wantText("h1", "Are you sure you want to close")
	c.check("orglead-close-account")
	c.submit(`form[action$="/close"] button`)
	c.wantText(".banner", "Account closed")
	c.wantText("main", "Closed")
	c.check("orglead-account-closed")

	c.submit(`nav[aria-label="Organisation"] a[href$="/intake"]`)
	c.wantText("main", "Accepting referrals")
	c.check("orglead-intake-on")
	c.run(chromedp.SendKeys(chromedp.CSS("#resume-on"), "4 1 2099"))
	c.submit(`form[action$="/intake"] button`)
	c.wantText(".error-summary", "There is a problem")
	c.check("orglead-intake-error")
	c.run(chromedp.SendKeys(chromedp.CSS("#intake-reason"), "Staff training week"))
	c.submit(`form[action$="/intake"] button`)
	c.wantText(".banner", "Intake switched off")
	c.wantText("main", "Not accepting referrals", "Staff training week", "4 January 2099", "Less than a day")
	c.check("orglead-intake-off")
	c.submit(`form[action$="/intake"] button`)
	c.wantText(".banner", "Intake switched on")
	c.wantText("main", "Accepting referrals")

	c.submit(`nav[aria-label="Organisation"] a[href$="/profile"]`)
	c.wantText("h1", "Directory entry")
	c.check("orglead-profile")
	c.run(chromedp.SendKeys(chromedp.CSS("#service-1-description"), "Without a name"))
	c.submit(`form[action$="/profile"] button`)
	c.wantText(".error-summary", "The name of service 2")
	c.check("orglead-profile-error")
	c.run(chromedp.SendKeys(chromedp.CSS("#service-1-name"), "Mediation"))
	c.submit(`form[action$="/profile"] button`)
	c.wantText(".banner", "directory entry has been saved")
	c.check("orglead-profile-saved")
}

// TestWebBrowserOrgLeadWithoutJavaScript: the org lead's forms with
// JavaScript switched off (R-UI-1): add a user after a mistake, close the
// account through the confirmation step, switch intake off and on, save
// the directory entry.
func TestWebBrowserOrgLeadWithoutJavaScript(t *testing.T) {
	n := newOrgLeadNetwork(t)
	c := newChrome(t, true)
	base := n.base
	c.signIn(base, "lena", lenaPassword)
	c.visit(base + n.orgBURL + "/users/new")
	c.run(chromedp.SendKeys(chromedp.CSS("#display-name"), "Otto Offline"), chromedp.SendKeys(chromedp.CSS("#username"), "otto"),
		chromedp.SendKeys(chromedp.CSS("#email"), "otto@example.org"), chromedp.SendKeys(chromedp.CSS("#password"), "Initial#Curlew71"))
	c.submit(`form[action$="/users"] button[type=submit]`)
	c.wantText(".error-summary", "There is a problem") // no role chosen
	c.run(chromedp.Click(chromedp.CSS("#roles")), chromedp.SendKeys(chromedp.CSS("#password"), "Initial#Curlew71"))
	c.submit(`form[action$="/users"] button[type=submit]`)
	c.wantText(".banner", "User added")
	c.wantText("main", "Otto Offline")

	id := n.userID(t, n.orgB, "otto")
	c.visit(base + n.orgBURL + "/users/" + id + "/close")
	c.submit(`form[action$="/close"] button`)
	c.wantText(".banner", "Account closed")

	c.visit(base + n.orgBURL + "/intake")
	c.run(chromedp.SendKeys(chromedp.CSS("#intake-reason"), "Office move"))
	c.submit(`form[action$="/intake"] button`)
	c.wantText(".banner", "Intake switched off")
	c.submit(`form[action$="/intake"] button`)
	c.wantText(".banner", "Intake switched on")

	c.visit(base + n.orgBURL + "/profile")
	c.run(chromedp.SendKeys(chromedp.CSS("#service-1-name"), "Mediation"))
	c.submit(`form[action$="/profile"] button`)
	c.wantText(".banner", "directory entry has been saved")
}

// TestWebBrowserSetPassword_AUTH6: in a real browser, every state checked
// by axe-core and at 320 px (R-UI-1, R-UI-2), Lena sets a new one-time
// password for Ben, who forgot his: a mistake first, whose password is not
// kept in the field; then the confirmation. Ben signs in with it and must
// change it before anything else (R-AUTH-6).
func TestWebBrowserSetPassword_AUTH6(t *testing.T) {
	n := newOrgLeadNetwork(t)
	c := newChrome(t, false)
	base := n.base
	c.signIn(base, "lena", lenaPassword)
	benID := n.userID(t, n.orgB, "ben")
	c.visit(base + n.orgBURL + "/users")
	c.submit(`td a[href$="/users/` + benID + `"]`)
	c.wantText("main", "Forgotten password")
	c.submit(`main a[href$="/users/` + benID + `/password"]`)
	c.wantText("h1", "Set a new one-time password for Ben Adviser")
	c.wantText("#password-hint", "Give it to them in person or by phone")
	c.check("orglead-set-password")
	c.run(chromedp.SendKeys(chromedp.CSS("#password"), "Password1!"))
	c.submit(`form[action$="/password"] button[type=submit]`)
	c.wantText(".error-summary", "There is a problem", "The one-time password is too common")
	c.wantText("#password-error", "too common")
	if kept := c.value("#password"); kept != "" {
		t.Fatalf("the refused password was kept in the field: %q", kept)
	}
	c.check("orglead-set-password-error")
	c.run(chromedp.SendKeys(chromedp.CSS("#password"), "Lantern#Otter-Path58"))
	c.submit(`form[action$="/password"] button[type=submit]`)
	c.wantText("h1", "One-time password set")
	c.wantText("main", "in person", "must choose their own password")
	c.check("orglead-password-set")
	c.signOut()

	c.signIn(base, "ben", "Lantern#Otter-Path58")
	c.wantText("h1", "Change your password")
	c.wantText("main", "You need to choose a new password")
}

// TestWebBrowserSetPasswordWithoutJavaScript_AUTH6: the same form with
// JavaScript switched off (R-UI-1): a mistake, then the password set.
func TestWebBrowserSetPasswordWithoutJavaScript_AUTH6(t *testing.T) {
	n := newOrgLeadNetwork(t)
	c := newChrome(t, true)
	c.signIn(n.base, "lena", lenaPassword)
	c.visit(n.base + n.orgBURL + "/users/" + n.userID(t, n.orgB, "ben") + "/password")
	c.submit(`form[action$="/password"] button[type=submit]`)
	c.wantText(".error-summary", "There is a problem", "Enter a one-time password")
	c.run(chromedp.SendKeys(chromedp.CSS("#password"), "Lantern#Otter-Path58"))
	c.submit(`form[action$="/password"] button[type=submit]`)
	c.wantText("h1", "One-time password set")
}
