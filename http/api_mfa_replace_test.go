package http

import (
	"net/http"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// startTOTP starts a new enrolment for the holder of token and returns its
// secret.
func (a *testAPI) startTOTP(tb testing.TB, token string) string {
	tb.Helper()
	r := want(tb, a.do(tb, http.MethodPost, "/v1/users/me/mfa/totp", token, map[string]any{}), http.StatusCreated)
	return r.str("secret")
}

// TestMFAReplaceNeedsPasswordOrCode_Issue17: a session alone, perhaps
// stolen, cannot replace the second factor in use and so lock its owner
// out: the confirmation of a new app also needs the current password, a
// code of the app in use or a recovery code. A first enrolment needs the
// session alone. No lead or coordinator resets their own second factor
// through the reset route.
func TestMFAReplaceNeedsPasswordOrCode_Issue17(t *testing.T) {
	a := newTestAPI(t)
	org := a.registerOrg(t, "Alpha Advice")
	lead := a.addUser(t, org, "lead.a", domain.RoleOrgLead)
	confirm := "/v1/users/me/mfa/totp/confirmation"

	// First enrolment: the session alone.
	old, recovery := a.enrolTOTP(t, lead.Token)
	a.nextStep()

	// A new app with no proof, or a wrong password or code: refused, and
	// the app in use stays the one sign-in asks for.
	attacker := a.startTOTP(t, lead.Token)
	a.do(t, http.MethodPost, confirm, lead.Token, map[string]string{"code": a.totpNow(t, attacker)}).
		invalid(t, "current_password")
	a.do(t, http.MethodPost, confirm, lead.Token, map[string]string{"code": a.totpNow(t, attacker),
		"current_password": "Not-The-Password#1"}).invalid(t, "current_password")
	a.do(t, http.MethodPost, confirm, lead.Token, map[string]string{"code": a.totpNow(t, attacker),
		"current_code": a.totpNow(t, attacker)}).invalid(t, "current_password")
	// (Four attempts fail in this test, one fewer than locks the account.)
	want(t, a.signInSecondStep(t, lead.Username, lead.Password, a.totpNow(t, old)), http.StatusCreated)
	a.nextStep()

	// With the password it is replaced: the old app no longer signs in.
	second := a.startTOTP(t, lead.Token)
	r := want(t, a.do(t, http.MethodPost, confirm, lead.Token, map[string]string{"code": a.totpNow(t, second),
		"current_password": lead.Password}), http.StatusOK)
	if r.get("enrolled") != true {
		t.Fatalf("replacement with the password: %s", r.Body)
	}
	a.nextStep()
	want(t, a.signInSecondStep(t, lead.Username, lead.Password, a.totpNow(t, old)), http.StatusUnauthorized)
	a.nextStep()
	want(t, a.signInSecondStep(t, lead.Username, lead.Password, a.totpNow(t, second)), http.StatusCreated)
	a.nextStep()

	// With a code of the app in use.
	third := a.startTOTP(t, lead.Token)
	want(t, a.do(t, http.MethodPost, confirm, lead.Token, map[string]string{"code": a.totpNow(t, third),
		"current_code": a.totpNow(t, second)}), http.StatusOK)
	a.nextStep()

	// A recovery code of the replaced app is void; one of the app in use
	// works, once.
	var recoveryNow []string
	fourth := a.startTOTP(t, lead.Token)
	a.do(t, http.MethodPost, confirm, lead.Token, map[string]string{"code": a.totpNow(t, fourth),
		"current_code": recovery[0]}).invalid(t, "current_password")
	r = want(t, a.do(t, http.MethodPost, confirm, lead.Token, map[string]string{"code": a.totpNow(t, fourth),
		"current_code": a.totpNow(t, third)}), http.StatusOK)
	var body struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	decodeInto(t, r, &body)
	recoveryNow = body.RecoveryCodes
	a.nextStep()
	fifth := a.startTOTP(t, lead.Token)
	want(t, a.do(t, http.MethodPost, confirm, lead.Token, map[string]string{"code": a.totpNow(t, fifth),
		"current_code": recoveryNow[0]}), http.StatusOK)
	a.nextStep()
	want(t, a.signInSecondStep(t, lead.Username, lead.Password, a.totpNow(t, fifth)), http.StatusCreated)

	// The reset route is not a way round it: not for a lead's own second
	// factor, nor for the coordinator's.
	a.do(t, http.MethodDelete, "/v1/organisations/"+org+"/users/"+lead.ID+"/mfa", lead.Token, nil).
		problem(t, http.StatusForbidden)
	a.do(t, http.MethodDelete, "/v1/organisations/"+a.Admin.OrgID+"/users/"+a.Admin.ID+"/mfa", a.Admin.Token, nil).
		problem(t, http.StatusForbidden)
	if n := a.countEvents(t, domain.OrganisationUserMFAResetType); n != 0 {
		t.Fatalf("%d reset events, want 0", n)
	}
	a.nextStep()
	want(t, a.signInSecondStep(t, lead.Username, lead.Password, a.totpNow(t, fifth)), http.StatusCreated)
}

// TestMFAReplaceAttemptsThrottled_Issue17_AUTH5: the password or code
// given to replace a second factor is an attempt counted as sign-in's
// are, per account (R-AUTH-5): past the limit even the right password is
// refused with 429 and Retry-After, and so is a sign-in.
func TestMFAReplaceAttemptsThrottled_Issue17_AUTH5(t *testing.T) {
	a := newTestAPI(t)
	org := a.registerOrg(t, "Alpha Advice")
	u := a.addUser(t, org, "adviser.a", domain.RoleAdviser)
	confirm := "/v1/users/me/mfa/totp/confirmation"
	a.enrolTOTP(t, u.Token)
	a.nextStep()
	secret := a.startTOTP(t, u.Token)
	for range 5 {
		a.do(t, http.MethodPost, confirm, u.Token, map[string]string{"code": a.totpNow(t, secret),
			"current_password": "Not-The-Password#1"}).invalid(t, "current_password")
	}
	r := a.do(t, http.MethodPost, confirm, u.Token, map[string]string{"code": a.totpNow(t, secret),
		"current_password": u.Password})
	r.problem(t, http.StatusTooManyRequests)
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	a.do(t, http.MethodPost, "/v1/sessions", "", map[string]string{"username": u.Username, "password": u.Password}).
		problem(t, http.StatusTooManyRequests)
	// Nothing was replaced.
	st := want(t, a.do(t, http.MethodGet, "/v1/users/me/mfa", u.Token, nil), http.StatusOK)
	if st.get("enrolled") != true || st.get("recovery_codes_left") != float64(10) {
		t.Fatalf("status after the refusals: %s", st.Body)
	}
}
