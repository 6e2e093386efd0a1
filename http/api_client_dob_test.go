package http

import (
	"net/http"
	"testing"
)

// TestClientDateOfBirthPlausible_REF1: a client's date of birth that
// cannot be one — the year 1, a thousand years ago — is refused naming
// client.date_of_birth, as a date in the future is; a date today or a
// long life ago is accepted.
func TestClientDateOfBirthPlausible_REF1(t *testing.T) {
	n := newNetwork(t)
	for _, dob := range []string{"0001-01-01", "1066-10-14", "1850-06-30"} {
		body := validReferral(n.OrgB, "Jo Bloggs")
		body["client"].(map[string]any)["date_of_birth"] = dob
		n.do(t, http.MethodPost, "/v1/referrals", n.AdviserA.Token, body).invalid(t, "client.date_of_birth")
	}
	for _, dob := range []string{"1920-01-01", "2000-02-29"} {
		body := validReferral(n.OrgB, "Jo Bloggs")
		body["client"].(map[string]any)["date_of_birth"] = dob
		want(t, n.do(t, http.MethodPost, "/v1/referrals", n.AdviserA.Token, body), http.StatusCreated)
	}
}
