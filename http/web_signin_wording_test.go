package http

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var challengeField = regexp.MustCompile(`name="challenge" value="([^"]+)"`)

// TestWebThrottledSignInSaysWhatAndWhen_AUTH3_AUTH5_UI2: wrong codes from
// the authenticator app count against the same limit as wrong passwords
// (R-AUTH-5). Past it, the code page and then the sign-in page, even with
// the right password, say that too many attempts failed, with a wrong
// password or a wrong code, and in how many minutes to try again: the
// wait Retry-After gives, which is the API's too. Neither names the
// account (R-AUTH-3) nor blames the password.
func TestWebThrottledSignInSaysWhatAndWhen_AUTH3_AUTH5_UI2(t *testing.T) {
	a := newTestAPI(t, withWebPages(), withMFARoles(networkMFARoles...))
	secret, _ := a.enrolTOTP(t, a.Admin.Token)
	a.nextStep()
	b := a.pagesAs(t, "")
	signIn := url.Values{"username": {"admin"}, "password": {testAdminPassword}, "next": {"/"}}
	m := challengeField.FindStringSubmatch(showing(t, b.post("/sign-in", signIn), http.StatusOK, "Enter the code"))
	if m == nil {
		t.Fatal("the code page has no challenge")
	}
	right := a.totpNow(t, secret)
	wrong := "123456"
	if wrong == right {
		wrong = "654321"
	}
	for range 5 {
		showing(t, b.post("/sign-in/code", url.Values{"challenge": {m[1]}, "code": {wrong}, "next": {"/"}}), http.StatusUnauthorized,
			"The code is not right")
	}
	codePage := b.post("/sign-in/code", url.Values{"challenge": {m[1]}, "code": {right}, "next": {"/"}})
	passwordPage := b.post("/sign-in", signIn)
	api := a.do(t, http.MethodPost, "/v1/sessions", "", map[string]string{"username": "admin", "password": testAdminPassword})
	api.problem(t, http.StatusTooManyRequests)
	secs, err := strconv.Atoi(api.Header.Get("Retry-After"))
	if err != nil || secs <= 60 {
		t.Fatalf("the API's Retry-After %q", api.Header.Get("Retry-After"))
	}
	wantText := "Too many attempts to sign in have failed, with a wrong password or a wrong code from the authenticator app. " +
		"Try again in " + strconv.Itoa((secs+59)/60) + " minutes."
	for name, r := range map[string]*response{"the code page": codePage, "the sign-in page": passwordPage} {
		page := showing(t, r, http.StatusTooManyRequests, wantText)
		if got := r.Header.Get("Retry-After"); got != strconv.Itoa(secs) {
			t.Errorf("%s: Retry-After %q, the API's %d", name, got, secs)
		}
		if strings.Contains(page, "password attempts") || strings.Contains(page, "try again later") {
			t.Errorf("%s blames the password, or does not say when to try again", name)
		}
	}
}

// TestWebSecondFactorResetSaysWhatComesNext_Issue17_UI2: after an org
// lead resets a user's second factor, the confirmation says the user will
// set up an authenticator app at their next sign-in only when their role
// or organisation requires one; otherwise, that they sign in with their
// password alone.
func TestWebSecondFactorResetSaysWhatComesNext_Issue17_UI2(t *testing.T) {
	n := newNetwork(t, withWebPages())
	const next = "will set up an authenticator app at their next sign-in"
	reset := "/organisations/" + n.OrgA + "/users/" + n.AdviserA.ID + "/second-factor/reset"
	lead := n.pagesAs(t, n.LeadA.Token)

	confirmation := func() string {
		t.Helper()
		m := flashBanner.FindStringSubmatch(showing(t, lead.follow(lead.post(reset, url.Values{})), http.StatusOK))
		if m == nil || !strings.Contains(m[1], "second factor has been reset") {
			t.Fatalf("the reset's confirmation: %q", m)
		}
		return m[1]
	}

	n.enrolTOTP(t, n.AdviserA.Token)
	if got := confirmation(); strings.Contains(got, next) || !strings.Contains(got, "sign in with their password alone") {
		t.Errorf("nothing requires a second factor of the user, yet the confirmation says %q", got)
	}

	want(t, n.do(t, http.MethodPut, "/v1/organisations/"+n.OrgA+"/mfa-requirement", n.LeadA.Token, map[string]any{"required": true}), http.StatusOK)
	n.enrolTOTP(t, n.LeadA.Token)
	n.enrolTOTP(t, n.signIn(t, "adviser.a", testUserPassword)) // the reset ended their sessions
	if got := confirmation(); !strings.Contains(got, next) || strings.Contains(got, "password alone") {
		t.Errorf("the organisation requires a second factor, yet the confirmation says %q", got)
	}
}

var flashBanner = regexp.MustCompile(`<div class="banner banner-success" role="status"><p class="banner-text">([^<]*)</p>`)
