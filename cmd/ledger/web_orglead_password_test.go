package main

// Setting a one-time password for a user who forgot theirs, on the org
// lead's user pages (R-AUTH-6, R-AUTH-7), through plain HTTP as a browser
// with JavaScript off sends it.

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestWebSetPassword_AUTH6_AUTH7: Lena, Housing Trust's lead, sets a new
// one-time password for Ben, who forgot his. The form has a label, a hint
// and, on a mistake, the error summary and the message beside the field;
// a refused password is never sent back and nothing is written. Once set,
// a confirmation page tells her to give it to him in person; Ben is
// signed out at once and must change it at his next sign-in (R-AUTH-6).
// An account holding a network role is the coordinator's alone (R-AUTH-7);
// a closed account has no password to set; her own password she changes
// knowing it; another organisation's users are not hers.
func TestWebSetPassword_AUTH6_AUTH7(t *testing.T) {
	n := newOrgLeadNetwork(t)
	b := n.lena
	benID := n.userID(t, n.orgB, "ben")
	ben := n.signedIn(t, "ben", benPassword)
	benToken := n.signIn(t, "ben", benPassword)
	userURL := n.orgBURL + "/users/" + benID
	formURL := userURL + "/password"

	wantStatus(t, b.get("/sign-in"), http.StatusOK, "ask your organisation's lead to set a new one-time password")
	wantStatus(t, b.get(userURL), http.StatusOK, "Forgotten password", `href="`+formURL+`"`, "Set a new one-time password")

	p := b.get(formURL)
	wantStatus(t, p, http.StatusOK, "<title>Set a new one-time password for Ben Adviser", "<h1 class=\"heading-l\">Set a new one-time password for Ben Adviser",
		`<form method="post" action="`+formURL+`" novalidate>`, `<label class="label" for="password">New one-time password</label>`,
		`id="password-hint"`, "Give it to them in person or by phone, never by email",
		`type="password" autocomplete="new-password"`, `aria-describedby="password-hint"`)
	if strings.Contains(p.body, "error-summary") {
		t.Fatalf("the blank form shows errors:\n%s", p.body)
	}

	// Mistakes: named in the summary and beside the field, the password
	// never sent back, nothing written, Ben still signed in.
	before := n.revision(t, n.orgB)
	p = b.post(formURL, url.Values{})
	wantStatus(t, p, http.StatusUnprocessableEntity, "<title>Error: Set a new one-time password", "There is a problem",
		`<a href="#password">Enter a one-time password</a>`, `id="password-error"`, `aria-describedby="password-hint password-error"`)
	for _, weak := range []string{"Password1!", "Sh0rt!", "Housing#Trust1"} {
		p = b.post(formURL, url.Values{"password": {weak}})
		wantStatus(t, p, http.StatusUnprocessableEntity, "There is a problem", `href="#password"`, "The one-time password", `id="password-error"`)
		if strings.Contains(p.body, weak) {
			t.Fatalf("the refused password %q is sent back in the page", weak)
		}
	}
	n.wantUnchanged(t, n.orgB, before)
	wantStatus(t, ben.get("/incoming"), http.StatusOK)

	// Set: the confirmation says what to do with it, once.
	const fresh = "Lantern#Otter-Path58"
	p = b.post(formURL, url.Values{"password": {fresh}})
	if p.status != http.StatusSeeOther || p.location != formURL+"/set" {
		t.Fatalf("setting the password: %d %q\n%s", p.status, p.location, p.body)
	}
	p = b.follow(p)
	wantStatus(t, p, http.StatusOK, "One-time password set", "for Ben Adviser (ben)", "in person", "Never send it by email",
		"signed out on every device", "must choose their own password")
	if strings.Contains(p.body, fresh) || strings.Contains(p.body, "banner-success") {
		t.Fatalf("the confirmation repeats the password, or a banner besides:\n%s", p.body)
	}
	if again := b.get(formURL + "/set"); again.status != http.StatusSeeOther || again.location != userURL {
		t.Fatalf("the confirmation shown again: %d %q", again.status, again.location)
	}
	wantStatus(t, b.get(userURL), http.StatusOK, "must change the one-time password at first sign-in")

	// Ben is signed out everywhere; his old password is gone, and the new
	// one must be changed before anything else (R-AUTH-6).
	if p := ben.get("/incoming"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/sign-in") {
		t.Fatalf("Ben's page session after the reset: %d %q", p.status, p.location)
	}
	n.must(t, http.StatusUnauthorized, "GET", "/v1/directory", benToken, nil)
	ben = n.browser(t)
	if p := ben.signIn("ben", benPassword, "/"); p.status == http.StatusSeeOther {
		t.Fatal("Ben's old password still signs in")
	}
	p = ben.follow(ben.signIn("ben", fresh, "/"))
	wantStatus(t, p, http.StatusOK, "Change your password", "You need to choose a new password")
	if p := ben.get("/incoming"); p.status != http.StatusSeeOther || p.location != "/password" {
		t.Fatalf("before changing the one-time password: %d %q", p.status, p.location)
	}

	// An account holding a network role is the coordinator's (R-AUTH-7).
	support := n.must(t, 201, "POST", "/v1/organisations/"+n.orgB+"/users", n.admin, map[string]any{"username": "sam",
		"display_name": "Sam Support", "email": "sam@example.org", "roles": []string{"system_support"}, "password": "Initial#Tern44"})["id"].(string)
	supportURL := n.orgBURL + "/users/" + support
	if p := b.get(supportURL); strings.Contains(p.body, "Set a new one-time password") {
		t.Error("the org lead is offered to set a password for a network-role account")
	}
	before = n.revision(t, n.orgB)
	wantStatus(t, b.get(supportURL+"/password"), http.StatusForbidden, "Only the coordinator")
	wantStatus(t, b.post(supportURL+"/password", url.Values{"password": {fresh}}), http.StatusForbidden)
	n.wantUnchanged(t, n.orgB, before)
	admin := n.signedIn(t, "admin", adminPassword)
	wantStatus(t, admin.get(supportURL), http.StatusOK, "Set a new one-time password")
	p = admin.post(supportURL+"/password", url.Values{"password": {fresh}})
	wantStatus(t, admin.follow(p), http.StatusOK, "One-time password set", "for Sam Support (sam)")

	// A closed account: no form, and a forged post is refused.
	closed := n.must(t, 201, "POST", "/v1/organisations/"+n.orgB+"/users", n.admin, map[string]any{"username": "cara",
		"display_name": "Cara Closed", "email": "cara@example.org", "roles": []string{"adviser"}, "password": "Initial#Crane52"})["id"].(string)
	n.must(t, 204, "DELETE", "/v1/organisations/"+n.orgB+"/users/"+closed, n.admin, nil)
	p = b.get(n.orgBURL + "/users/" + closed + "/password")
	wantStatus(t, p, http.StatusOK, "This account is closed")
	if strings.Contains(p.body, `name="password"`) {
		t.Error("a closed account is offered a password")
	}
	before = n.revision(t, n.orgB)
	wantStatus(t, b.post(n.orgBURL+"/users/"+closed+"/password", url.Values{"password": {fresh}}), http.StatusConflict, "closed")
	n.wantUnchanged(t, n.orgB, before)

	// Her own password she changes knowing it.
	if p := b.get(n.orgBURL + "/users/" + n.lenaID); strings.Contains(p.body, "Set a new one-time password") {
		t.Error("the lead is offered to set a one-time password for herself")
	}
	if p := b.get(n.orgBURL + "/users/" + n.lenaID + "/password"); p.status != http.StatusSeeOther || p.location != "/password" {
		t.Fatalf("the lead's own one-time password page: %d %q", p.status, p.location)
	}
	wantStatus(t, b.post(n.orgBURL+"/users/"+n.lenaID+"/password", url.Values{"password": {fresh}}), http.StatusForbidden)
	n.wantUnchanged(t, n.orgB, before)

	// Another organisation's users are not hers.
	annID := n.userID(t, n.orgA, "ann")
	before = n.revision(t, n.orgA)
	wantStatus(t, b.get("/organisations/"+n.orgA+"/users/"+annID+"/password"), http.StatusForbidden)
	wantStatus(t, b.post("/organisations/"+n.orgA+"/users/"+annID+"/password", url.Values{"password": {fresh}}), http.StatusForbidden)
	n.wantUnchanged(t, n.orgA, before)
	n.signIn(t, "ann", annPassword)
}
