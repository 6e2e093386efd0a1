package http

import (
	"net/http"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestMFAResetOfNoSecondFactorEndsNoSession_Issue17: resetting the second
// factor of someone who has none records nothing, emails nobody and
// leaves a set-up under way as it is (docs/second-factor.md). It ended
// every session of theirs all the same, on no record: a lead's reset
// signed the user out everywhere with nothing in the ledger to say who or
// why. Their sessions now go on; a reset that removes a second factor
// still ends them all.
func TestMFAResetOfNoSecondFactorEndsNoSession_Issue17(t *testing.T) {
	a := newTestAPI(t)
	org := a.registerOrg(t, "Alpha Advice")
	lead := a.addUser(t, org, "lead.a", domain.RoleOrgLead)
	u := a.addUser(t, org, "adviser.a", domain.RoleAdviser)
	resetPath := "/v1/organisations/" + org + "/users/" + u.ID + "/mfa"

	before := a.head(t)
	want(t, a.do(t, http.MethodDelete, resetPath, lead.Token, nil), http.StatusNoContent)
	if after := a.head(t); after != before {
		t.Fatalf("a reset of no second factor wrote to the log: head %d, was %d", after, before)
	}
	if r := a.do(t, http.MethodGet, "/v1/users/me/mfa", u.Token, nil); r.Status != http.StatusOK {
		t.Fatalf("the user's session after a reset of no second factor: status %d, want 200; body %s", r.Status, r.Body)
	}

	// With a second factor, the reset is recorded and ends the session.
	a.enrolTOTP(t, u.Token)
	want(t, a.do(t, http.MethodDelete, resetPath, lead.Token, nil), http.StatusNoContent)
	a.do(t, http.MethodGet, "/v1/users/me/mfa", u.Token, nil).problem(t, http.StatusUnauthorized)
}
