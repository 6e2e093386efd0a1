package http

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestWebLockNamesStaffOfTheOtherOrganisation_UI1_LOCK1_LOCK4: the pages
// do what the API does (R-UI-1). A team manager of the receiving
// organisation locks a case and lets the referrer's adviser in by name,
// among people of the other organisation working with the client (named
// with it); the responsible person can then give short-term access to
// another of that organisation's staff. Only the organisations the user's
// own works with on the client are offered: never a third one.
func TestWebLockNamesStaffOfTheOtherOrganisation_UI1_LOCK1_LOCK4(t *testing.T) {
	n := newNetwork(t, withWebPages())
	client := n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserB.Token, nil).str("client_id")
	alpha := n.do(t, http.MethodGet, "/v1/organisations/"+n.OrgA, n.Admin.Token, nil).str("name")
	other := n.addUser(t, n.OrgA, "adviser.a2", domain.RoleAdviser)
	third := n.addUser(t, n.OrgC, "adviser.c2", domain.RoleAdviser)

	tess := n.web(t, n.TeamManager)
	lock := "/clients/" + client + "/lock-request"
	page := tess.get(lock + "?referral=" + n.Referral)
	for _, who := range []testUser{n.AdviserA, other} {
		if !strings.Contains(page.body, `value="`+who.ID+`"`) {
			t.Fatalf("the lock request page does not offer %s of the other organisation", who.ID)
		}
	}
	if !strings.Contains(page.body, ", "+alpha) {
		t.Errorf("the other organisation's staff are not named with it (%q)", alpha)
	}
	if strings.Contains(page.body, third.ID) {
		t.Errorf("the page offers staff of an organisation not working with the client")
	}
	if r := tess.post(lock, formOf(t, page.body, lock, url.Values{"responsible": {n.AdviserB.ID},
		"lock-reason": {"Staff member related."}, "allow-user": {n.AdviserA.ID}})); r.status != http.StatusSeeOther {
		t.Fatalf("the lock request: %d\n%s", r.status, r.body)
	}
	sam := n.addUser(t, n.OrgB, "sam.b", domain.RoleServiceManager)
	reqs, _ := n.do(t, http.MethodGet, "/v1/lock-requests?status=requested", sam.Token, nil).get("requests").([]any)
	if len(reqs) != 1 {
		t.Fatalf("%d lock requests, want 1", len(reqs))
	}
	want(t, n.do(t, http.MethodPost, "/v1/lock-requests/"+reqs[0].(map[string]any)["id"].(string)+"/decision", sam.Token,
		map[string]any{"approve": true}), http.StatusOK)
	want(t, n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserA.Token, nil), http.StatusOK)
	n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, other.Token, nil).problem(t, http.StatusForbidden)

	// Short-term access for the other adviser of the referrer.
	ben := n.web(t, n.AdviserB)
	access := "/clients/" + client + "/temporary-access"
	form := ben.get(access)
	if !strings.Contains(form.body, `value="`+other.ID+`"`) {
		t.Fatalf("the temporary access page does not offer %s of the other organisation", other.ID)
	}
	if r := ben.post(access, formOf(t, form.body, access, url.Values{"grantee": {other.ID},
		"access-reason": {"Covering a visit."}, "hours": {"2"}})); r.status != http.StatusSeeOther {
		t.Fatalf("the temporary access: %d\n%s", r.status, r.body)
	}
	want(t, n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, other.Token, nil), http.StatusOK)
}
