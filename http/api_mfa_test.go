package http

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/auth"
	"github.com/referral-ledger/ledger/domain"
)

// networkMFARoles is the production default of auth.mfa_required_roles.
var networkMFARoles = []string{"coordinator", "auditor", "system_support", "emergency_duty"}

// totpNow is the code an authenticator app shows for secret at the test
// clock's time.
func (a *testAPI) totpNow(tb testing.TB, secret string) string {
	tb.Helper()
	code, err := auth.TOTPCode(secret, auth.TOTPStep(a.Clock.Now()))
	if err != nil {
		tb.Fatal(err)
	}
	return code
}

// nextStep moves the clock to the next TOTP step, as waiting for the app's
// next code does.
func (a *testAPI) nextStep() { a.Clock.Advance(auth.TOTPPeriod) }

// enrolTOTP enrols a TOTP second factor for the holder of token through
// the API and returns its secret and recovery codes.
func (a *testAPI) enrolTOTP(tb testing.TB, token string) (string, []string) {
	tb.Helper()
	r := want(tb, a.do(tb, http.MethodPost, "/v1/users/me/mfa/totp", token, map[string]any{}), http.StatusCreated)
	secret := r.str("secret")
	if secret == "" || !strings.HasPrefix(r.str("qr_code"), "data:image/png;base64,") ||
		!strings.HasPrefix(r.str("otpauth_url"), "otpauth://totp/") {
		tb.Fatalf("enrolment without secret, QR code or URL: %s", r.Body)
	}
	r = want(tb, a.do(tb, http.MethodPost, "/v1/users/me/mfa/totp/confirmation", token,
		map[string]string{"code": a.totpNow(tb, secret)}), http.StatusOK)
	var body struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	decodeInto(tb, r, &body)
	return secret, body.RecoveryCodes
}

// signInSecondStep signs in with a password, then a code, and returns the
// session's token.
func (a *testAPI) signInSecondStep(tb testing.TB, username, password, code string) *response {
	tb.Helper()
	r := want(tb, a.do(tb, http.MethodPost, "/v1/sessions", "", map[string]string{"username": username, "password": password}), http.StatusOK)
	if r.get("second_factor_required") != true || r.str("challenge") == "" || r.str("token") != "" {
		tb.Fatalf("first step of a sign-in with a second factor: %s", r.Body)
	}
	return a.do(tb, http.MethodPost, "/v1/sessions/second-factor", "", map[string]string{"challenge": r.str("challenge"), "code": code})
}

// TestMFAEnrolSignInRecoveryReset_Issue17 walks the whole second factor
// through the API: a coordinator without one reaches nothing but
// enrolment; enrolment completes only with a right code and gives ten
// recovery codes; the secret is in no event and not in clear anywhere in
// the data directory; sign-in then takes two steps; a code and a recovery
// code work once; a reset by the coordinator ends the user's sessions and
// asks them to enrol again.
func TestMFAEnrolSignInRecoveryReset_Issue17(t *testing.T) {
	a := newTestAPI(t, withMFARoles(networkMFARoles...))
	admin := a.Admin.Token

	p := a.do(t, http.MethodGet, "/v1/directory", admin, nil).problem(t, http.StatusForbidden)
	if p.Type != problemTypeBase+"mfa_enrolment_required" || !strings.Contains(p.Detail, "second factor") {
		t.Fatalf("a coordinator without a second factor: %+v", p)
	}
	st := want(t, a.do(t, http.MethodGet, "/v1/users/me/mfa", admin, nil), http.StatusOK)
	if st.get("enrolled") != false || st.get("required") != true {
		t.Fatalf("status before enrolment: %s", st.Body)
	}

	// A wrong code does not complete the enrolment.
	r := want(t, a.do(t, http.MethodPost, "/v1/users/me/mfa/totp", admin, map[string]any{}), http.StatusCreated)
	secret := r.str("secret")
	wrong := "000000"
	if a.totpNow(t, secret) == wrong {
		wrong = "111111"
	}
	a.do(t, http.MethodPost, "/v1/users/me/mfa/totp/confirmation", admin, map[string]string{"code": wrong}).invalid(t, "code")
	a.do(t, http.MethodGet, "/v1/directory", admin, nil).problem(t, http.StatusForbidden)
	r = want(t, a.do(t, http.MethodPost, "/v1/users/me/mfa/totp/confirmation", admin,
		map[string]string{"code": a.totpNow(t, secret)}), http.StatusOK)
	var enrolled struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	decodeInto(t, r, &enrolled)
	if len(enrolled.RecoveryCodes) != 10 {
		t.Fatalf("%d recovery codes, want 10", len(enrolled.RecoveryCodes))
	}
	want(t, a.do(t, http.MethodGet, "/v1/directory", admin, nil), http.StatusOK)
	if n := a.countEvents(t, domain.OrganisationUserMFAEnrolledType); n != 1 {
		t.Fatalf("%d enrolment events, want 1", n)
	}
	for _, f := range []string{"events.db", "events.db-wal", "sessions.db", "sessions.db-wal"} {
		b, err := os.ReadFile(filepath.Join(a.Dir, f))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if strings.Contains(string(b), secret) {
			t.Fatalf("%s holds the TOTP secret in clear", f)
		}
		for _, c := range enrolled.RecoveryCodes {
			if strings.Contains(string(b), c) {
				t.Fatalf("%s holds a recovery code in clear", f)
			}
		}
	}

	// Sign out; sign in again in two steps.
	want(t, a.do(t, http.MethodDelete, "/v1/sessions/current", admin, nil), http.StatusNoContent)
	a.nextStep()
	code := a.totpNow(t, secret)
	r = want(t, a.signInSecondStep(t, "admin", testAdminPassword, code), http.StatusCreated)
	admin = r.str("token")
	if admin == "" || r.get("mfa_enrolment_required") != false {
		t.Fatalf("second step: %s", r.Body)
	}
	want(t, a.do(t, http.MethodGet, "/v1/directory", admin, nil), http.StatusOK)
	a.Admin.Token = admin
	// The same code again, within its window, is a replay.
	a.signInSecondStep(t, "admin", testAdminPassword, code).problem(t, http.StatusUnauthorized)
	// A recovery code works once, typed any way.
	rc := strings.ToUpper(strings.ReplaceAll(enrolled.RecoveryCodes[3], "-", " "))
	want(t, a.signInSecondStep(t, "admin", testAdminPassword, rc), http.StatusCreated)
	a.signInSecondStep(t, "admin", testAdminPassword, enrolled.RecoveryCodes[3]).problem(t, http.StatusUnauthorized)
	st = want(t, a.do(t, http.MethodGet, "/v1/users/me/mfa", admin, nil), http.StatusOK)
	if st.get("recovery_codes_left") != float64(9) {
		t.Fatalf("status after one recovery code: %s", st.Body)
	}
	// The code may also come with the password, in one step.
	a.nextStep()
	r = want(t, a.do(t, http.MethodPost, "/v1/sessions", "", map[string]string{"username": "admin",
		"password": testAdminPassword, "code": a.totpNow(t, secret)}), http.StatusCreated)
	if r.str("token") == "" {
		t.Fatalf("one-step sign-in with code: %s", r.Body)
	}

	// An auditor must enrol too; the coordinator resets their second factor.
	org := a.registerOrg(t, "Alpha Advice")
	auditor := a.addUser(t, org, "auditor.one", domain.RoleAuditor)
	a.do(t, http.MethodGet, "/v1/directory", auditor.Token, nil).problem(t, http.StatusForbidden)
	a.nextStep()
	auditorSecret, _ := a.enrolTOTP(t, auditor.Token)
	want(t, a.do(t, http.MethodGet, "/v1/directory", auditor.Token, nil), http.StatusOK)
	lead := a.addUser(t, org, "lead.one", domain.RoleOrgLead)
	a.do(t, http.MethodDelete, "/v1/organisations/"+org+"/users/"+auditor.ID+"/mfa", lead.Token, nil).problem(t, http.StatusForbidden)
	want(t, a.do(t, http.MethodDelete, "/v1/organisations/"+org+"/users/"+auditor.ID+"/mfa", admin, nil), http.StatusNoContent)
	if n := a.countEvents(t, domain.OrganisationUserMFAResetType); n != 1 {
		t.Fatalf("%d reset events, want 1", n)
	}
	a.do(t, http.MethodGet, "/v1/directory", auditor.Token, nil).problem(t, http.StatusUnauthorized)
	r = want(t, a.do(t, http.MethodPost, "/v1/sessions", "", map[string]string{"username": "auditor.one",
		"password": testUserPassword}), http.StatusCreated)
	if r.get("mfa_enrolment_required") != true {
		t.Fatalf("sign-in after a reset: %s", r.Body)
	}
	a.do(t, http.MethodGet, "/v1/directory", r.str("token"), nil).problem(t, http.StatusForbidden)
	a.nextStep()
	if newSecret, _ := a.enrolTOTP(t, r.str("token")); newSecret == auditorSecret {
		t.Fatal("enrolling again gave the old secret")
	}

	// Nothing of the secrets or codes was logged.
	logs := a.Logs.String()
	for _, s := range append([]string{secret, auditorSecret, code}, enrolled.RecoveryCodes...) {
		if strings.Contains(logs, s) {
			t.Fatalf("the log holds a secret or code %q", s)
		}
	}
}

// TestMFAReplayAndThrottle_Issue17: wrong codes at the second step are
// counted by the password throttle (R-AUTH-5), and once it has locked the
// account even the right code is refused; a code is never accepted twice.
func TestMFAReplayAndThrottle_Issue17(t *testing.T) {
	a := newTestAPI(t, withMFARoles(networkMFARoles...))
	secret, _ := a.enrolTOTP(t, a.Admin.Token)
	a.nextStep()
	first := a.do(t, http.MethodPost, "/v1/sessions", "", map[string]string{"username": "admin", "password": testAdminPassword})
	challenge := want(t, first, http.StatusOK).str("challenge")
	right := a.totpNow(t, secret)
	wrong := "123456"
	if wrong == right {
		wrong = "654321"
	}
	for i := range 5 {
		p := a.do(t, http.MethodPost, "/v1/sessions/second-factor", "", map[string]string{"challenge": challenge, "code": wrong}).
			problem(t, http.StatusUnauthorized)
		if i == 0 && strings.Contains(p.Detail, right) {
			t.Fatal("the refusal shows the right code")
		}
	}
	r := a.do(t, http.MethodPost, "/v1/sessions/second-factor", "", map[string]string{"challenge": challenge, "code": right})
	r.problem(t, http.StatusTooManyRequests)
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	// After the lockout the right code works, once; the challenge is then spent.
	a.Clock.Advance(16 * time.Minute)
	right = a.totpNow(t, secret)
	first = a.do(t, http.MethodPost, "/v1/sessions", "", map[string]string{"username": "admin", "password": testAdminPassword})
	challenge = want(t, first, http.StatusOK).str("challenge")
	want(t, a.do(t, http.MethodPost, "/v1/sessions/second-factor", "", map[string]string{"challenge": challenge, "code": right}), http.StatusCreated)
	a.do(t, http.MethodPost, "/v1/sessions/second-factor", "", map[string]string{"challenge": challenge, "code": right}).
		problem(t, http.StatusUnauthorized)
	// A code of the previous step, already used, is a replay even inside the ±1 window.
	a.Clock.Advance(auth.TOTPPeriod)
	a.signInSecondStep(t, "admin", testAdminPassword, right).problem(t, http.StatusUnauthorized)
	// An expired challenge is refused.
	first = a.do(t, http.MethodPost, "/v1/sessions", "", map[string]string{"username": "admin", "password": testAdminPassword})
	challenge = want(t, first, http.StatusOK).str("challenge")
	a.Clock.Advance(6 * time.Minute)
	a.do(t, http.MethodPost, "/v1/sessions/second-factor", "", map[string]string{"challenge": challenge, "code": a.totpNow(t, secret)}).
		problem(t, http.StatusUnauthorized)
}

// TestMFAFirstStepIndistinguishable_Issue17: a sign-in giving its code with
// the password gets the same answer for an unknown user, a wrong password
// and a wrong code.
func TestMFAFirstStepIndistinguishable_Issue17(t *testing.T) {
	a := newTestAPI(t, withMFARoles(networkMFARoles...))
	secret, _ := a.enrolTOTP(t, a.Admin.Token)
	a.nextStep()
	wrong := "000000"
	if a.totpNow(t, secret) == wrong {
		wrong = "999999"
	}
	var bodies []string
	for _, c := range []map[string]string{
		{"username": "nobody", "password": testAdminPassword, "code": a.totpNow(t, secret)},
		{"username": "admin", "password": "Wrong#Password-1", "code": a.totpNow(t, secret)},
		{"username": "admin", "password": testAdminPassword, "code": wrong},
	} {
		r := a.do(t, http.MethodPost, "/v1/sessions", "", c)
		r.problem(t, http.StatusUnauthorized)
		bodies = append(bodies, r.withoutRequest(t))
	}
	if bodies[0] != bodies[1] || bodies[1] != bodies[2] {
		t.Fatalf("the answers differ:\n%s\n%s\n%s", bodies[0], bodies[1], bodies[2])
	}
}

// TestMFANetworkRoleWithoutSecondFactorReachesNothing_Issue17: every route
// behind sign-in answers a coordinator without a second factor 403
// mfa_enrolment_required, but enrolment, sign-out and a password change.
func TestMFANetworkRoleWithoutSecondFactorReachesNothing_Issue17(t *testing.T) {
	a := newTestAPI(t, withMFARoles(networkMFARoles...))
	allowed := map[string]bool{
		"GET /v1/users/me/mfa": true, "POST /v1/users/me/mfa/totp": true, "POST /v1/users/me/mfa/totp/confirmation": true,
		"PUT /v1/users/me/password": true, "DELETE /v1/sessions/current": true,
	}
	public := map[string]bool{"POST /v1/sessions": true, "POST /v1/sessions/second-factor": true, "GET /v1/openapi.json": true}
	id := "00000000-0000-4000-8000-000000000001"
	checked := 0
	for _, rt := range a.Server.Routes() {
		key := rt.Method + " " + rt.Path
		if !strings.HasPrefix(rt.Path, "/v1/") || allowed[key] || public[key] {
			continue
		}
		path := rt.Path
		for _, p := range []string{":id", ":user_id"} {
			path = strings.ReplaceAll(path, p, id)
		}
		var body any
		if rt.Method != http.MethodGet && rt.Method != http.MethodDelete {
			body = map[string]any{}
		}
		p := a.do(t, rt.Method, path, a.Admin.Token, body).problem(t, http.StatusForbidden)
		if p.Type != problemTypeBase+"mfa_enrolment_required" {
			t.Errorf("%s: %+v", key, p)
		}
		checked++
	}
	if checked < 40 {
		t.Fatalf("only %d routes checked", checked)
	}
	want(t, a.do(t, http.MethodGet, "/v1/users/me/mfa", a.Admin.Token, nil), http.StatusOK)
}

// TestMFAOrganisationRequirement_Issue17: an org lead requires a second
// factor of the whole organisation; its adviser then reaches nothing until
// enrolled; another organisation's lead cannot decide it; the lead resets
// the adviser's second factor.
func TestMFAOrganisationRequirement_Issue17(t *testing.T) {
	n := newNetwork(t)
	path := "/v1/organisations/" + n.OrgA + "/mfa-requirement"
	n.do(t, http.MethodPut, path, n.LeadB.Token, map[string]any{"required": true}).problem(t, http.StatusForbidden)
	n.do(t, http.MethodPut, path, n.LeadA.Token, map[string]any{}).invalid(t, "required")
	r := want(t, n.do(t, http.MethodPut, path, n.LeadA.Token, map[string]any{"required": true}), http.StatusOK)
	if r.get("required") != true {
		t.Fatalf("body %s", r.Body)
	}
	if c := n.countEvents(t, domain.OrganisationMFARequirementChangedType); c != 1 {
		t.Fatalf("%d requirement events, want 1", c)
	}
	n.do(t, http.MethodGet, "/v1/outbox", n.AdviserA.Token, nil).problem(t, http.StatusForbidden)
	want(t, n.do(t, http.MethodGet, "/v1/outbox", n.AdviserB.Token, nil), http.StatusOK)
	n.enrolTOTP(t, n.AdviserA.Token)
	want(t, n.do(t, http.MethodGet, "/v1/outbox", n.AdviserA.Token, nil), http.StatusOK)
	// The lead is one of the organisation's users too.
	n.do(t, http.MethodGet, "/v1/outbox", n.LeadA.Token, nil).problem(t, http.StatusForbidden)
	n.enrolTOTP(t, n.LeadA.Token)
	n.do(t, http.MethodDelete, "/v1/organisations/"+n.OrgA+"/users/"+n.AdviserA.ID+"/mfa", n.LeadB.Token, nil).
		problem(t, http.StatusForbidden)
	want(t, n.do(t, http.MethodDelete, "/v1/organisations/"+n.OrgA+"/users/"+n.AdviserA.ID+"/mfa", n.LeadA.Token, nil),
		http.StatusNoContent)
	r = want(t, n.do(t, http.MethodPost, "/v1/sessions", "", map[string]string{"username": "adviser.a",
		"password": testUserPassword}), http.StatusCreated)
	if r.get("mfa_enrolment_required") != true {
		t.Fatalf("sign-in after reset: %s", r.Body)
	}
}
