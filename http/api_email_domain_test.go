package http

import (
	"net/http"
	"testing"
)

// TestEmailDomainIsAHostName_ORG1: an organisation's admin contact, and a
// client's email, at a domain no mail can be sent to — an IP literal, a
// label starting with a hyphen, an underscore — is refused naming the
// field; ordinary, tagged and single-label (intranet) addresses are kept.
func TestEmailDomainIsAHostName_ORG1(t *testing.T) {
	n := newNetwork(t)
	for _, email := range []string{"intake@[192.0.2.1]", "intake@-alpha.example", "intake@alpha_advice.example", "intake@alpha-.example"} {
		n.do(t, http.MethodPatch, "/v1/organisations/"+n.OrgA, n.LeadA.Token, map[string]any{"admin_email": email}).invalid(t, "admin_email")
		body := validReferral(n.OrgB, "Jo Bloggs")
		body["client"].(map[string]any)["email"] = email
		n.do(t, http.MethodPost, "/v1/referrals", n.AdviserA.Token, body).invalid(t, "client.email")
	}
	for _, email := range []string{"intake+referrals@alpha-advice.example", "intake@localhost", "INTAKE@ALPHA.EXAMPLE"} {
		want(t, n.do(t, http.MethodPatch, "/v1/organisations/"+n.OrgA, n.LeadA.Token, map[string]any{"admin_email": email}), http.StatusOK)
	}
}
