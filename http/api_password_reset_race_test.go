package http

import (
	"context"
	"net/http"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestPasswordSetByLeadStandsOverChangeInFlight_AUTH6 proves R-AUTH-6
// when a user's own password change (checked against the password its
// session was opened with) is still being made as their organisation's
// lead sets them a new one, say to shut out someone who knows the old
// one: the change is refused as from an ended session, the password the
// lead set stands and must be changed at sign-in, and the password the
// change asked for does not sign in.
func TestPasswordSetByLeadStandsOverChangeInFlight_AUTH6(t *testing.T) {
	a := newTestAPI(t)
	org := a.registerOrg(t, "Alpha Advice")
	lead := a.addUser(t, org, "lead.a", domain.RoleOrgLead)
	u := a.addUser(t, org, "adviser.a", domain.RoleAdviser)

	// The change request has authenticated: its session's account, with
	// the password it was opened with.
	ctx := context.Background()
	asAuthenticated, err := a.Server.Accounts.SessionUser(ctx, u.Token)
	if err != nil {
		t.Fatal(err)
	}
	// Meanwhile the lead sets a new password.
	const set = "Lead-Set Heron#2027"
	want(t, a.do(t, http.MethodPut, "/v1/organisations/"+org+"/users/"+u.ID+"/password", lead.Token,
		map[string]string{"password": set}), http.StatusNoContent)
	// Then the change is made.
	const mine = "Walrus-Own Kettle#2027"
	err = a.Server.Accounts.ChangePassword(ctx, asAuthenticated, u.Token, u.Password, mine, "127.0.0.1")
	if got := domain.ErrorCode(err); got != domain.Unauthorized {
		t.Fatalf("change made after the lead set a password: %v (code %q), want Unauthorized", err, got)
	}

	a.do(t, http.MethodPost, "/v1/sessions", "", map[string]string{"username": u.Username, "password": mine}).
		problem(t, http.StatusUnauthorized)
	r := want(t, a.do(t, http.MethodPost, "/v1/sessions", "", map[string]string{"username": u.Username, "password": set}),
		http.StatusCreated)
	if due, _ := r.get("password_change_due").(bool); !due {
		t.Errorf("the password the lead set is not due for a change: %s", r.Body)
	}
}
