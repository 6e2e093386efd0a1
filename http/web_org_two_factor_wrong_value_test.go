package http

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestWebOrgTwoFactorUnknownChoiceChangesNothing_Issue17_UI2: the org
// lead's second-factor form sends required "yes" or "no" (one of its two
// radios is always chosen); a form with neither (edited, or sent by
// hand) is refused with 422, as PUT /v1/organisations/{id}/mfa-requirement
// refuses a required that is not a boolean, and does not switch the
// organisation's requirement of a second factor off.
func TestWebOrgTwoFactorUnknownChoiceChangesNothing_Issue17_UI2(t *testing.T) {
	n := newNetwork(t, withWebPages())
	path := "/organisations/" + n.OrgA + "/second-factor"
	n.do(t, http.MethodPut, "/v1/organisations/"+n.OrgA+"/mfa-requirement", n.LeadA.Token, map[string]any{"required": "maybe"}).
		invalid(t, "required")
	n.enrolTOTP(t, n.LeadA.Token)
	want(t, n.do(t, http.MethodPut, "/v1/organisations/"+n.OrgA+"/mfa-requirement", n.LeadA.Token, map[string]any{"required": true}),
		http.StatusOK)
	changes := n.countEvents(t, domain.OrganisationMFARequirementChangedType)
	lead := n.pagesAs(t, n.LeadA.Token)
	for _, v := range []url.Values{{}, {"required": {"maybe"}}, {"required": {"YES"}}} {
		showing(t, lead.post(path, v), http.StatusUnprocessableEntity, "Nothing was changed")
	}
	showing(t, n.pagesAs(t, n.LeadB.Token).post(path, url.Values{"required": {"maybe"}}), http.StatusForbidden)
	if got := n.countEvents(t, domain.OrganisationMFARequirementChangedType); got != changes {
		t.Fatalf("%d changes of the requirement written by forms with no known choice", got-changes)
	}
	showing(t, lead.follow(lead.post(path, url.Values{"required": {"no"}})), http.StatusOK)
	if got := n.countEvents(t, domain.OrganisationMFARequirementChangedType); got != changes+1 {
		t.Fatalf("the form's own choice was not recorded")
	}
}
