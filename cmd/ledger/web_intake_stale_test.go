package main

import (
	"net/http"
	"net/url"
	"testing"
)

// TestWebIntakeFormRefusesStaleSwitch_ORG2_LEDGER2: the intake forms are
// sent with the revision they were drawn from, as the API's If-Match, so
// an org lead whose page is out of date does not undo what another lead
// of the organisation did meanwhile (switched intake off with a reason and
// a date it comes back on): the page comes back (409) saying so, with what
// the lead typed kept and the state in force shown, writes nothing, and
// the lead's change is saved once sent again from it.
func TestWebIntakeFormRefusesStaleSwitch_ORG2_LEDGER2(t *testing.T) {
	n := newOrgLeadNetwork(t)
	intake := n.orgBURL + "/intake"
	m := revisionField.FindStringSubmatch(n.lena.get(intake).body)
	if m == nil {
		t.Fatalf("the intake form carries no revision")
	}

	// Another lead of the organisation switches intake off meanwhile,
	// until a date.
	n.must(t, 201, "POST", "/v1/organisations/"+n.orgB+"/users", n.admin, map[string]any{"username": "otto",
		"display_name": "Otto Lead", "email": "otto@example.org", "roles": []string{"org_lead"}, "password": "Initial#Heron55"})
	otto := n.firstSignIn(t, "otto", "Initial#Heron55", "Heron#Glide-55")
	n.must(t, 200, "PUT", "/v1/organisations/"+n.orgB+"/intake", otto,
		map[string]any{"accepting": false, "reason": "Office flooded", "resume_on": "2099-01-04"})
	before := n.revision(t, n.orgB)

	form := url.Values{"revision": {m[1]}, "accepting": {"no"}, "intake-reason": {"Staff training"}, "resume-on": {""}}
	p := n.lena.post(intake, form)
	wantStatus(t, p, http.StatusConflict, "changed while you were", "Staff training", "Office flooded", "4 January 2099")
	n.wantUnchanged(t, n.orgB, before)
	in := n.must(t, 200, "GET", "/v1/organisations/"+n.orgB, n.admin, nil)["intake"].(map[string]any)
	if in["reason"] != "Office flooded" || in["resume_on"] != "2099-01-04" {
		t.Fatalf("a stale intake form overwrote the other lead's switch: %v", in)
	}

	fresh := revisionField.FindStringSubmatch(p.body)
	if fresh == nil || fresh[1] == m[1] {
		t.Fatalf("the page sent back does not carry the new revision: %v", fresh)
	}
	form.Set("revision", fresh[1])
	if p := n.lena.post(intake, form); p.status != http.StatusSeeOther {
		t.Fatalf("saving again from the fresh page: %d\n%s", p.status, p.body)
	}
	in = n.must(t, 200, "GET", "/v1/organisations/"+n.orgB, n.admin, nil)["intake"].(map[string]any)
	if in["reason"] != "Staff training" || in["resume_on"] != nil {
		t.Fatalf("the lead's change sent again from the fresh page: %v", in)
	}

	// Switching on from a page drawn before a change is refused too.
	m = revisionField.FindStringSubmatch(n.lena.get(intake).body)
	n.must(t, 200, "PUT", "/v1/organisations/"+n.orgB+"/intake", otto,
		map[string]any{"accepting": false, "reason": "Staff training", "resume_on": "2099-02-01"})
	before = n.revision(t, n.orgB)
	wantStatus(t, n.lena.post(intake, url.Values{"revision": {m[1]}, "accepting": {"yes"}}), http.StatusConflict,
		"changed while you were", "1 February 2099")
	n.wantUnchanged(t, n.orgB, before)
}
