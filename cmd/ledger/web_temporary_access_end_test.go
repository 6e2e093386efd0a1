package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestWebGranteeEndsOwnTemporaryAccess_LOCK4_UI1: the member of staff
// given short-term access to a locked case can end it early, as the API
// lets them (DELETE /v1/clients/{id}/temporary-access/{user_id} by the
// grantee): the referral's page tells them their access is temporary and
// until when, with a button to end it; then they are out of the case.
// Nobody else is offered that button.
func TestWebGranteeEndsOwnTemporaryAccess_LOCK4_UI1(t *testing.T) {
	n := newLocksNetwork(t)
	req := n.must(t, 201, "POST", "/v1/clients/"+n.client+"/lock-requests", n.tessToken, map[string]any{"responsible_user_id": n.ids["ben"],
		"reason": "Staff member related.", "allow": []any{}, "deny": []any{}})
	n.must(t, 200, "POST", "/v1/lock-requests/"+req["id"].(string)+"/decision", n.samToken, map[string]any{"approve": true})
	n.must(t, 201, "POST", "/v1/clients/"+n.client+"/temporary-access", n.benToken, map[string]any{"user_id": n.ids["dora"],
		"reason": "Covering a visit.", "hours": 2})

	end := "/clients/" + n.client + "/temporary-access/" + n.ids["dora"] + "/end"
	page := "/referrals/" + n.referral
	wantStatus(t, n.dora.get(page), http.StatusOK, "You have temporary access to this case until", `action="`+end+`"`, "End my access now")
	if p := n.ben.get(page); strings.Contains(p.body, "End my access now") || strings.Contains(p.body, "You have temporary access") {
		t.Errorf("the responsible person is told they have temporary access")
	}
	p := n.dora.post(end, url.Values{})
	if p.status != http.StatusSeeOther || p.location != "/" {
		t.Fatalf("ending own access: %d %q\n%s", p.status, p.location, p.body)
	}
	wantStatus(t, n.dora.follow(p), http.StatusOK, "Your temporary access ended.")
	wantStatus(t, n.dora.get(page), http.StatusForbidden, "Ben Adviser")
	if p := n.ben.get("/clients/" + n.client + "/temporary-access"); !strings.Contains(p.body, "Nobody has temporary access now") {
		t.Errorf("the grant is still in force:\n%s", p.body)
	}
}
