package http

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/referral-ledger/ledger/auth"
)

// TestWebAddUserHintSaysThePolicy_AUTH2_UI2: the add-user form tells the
// org lead the rules of the password policy in force before they type the
// one-time password, as the set-password form does: under the modern
// policy, 12 characters, which the hint's example alone did not say; and
// it says them again when the form comes back with an error.
func TestWebAddUserHintSaysThePolicy_AUTH2_UI2(t *testing.T) {
	for _, tc := range []struct {
		policy auth.PasswordPolicy
		rule   string
	}{
		{auth.PolicyNetwork, "Use at least 8 characters, with an upper-case letter"},
		{auth.PolicyModern, "Use at least 12 characters"},
	} {
		t.Run(tc.policy.String(), func(t *testing.T) {
			n := newNetwork(t, withWebPages(), withPasswordPolicy(tc.policy))
			lead := n.pagesAs(t, n.LeadA.Token)
			users := "/organisations/" + n.OrgA + "/users"
			showing(t, lead.get(users+"/new"), http.StatusOK, `id="password-hint"`, tc.rule)
			showing(t, lead.post(users, url.Values{"display-name": {"Cara Case"}, "username": {"cara"},
				"email": {"cara@example.org"}, "roles": {"adviser"}, "password": {"Owl#Kt7"}}),
				http.StatusUnprocessableEntity, `id="password-hint"`, tc.rule, "at least")
		})
	}
}
