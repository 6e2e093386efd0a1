package http

import (
	"net/http"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/auth"
	"github.com/referral-ledger/ledger/domain"
)

// withPasswordPolicy applies policy to new passwords instead of the
// networks' default (auth.password_policy).
func withPasswordPolicy(policy auth.PasswordPolicy) apiOption {
	return func(c *apiConfig) { c.policy = policy }
}

// fullWidth returns s with its printable ASCII characters in their
// full-width forms (U+FF01 to U+FF5E) and spaces as ideographic spaces:
// another text that NFKC, as passwords are hashed, turns back into s.
func fullWidth(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == ' ':
			return '\u3000'
		case r > ' ' && r <= '~':
			return r - '!' + '\uff01'
		}
		return r
	}, s)
}

// wantFieldSays fails tb unless r is a 422 whose error for field says
// want, and returns nothing of the password.
func wantFieldSays(tb testing.TB, r *response, field, want, password string) {
	tb.Helper()
	p := r.invalid(tb, field)
	for _, f := range p.Errors {
		if f.Field == field && !strings.Contains(f.Message, want) {
			tb.Fatalf("%s: %q, want it to say %q", field, f.Message, want)
		}
	}
	if strings.Contains(string(r.Body), password) || strings.Contains(string(r.Body), auth.NormalisePassword(password)) {
		tb.Fatalf("the problem repeats the password: %s", r.Body)
	}
}

// TestPasswordLookAlikesRefused_AUTH2 proves R-AUTH-2 through the API
// under the networks' policy: a password is hashed in Unicode NFKC, so
// full-width "Ｐａｓｓｗｏｒｄ１！" is "Password1!" and would sign in as it.
// Every rule judges the password as it is hashed: the common list, the
// composition rules, the username, and "must differ from the current
// one", on a change of one's own password and on an account an org lead
// opens.
func TestPasswordLookAlikesRefused_AUTH2(t *testing.T) {
	n := newNetwork(t)
	path := "/v1/users/me/password"
	change := func(next string) *response {
		return n.do(t, http.MethodPut, path, n.AdviserA.Token, map[string]string{
			"current_password": testUserPassword, "new_password": next})
	}
	wantFieldSays(t, change("Password1!"), "new_password", "too common", "Password1!")
	for _, tt := range []struct{ name, password, says string }{
		{"Common", fullWidth("Password1!"), "too common"},
		{"CommonPartly", "Pａｓｓword1!", "too common"},
		{"Composition", "Harbourside7\u2460", "one other character"}, // ① is the digit 1
		{"Username", fullWidth("Adviser.A") + "#Tide-42", "username"},
		{"SameAsCurrent", fullWidth(testUserPassword), "must differ from the current password"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantFieldSays(t, change(tt.password), "new_password", tt.says, tt.password)
		})
	}
	// Nothing changed: the common password does not sign in, the old one
	// still does.
	n.signInAttempt(t, "adviser.a", "Password1!").problem(t, http.StatusUnauthorized)
	n.AdviserA.Token = n.signIn(t, "adviser.a", testUserPassword)

	t.Run("NewAccount", func(t *testing.T) {
		password := fullWidth("Password1!")
		r := n.do(t, http.MethodPost, "/v1/organisations/"+n.OrgA+"/users", n.LeadA.Token, map[string]any{
			"username": "new.adviser", "display_name": "New Adviser", "email": "new.adviser@example.org",
			"roles": []domain.Role{domain.RoleAdviser}, "password": password})
		wantFieldSays(t, r, "password", "too common", password)
		n.signInAttempt(t, "new.adviser", "Password1!").problem(t, http.StatusUnauthorized)
	})
	// A field's mistake and a refused password in one request: one 422
	// names both, so a form lists every mistake at once.
	t.Run("NewAccountWithAnotherMistake", func(t *testing.T) {
		r := n.do(t, http.MethodPost, "/v1/organisations/"+n.OrgA+"/users", n.LeadA.Token, map[string]any{
			"username": "new.adviser2", "display_name": "New Adviser", "email": "not-an-email",
			"roles": []domain.Role{domain.RoleAdviser}, "password": "Password1!"})
		r.invalid(t, "email")
		wantFieldSays(t, r, "password", "too common", "Password1!")
	})
}

// TestPasswordLookAlikesRefusedModern_AUTH2 is the same under the modern
// policy (NIST SP 800-63B), whose only rules are the length, the common
// list and the username.
func TestPasswordLookAlikesRefusedModern_AUTH2(t *testing.T) {
	n := newNetwork(t, withPasswordPolicy(auth.PolicyModern))
	change := func(next string) *response {
		return n.do(t, http.MethodPut, "/v1/users/me/password", n.AdviserB.Token, map[string]string{
			"current_password": testUserPassword, "new_password": next})
	}
	wantFieldSays(t, change("passwordpassword"), "new_password", "too common", "passwordpassword")
	for _, tt := range []struct{ name, password, says string }{
		{"Common", fullWidth("passwordpassword"), "too common"},
		{"Username", "my " + fullWidth("adviser.b") + " own passphrase", "username"},
		{"SameAsCurrent", fullWidth(testUserPassword), "must differ from the current password"},
		{"Length", "Otter#Ri\u0301\u0301\u0301\u0301", "at least 12 characters"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantFieldSays(t, change(tt.password), "new_password", tt.says, tt.password)
		})
	}
	n.signInAttempt(t, "adviser.b", "passwordpassword").problem(t, http.StatusUnauthorized)
	want(t, n.signInAttempt(t, "adviser.b", testUserPassword), http.StatusCreated)

	password := fullWidth("passwordpassword")
	r := n.do(t, http.MethodPost, "/v1/organisations/"+n.OrgB+"/users", n.LeadB.Token, map[string]any{
		"username": "new.adviser", "display_name": "New Adviser", "email": "new.adviser@example.org",
		"roles": []domain.Role{domain.RoleAdviser}, "password": password})
	wantFieldSays(t, r, "password", "too common", password)
}
