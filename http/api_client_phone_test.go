package http

import (
	"net/http"
	"testing"
)

// TestClientPhoneNeedsDigits_REF1: a client's phone number that no one
// could ring — a lone +, brackets and dashes, a digit or two — is refused
// naming client.phone; a UK number however written is accepted, and the
// other client fields are still checked beside a bad phone.
func TestClientPhoneNeedsDigits_REF1(t *testing.T) {
	n := newNetwork(t)
	for _, phone := range []string{"+", "()-- ", "0", "+44 12"} {
		body := validReferral(n.OrgB, "Jo Bloggs")
		body["client"].(map[string]any)["phone"] = phone
		n.do(t, http.MethodPost, "/v1/referrals", n.AdviserA.Token, body).invalid(t, "client.phone")
	}
	body := validReferral(n.OrgB, "Jo Bloggs")
	body["client"].(map[string]any)["phone"] = "+"
	body["client"].(map[string]any)["email"] = "not an address"
	p := n.do(t, http.MethodPost, "/v1/referrals", n.AdviserA.Token, body).invalid(t, "client.phone")
	if !p.hasField("client.email") {
		t.Fatalf("a bad phone hides the bad email: %+v", p)
	}
	for _, phone := range []string{"07700 900123", "+44 (0)20 7946-0000", "01234 567890", "   "} {
		body := validReferral(n.OrgB, "Jo Bloggs")
		body["client"].(map[string]any)["phone"] = phone
		want(t, n.do(t, http.MethodPost, "/v1/referrals", n.AdviserA.Token, body), http.StatusCreated)
	}
}
