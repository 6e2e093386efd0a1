package http

import (
	"net/http"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestCachedSessionsEndAtOnce_AUTH3_AUTH6_ORG3 (issue 14 point 6): the node
// answers sessions from memory, and still a logout, a password change and
// an account closure end them on the very next request. Each session is
// used first, so it is in the cache when it is ended.
func TestCachedSessionsEndAtOnce_AUTH3_AUTH6_ORG3(t *testing.T) {
	n := newNetwork(t)
	use := func(token string) int { return n.do(t, http.MethodGet, "/v1/directory", token, nil).Status }
	mustUse := func(what, token string) {
		t.Helper()
		if got := use(token); got != http.StatusOK {
			t.Fatalf("%s: status %d, want 200", what, got)
		}
	}
	mustRefuse := func(what, token string) {
		t.Helper()
		if got := use(token); got != http.StatusUnauthorized {
			t.Fatalf("%s: status %d, want 401", what, got)
		}
	}

	t.Run("logout", func(t *testing.T) {
		u := n.addUser(t, n.OrgA, "logout.user", domain.RoleAdviser)
		other := n.signIn(t, u.Username, u.Password)
		mustUse("before logout", u.Token)
		mustUse("the other session before logout", other)
		want(t, n.do(t, http.MethodDelete, "/v1/sessions/current", u.Token, nil), http.StatusNoContent)
		mustRefuse("after logout", u.Token)
		mustUse("the user's other session after logout", other)
	})

	t.Run("password change", func(t *testing.T) {
		u := n.addUser(t, n.OrgA, "change.user", domain.RoleAdviser)
		other := n.signIn(t, u.Username, u.Password)
		mustUse("before the change", u.Token)
		mustUse("the other session before the change", other)
		want(t, n.do(t, http.MethodPut, "/v1/users/me/password", u.Token, map[string]string{
			"current_password": u.Password, "new_password": "Another#Walrus-Ledger9"}), http.StatusNoContent)
		mustUse("the changing session after the change", u.Token)
		mustRefuse("the other session after the change", other)
	})

	t.Run("closure", func(t *testing.T) {
		u := n.addUser(t, n.OrgA, "closed.user", domain.RoleAdviser)
		mustUse("before closure", u.Token)
		want(t, n.do(t, http.MethodDelete, "/v1/organisations/"+n.OrgA+"/users/"+u.ID, n.Admin.Token, nil), http.StatusNoContent)
		mustRefuse("after closure", u.Token)
	})
}
