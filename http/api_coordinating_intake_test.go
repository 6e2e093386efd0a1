package http

import (
	"net/http"
	"testing"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
)

// TestCoordinatingBodyHasNoIntakeToSwitch_ORG2: the coordinating body
// takes no referrals, so PUT .../intake on it is refused, 409, whichever
// way, with nothing recorded (and so no intake-off reminder to its lead),
// as its intake page says; it still reads as taking no referrals.
func TestCoordinatingBodyHasNoIntakeToSwitch_ORG2(t *testing.T) {
	n := newNetwork(t)
	path := "/v1/organisations/" + ledger.CoordinatorOrganisationID().String()
	before := n.countEvents(t, domain.OrganisationIntakeSwitchedOffType) + n.countEvents(t, domain.OrganisationIntakeSwitchedOnType)
	for _, body := range []map[string]any{
		{"accepting": false, "reason": "Closed for the holidays."},
		{"accepting": true},
	} {
		n.do(t, http.MethodPut, path+"/intake", n.Admin.Token, body).problem(t, http.StatusConflict)
	}
	after := n.countEvents(t, domain.OrganisationIntakeSwitchedOffType) + n.countEvents(t, domain.OrganisationIntakeSwitchedOnType)
	if after != before {
		t.Errorf("%d intake switches recorded for the coordinating body, want none", after-before)
	}
	o := want(t, n.do(t, http.MethodGet, path, n.Admin.Token, nil), http.StatusOK)
	if o.get("accepting_referrals") != false {
		t.Errorf("the coordinating body reads as accepting referrals: %s", o.Body)
	}
}
