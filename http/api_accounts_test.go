package http

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/domain"
)

// signInAttempt posts credentials and returns the answer, whatever it is.
func (a *testAPI) signInAttempt(tb testing.TB, username, password string) *response {
	tb.Helper()
	return a.do(tb, http.MethodPost, "/v1/sessions", "", map[string]string{"username": username, "password": password})
}

// TestAccounts covers accounts and sessions through the API (R-AUTH-1..3,
// R-ORG-3).
func TestAccounts(t *testing.T) {
	n := newNetwork(t)
	newUser := func(username string) map[string]any {
		return map[string]any{"username": username, "display_name": "New User", "email": "new@example.org",
			"roles": []string{"adviser"}, "password": testUserPassword}
	}

	t.Run("UsernameTakenInAnotherOrganisation", func(t *testing.T) {
		// R-AUTH-1: usernames are unique network-wide, whatever the case.
		before := n.head(t)
		p := n.do(t, http.MethodPost, "/v1/organisations/"+n.OrgB+"/users", n.LeadB.Token, newUser("ADVISER.A")).
			problem(t, http.StatusConflict)
		if !p.hasField("username") {
			t.Errorf("conflict does not name username: %+v", p)
		}
		if after := n.head(t); after != before {
			t.Errorf("a refused user appended events: head %d → %d", before, after)
		}
	})

	t.Run("WeakPasswords", func(t *testing.T) {
		// R-AUTH-2, the network policy: length, composition, and the list
		// of common passwords, even when dressed up ("Password1!").
		before := n.head(t)
		for _, pw := range []string{"Sh0rt!", "alllowercase", "Password1!", "adviser.new#A1"} {
			body := newUser("adviser.new")
			body["password"] = pw
			n.do(t, http.MethodPost, "/v1/organisations/"+n.OrgA+"/users", n.LeadA.Token, body).invalid(t, "password")
		}
		if after := n.head(t); after != before {
			t.Errorf("refused users appended events: head %d → %d", before, after)
		}
	})

	t.Run("CommonPasswordsSeenThrough", func(t *testing.T) {
		// R-AUTH-2: case, look-alikes, decorations and context words (the
		// username, the organisation's name, the service's name) do not
		// disguise a common password; a 64-character passphrase is taken.
		before := n.head(t)
		for _, pw := range []string{"P@ssw0rd", "P@ssword1", "Abc12345!", "Referral2026!", "adviser.new1!",
			"AlphaAdvice#2026", "Ledger#Password1"} {
			body := newUser("adviser.new")
			body["password"] = pw
			n.do(t, http.MethodPost, "/v1/organisations/"+n.OrgA+"/users", n.LeadA.Token, body).invalid(t, "password")
		}
		if after := n.head(t); after != before {
			t.Errorf("refused users appended events: head %d → %d", before, after)
		}
		// The same on a change of password: the organisation's name counts.
		n.do(t, http.MethodPut, "/v1/users/me/password", n.AdviserA.Token, map[string]any{
			"current_password": testUserPassword, "new_password": "Alpha.Advice99"}).invalid(t, "new_password")
		body := newUser("adviser.phrase")
		body["password"] = "Kettle Orchard 7 Lantern Quietly Drifts Over Seven Blue Hills!!!"
		want(t, n.do(t, http.MethodPost, "/v1/organisations/"+n.OrgA+"/users", n.LeadA.Token, body), http.StatusCreated)
	})

	t.Run("OnlyLeadOrCoordinatorAddsUsers", func(t *testing.T) {
		n.do(t, http.MethodPost, "/v1/organisations/"+n.OrgB+"/users", n.LeadA.Token, newUser("intruder")).problem(t, http.StatusForbidden)
		n.do(t, http.MethodPost, "/v1/organisations/"+n.OrgA+"/users", n.AdviserA.Token, newUser("intruder")).problem(t, http.StatusForbidden)
		// Network roles are the coordinator's to grant (R-AUTH-7): 403
		// naming the field.
		for _, role := range []string{"auditor", "coordinator", "system_support", "emergency_duty"} {
			body := newUser("self." + role)
			body["roles"] = []string{"adviser", role}
			if p := n.do(t, http.MethodPost, "/v1/organisations/"+n.OrgA+"/users", n.LeadA.Token, body).
				problem(t, http.StatusForbidden); !p.hasField("roles") {
				t.Errorf("%s: 403 does not name roles: %+v", role, p)
			}
		}
	})

	t.Run("WrongPasswordAndUnknownUserLookAlike", func(t *testing.T) {
		// R-AUTH-3: the answers differ only in the request's own id.
		wrong := n.signInAttempt(t, "adviser.c", "Wr0ng-Password#")
		unknown := n.signInAttempt(t, "no.such.user", "Wr0ng-Password#")
		wrong.problem(t, http.StatusUnauthorized)
		unknown.problem(t, http.StatusUnauthorized)
		if a, b := wrong.withoutRequest(t), unknown.withoutRequest(t); a != b {
			t.Errorf("wrong password and unknown user answer differently:\n %s\n %s", a, b)
		}
		if a, b := wrong.Header.Get("WWW-Authenticate"), unknown.Header.Get("WWW-Authenticate"); a != b || a == "" {
			t.Errorf("WWW-Authenticate %q and %q", a, b)
		}
	})

	t.Run("Throttling", func(t *testing.T) {
		// R-AUTH-3: five failures lock the account; the sixth attempt is
		// refused even with the right password, and says when to retry.
		for i := range 5 {
			n.signInAttempt(t, "manager.b", "Wr0ng-Password#"+strconv.Itoa(i)).problem(t, http.StatusUnauthorized)
		}
		r := n.signInAttempt(t, "Manager.B", testUserPassword)
		r.problem(t, http.StatusTooManyRequests)
		secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
		if err != nil || secs <= 0 {
			t.Fatalf("Retry-After %q, want a positive number of seconds", r.Header.Get("Retry-After"))
		}
		// Another account from the same address is not locked.
		n.signIn(t, "lead.b", testUserPassword)
		// Once the lockout has passed on the clock, the right password works.
		n.Clock.Advance(time.Duration(secs) * time.Second)
		n.signIn(t, "manager.b", testUserPassword)
	})

	t.Run("Logout", func(t *testing.T) {
		token := n.signIn(t, "adviser.a", testUserPassword)
		want(t, n.do(t, http.MethodGet, "/v1/directory", token, nil), http.StatusOK)
		want(t, n.do(t, http.MethodDelete, "/v1/sessions/current", token, nil), http.StatusNoContent)
		n.do(t, http.MethodGet, "/v1/directory", token, nil).problem(t, http.StatusUnauthorized)
		// Other sessions of the user carry on.
		want(t, n.do(t, http.MethodGet, "/v1/directory", n.AdviserA.Token, nil), http.StatusOK)
	})

	t.Run("ClosedAccount", func(t *testing.T) {
		// R-ORG-3: the account's open session fails on the very next
		// request, and the account cannot sign in again.
		want(t, n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.HelpdeskB.Token, nil), http.StatusOK)
		n.do(t, http.MethodDelete, "/v1/organisations/"+n.OrgB+"/users/"+n.HelpdeskB.ID, n.LeadA.Token, nil).
			problem(t, http.StatusForbidden)
		want(t, n.do(t, http.MethodDelete, "/v1/organisations/"+n.OrgB+"/users/"+n.HelpdeskB.ID, n.LeadB.Token, nil), http.StatusNoContent)
		n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.HelpdeskB.Token, nil).problem(t, http.StatusUnauthorized)
		closed := n.signInAttempt(t, "helpdesk.b", testUserPassword)
		closed.problem(t, http.StatusUnauthorized)
		unknown := n.signInAttempt(t, "no.such.user", testUserPassword)
		if a, b := closed.withoutRequest(t), unknown.withoutRequest(t); a != b {
			t.Errorf("closed account and unknown user answer differently:\n %s\n %s", a, b)
		}
		// Its username stays taken.
		n.do(t, http.MethodPost, "/v1/organisations/"+n.OrgB+"/users", n.LeadB.Token, newUser("helpdesk.b")).
			problem(t, http.StatusConflict)
	})

	t.Run("PasswordChange", func(t *testing.T) {
		// Every other session of the user ends, the one that made the
		// change goes on (R-AUTH-6); the new password works and the old one
		// does not.
		other := n.signIn(t, "adviser.c", testUserPassword)
		path := "/v1/users/me/password"
		n.do(t, http.MethodPut, path, n.AdviserC.Token, map[string]string{"current_password": "Not-Mine#123", "new_password": "Fresh-Heron#2027"}).
			invalid(t, "current_password")
		n.do(t, http.MethodPut, path, n.AdviserC.Token, map[string]string{"current_password": testUserPassword, "new_password": "Password1!"}).
			invalid(t, "new_password")
		want(t, n.do(t, http.MethodPut, path, n.AdviserC.Token, map[string]string{"current_password": testUserPassword, "new_password": "Fresh-Heron#2027"}),
			http.StatusNoContent)
		n.do(t, http.MethodGet, "/v1/directory", other, nil).problem(t, http.StatusUnauthorized)
		want(t, n.do(t, http.MethodGet, "/v1/directory", n.AdviserC.Token, nil), http.StatusOK)
		n.signInAttempt(t, "adviser.c", testUserPassword).problem(t, http.StatusUnauthorized)
		want(t, n.signInAttempt(t, "adviser.c", "Fresh-Heron#2027"), http.StatusCreated)
	})

	t.Run("PasswordChangeDue", func(t *testing.T) {
		// R-AUTH-2: under the network policy a password older than six
		// months is due for a change.
		r := want(t, n.signInAttempt(t, "adviser.b", testUserPassword), http.StatusCreated)
		if due, ok := r.get("password_change_due").(bool); !ok || due {
			t.Fatalf("password_change_due %v for a new password: %s", r.get("password_change_due"), r.Body)
		}
		if got := r.get("user", "roles"); len(got.([]any)) != 1 || got.([]any)[0] != string(domain.RoleAdviser) {
			t.Errorf("user.roles %v", got)
		}
		if _, err := time.Parse(time.RFC3339, r.str("expires_at")); err != nil {
			t.Errorf("expires_at %q: %v", r.str("expires_at"), err)
		}
		n.Clock.Advance(7 * 31 * 24 * time.Hour)
		r = want(t, n.signInAttempt(t, "adviser.b", testUserPassword), http.StatusCreated)
		if due, _ := r.get("password_change_due").(bool); !due {
			t.Fatalf("password_change_due false seven months on: %s", r.Body)
		}
	})
}
