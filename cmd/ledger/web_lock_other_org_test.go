package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestWebLockTeamOfAnotherOrganisation_LOCK11_UI1: the lock request form
// lets the team manager allow or refuse a team of another organisation
// involved with the client, as the API's allow and deny entries
// {team, organisation_id} do (R-LOCK-11); half an entry is an error by its
// field, with what was typed kept, listed with the form's other errors. Once locked, the allowed team of the
// referring organisation still sees the case and others of it do not.
func TestWebLockTeamOfAnotherOrganisation_LOCK11_UI1(t *testing.T) {
	n := newLocksNetwork(t)
	// A second adviser at Advice Centre, in team Outreach, with Ann in no team.
	n.must(t, 201, "POST", "/v1/organisations/"+n.orgA+"/users", n.admin, map[string]any{"username": "otto",
		"display_name": "Otto Outreach", "email": "otto@example.org", "roles": []string{"adviser"}, "team": "Outreach",
		"password": "Initial#Auk-2050"})
	n.firstSignIn(t, "otto", "Initial#Auk-2050", locksPassword)
	otto, ann := n.browser(t), n.browser(t)
	otto.signIn("otto", locksPassword, "/")
	ann.signIn("ann", annPassword, "/")

	form := "/clients/" + n.client + "/lock-request"
	p := n.tess.get(form)
	wantStatus(t, p, http.StatusOK, `name="allow-other-team"`, `name="allow-other-org"`, `name="deny-other-team"`, `name="deny-other-org"`)
	sel := p.body[strings.Index(p.body, `id="allow-other-org"`):]
	sel = sel[:strings.Index(sel, "</select>")]
	if !strings.Contains(sel, `value="`+n.orgA+`"`) || strings.Contains(sel, `value="`+n.orgB+`"`) {
		t.Errorf("the other organisations offered are not those involved with the client:\n%s", sel)
	}

	base := url.Values{"responsible": {n.ids["ben"]}, "lock-reason": {"Staff member related."}}
	half := url.Values{"allow-other-team": {"Outreach"}}
	for k, v := range base {
		half[k] = v
	}
	wantStatus(t, n.tess.post(form, half), http.StatusUnprocessableEntity, `href="#allow-other-org"`, `value="Outreach"`)
	half = url.Values{"deny-other-org": {n.orgA}}
	for k, v := range base {
		half[k] = v
	}
	wantStatus(t, n.tess.post(form, half), http.StatusUnprocessableEntity, `href="#deny-other-team"`)
	// Half an entry and the rest of the form left empty: every mistake is
	// listed at once (GOV.UK error summary), not the half entry's alone.
	wantStatus(t, n.tess.post(form, url.Values{"allow-other-team": {"Outreach"}}), http.StatusUnprocessableEntity,
		`href="#allow-other-org"`, `href="#responsible"`, `href="#lock-reason"`, `value="Outreach"`)
	if q := n.queue(t); len(q) != 0 {
		t.Fatalf("a refused form recorded a request: %v", q)
	}

	good := url.Values{"allow-other-org": {n.orgA}, "allow-other-team": {"Outreach"}}
	for k, v := range base {
		good[k] = v
	}
	if p := n.tess.post(form, good); p.status != http.StatusSeeOther {
		t.Fatalf("lock request: %d\n%s", p.status, p.body)
	}
	q := n.queue(t)
	if len(q) != 1 {
		t.Fatalf("queue: %v", q)
	}
	allow, _ := q[0].(map[string]any)["allow"].([]any)
	if len(allow) != 1 || allow[0].(map[string]any)["team"] != "Outreach" || allow[0].(map[string]any)["organisation_id"] != n.orgA {
		t.Fatalf("the request's allow list: %v", allow)
	}
	decide := "/lock-requests/" + q[0].(map[string]any)["id"].(string)
	wantStatus(t, n.sam.get(decide), http.StatusOK, "Team Outreach (Advice Centre)")
	if p := n.sam.post(decide, url.Values{"decision": {"approve"}, "confirm": {"yes"}}); p.status != http.StatusSeeOther {
		t.Fatalf("approving: %d\n%s", p.status, p.body)
	}
	wantStatus(t, otto.get("/referrals/"+n.referral), http.StatusOK)
	wantStatus(t, ann.get("/referrals/"+n.referral), http.StatusForbidden)
}
