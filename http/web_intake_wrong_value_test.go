package http

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestWebIntakeUnknownChoiceChangesNothing_ORG2_UI2: the intake form
// sends accepting "yes" or "no"; any other value (an edited form) is
// refused with 422, as PUT /v1/organisations/{id}/intake refuses an
// accepting that is not a boolean, and nothing is written: intake is not
// switched off because the value was not "yes".
func TestWebIntakeUnknownChoiceChangesNothing_ORG2_UI2(t *testing.T) {
	n := newNetwork(t, withWebPages())
	lead := n.pagesAs(t, n.LeadB.Token)
	intake := "/organisations/" + n.OrgB + "/intake"
	n.do(t, http.MethodPut, "/v1/organisations/"+n.OrgB+"/intake", n.LeadB.Token,
		map[string]any{"accepting": "maybe", "reason": "Busy."}).invalid(t, "accepting")
	switches := func() int {
		return n.countEvents(t, domain.OrganisationIntakeSwitchedOffType) + n.countEvents(t, domain.OrganisationIntakeSwitchedOnType)
	}
	before := switches()
	for _, v := range []string{"maybe", "", "NO"} {
		showing(t, lead.post(intake, url.Values{"accepting": {v}, "intake-reason": {"Busy."}}), http.StatusUnprocessableEntity,
			"Nothing was changed")
	}
	if got := switches(); got != before {
		t.Fatalf("%d intake switches written by forms with no known choice", got-before)
	}
	if r := n.do(t, http.MethodGet, "/v1/organisations/"+n.OrgB, n.LeadB.Token, nil); r.JSON["accepting_referrals"] != true {
		t.Fatalf("intake after the refused forms: %s", r.Body)
	}
}
