package main

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/auth"
)

// secretOnPage is the TOTP key a set-up page shows as text.
var secretOnPage = regexp.MustCompile(`id="secret">([A-Z2-7 ]+)<`)

// pageSecret reads the key off a set-up page and returns the app's code
// for it now.
func pageSecret(t *testing.T, p page) (string, string) {
	t.Helper()
	m := secretOnPage.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no key on the set-up page:\n%s", p.body)
	}
	secret := strings.ReplaceAll(m[1], " ", "")
	code, err := auth.TOTPCode(secret, auth.TOTPStep(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	return secret, code
}

// TestWebReplaceSecondFactorNeedsPassword_Issue17: on the web pages as in
// the API, a first set-up needs the session alone, but replacing the app
// in use also asks for the password (or a code of the app in use), so a
// stolen session cannot lock the owner out; the org lead's page offers no
// reset of the lead's own second factor, and its route refuses one.
func TestWebReplaceSecondFactorNeedsPassword_Issue17(t *testing.T) {
	n := newWebNetwork(t)
	b := n.signedIn(t, "cleo", "Plover#Shore19")

	p := b.get("/two-factor")
	_, code := pageSecret(t, p)
	if strings.Contains(p.body, `id="current-password"`) {
		t.Error("a first set-up asks for the password")
	}
	wantStatus(t, b.post("/two-factor", url.Values{"code": {code}}), http.StatusOK, "Your authenticator app is set up")

	p = b.post("/two-factor/new", url.Values{})
	wantStatus(t, p, http.StatusOK, `id="current-password"`)
	_, code = pageSecret(t, p)
	wantStatus(t, b.post("/two-factor", url.Values{"code": {code}}), http.StatusUnprocessableEntity,
		`href="#current-password"`, "Enter your password")
	wantStatus(t, b.post("/two-factor", url.Values{"code": {code}, "current-password": {"Not#ThePassword1"}}),
		http.StatusUnprocessableEntity, `href="#current-password"`, "is not right")
	wantStatus(t, b.post("/two-factor", url.Values{"code": {code}, "current-password": {"Plover#Shore19"}}),
		http.StatusOK, "Your authenticator app is set up")

	// No reset of one's own on the organisation's page, nor by its route.
	var id string
	for _, u := range n.must(t, 200, "GET", "/v1/organisations/"+n.orgC+"/users", n.admin, nil)["users"].([]any) {
		if u := u.(map[string]any); u["username"] == "cleo" {
			id = u["id"].(string)
		}
	}
	if id == "" {
		t.Fatal("cleo is not among the organisation's users")
	}
	reset := "/organisations/" + n.orgC + "/users/" + id + "/second-factor/reset"
	p = b.get("/organisations/" + n.orgC + "/second-factor")
	wantStatus(t, p, http.StatusOK, "Second factor")
	if strings.Contains(p.body, `action="`+reset+`"`) {
		t.Error("the organisation's page offers the lead a reset of their own second factor")
	}
	if p = b.post(reset, url.Values{}); p.status != http.StatusForbidden {
		t.Fatalf("the lead's reset of their own second factor: status %d, want 403\n%s", p.status, p.body)
	}
	// Still enrolled: a sign-in asks for the second step.
	r := n.must(t, 200, "POST", "/v1/sessions", "", map[string]string{"username": "cleo", "password": "Plover#Shore19"})
	if r["second_factor_required"] != true {
		t.Fatalf("cleo's sign-in after the refused reset: %v", r)
	}
}
