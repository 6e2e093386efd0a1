package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestWebPasswordHintAndErrors_AUTH2_UI2: the change-password form tells
// people the rules of the password policy in force before they type (the
// networks' default: 8 characters with an upper-case and a lower-case
// letter, a digit and another character; the modern one: 12 characters),
// and its errors say what they are about, in the summary and by the field.
func TestWebPasswordHintAndErrors_AUTH2_UI2(t *testing.T) {
	n := newWebNetwork(t)
	b := n.browser(t)
	b.signIn("ann", annPassword, "/")
	p := b.get("/password")
	wantStatus(t, p, http.StatusOK, "at least 8 characters", "a digit")
	if strings.Contains(p.body, "random words") {
		t.Errorf("the hint suggests random words, which the network policy refuses")
	}
	p = b.post("/password", url.Values{"current-password": {"not it"}, "new-password": {"Otter#Stream-58"}, "confirm-password": {"Otter#Stream-58"}})
	wantStatus(t, p, http.StatusUnprocessableEntity, `href="#current-password"`, "The password you entered is not your current password")
	p = b.post("/password", url.Values{"current-password": {annPassword}, "new-password": {"Short#1"}, "confirm-password": {"Short#1"}})
	wantStatus(t, p, http.StatusUnprocessableEntity, `href="#new-password"`, "Your new password must be at least 8 characters long")
	p = b.post("/password", url.Values{"current-password": {annPassword}, "new-password": {"three random words"}, "confirm-password": {"three random words"}})
	wantStatus(t, p, http.StatusUnprocessableEntity, `href="#new-password"`, "Your new password must contain at least")
}

// TestWebPasswordHintModernPolicy_AUTH2_UI2: under the modern policy the
// hint asks for 12 characters and no composition rules.
func TestWebPasswordHintModernPolicy_AUTH2_UI2(t *testing.T) {
	t.Setenv("LEDGER_AUTH_PASSWORD_POLICY", "modern")
	t.Setenv("LEDGER_AUTH_MFA_REQUIRED_ROLES", "none")
	n := startNode(t, t.TempDir())
	b := (&webNetwork{node: n}).browser(t)
	if p := b.signIn("admin", adminPassword, "/"); p.status != http.StatusSeeOther {
		t.Fatalf("admin cannot sign in: %d\n%s", p.status, p.body)
	}
	p := b.get("/password")
	wantStatus(t, p, http.StatusOK, "at least 12 characters")
	if strings.Contains(p.body, "a digit") {
		t.Errorf("the modern policy's hint asks for a digit")
	}
	p = b.post("/password", url.Values{"current-password": {adminPassword}, "new-password": {"Short#12"}, "confirm-password": {"Short#12"}})
	wantStatus(t, p, http.StatusUnprocessableEntity, "Your new password must be at least 12 characters long")
}

// TestWebPasswordLookAlikes_AUTH2: the change-password page judges a new
// password as it is hashed (Unicode NFKC), as the API does: full-width
// "Ｐａｓｓｗｏｒｄ１！" is the common "Password1!", and the full-width form
// of the current password is the current password. The two new-password
// fields match when they hold one password, however it was composed.
func TestWebPasswordLookAlikes_AUTH2(t *testing.T) {
	n := newWebNetwork(t)
	b := n.browser(t)
	b.signIn("ann", annPassword, "/")
	fullWidth := func(s string) string {
		return strings.Map(func(r rune) rune { return r - '!' + '\uff01' }, s) // s is printable ASCII without spaces
	}
	post := func(next, confirm string) page {
		return b.post("/password", url.Values{"current-password": {annPassword}, "new-password": {next}, "confirm-password": {confirm}})
	}
	p := post(fullWidth("Password1!"), fullWidth("Password1!"))
	wantStatus(t, p, http.StatusUnprocessableEntity, `href="#new-password"`, "Your new password is too common")
	p = post(fullWidth(annPassword), fullWidth(annPassword))
	wantStatus(t, p, http.StatusUnprocessableEntity, `href="#new-password"`, "Your new password must differ from the current password")
	// "é" typed as one character in one field and as e plus an accent in
	// the other is one password.
	p = post("Caf\u00e9-Otter#58", "Cafe\u0301-Otter#58")
	wantStatus(t, p, http.StatusOK, "Your password has been changed")
	if p := b.signIn("ann", "Cafe\u0301-Otter#58", "/"); p.status != http.StatusSeeOther {
		t.Fatalf("the new password does not sign in: %d\n%s", p.status, p.body)
	}
}
