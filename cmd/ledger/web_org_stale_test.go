package main

import (
	"net/http"
	"net/url"
	"testing"
)

// TestWebOrgFormsRefuseStaleEdits_LEDGER2_ORG1_ORG3: the directory entry
// and a user's details are saved with the revision their form was drawn
// from, as the API's If-Match, so a change someone else made meanwhile is
// never overwritten: the form comes back (409) saying so, with what the
// user typed kept, and saves once sent again from it.
func TestWebOrgFormsRefuseStaleEdits_LEDGER2_ORG1_ORG3(t *testing.T) {
	n := newOrgLeadNetwork(t)
	b := n.lena
	profile := n.orgBURL + "/profile"
	page := b.get(profile)
	m := revisionField.FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("the directory entry form carries no revision:\n%s", page.body)
	}
	// The coordinator changes the admin contact meanwhile.
	n.must(t, 200, "PATCH", "/v1/organisations/"+n.orgB, n.admin, map[string]any{"admin_email": "coordinator-set@housing.example"})
	form := url.Values{"revision": {m[1]}, "name": {"Housing Trust"}, "description": {"Lena's new words"},
		"admin-email": {"b@housing.example"}, "service-0-name": {"Tenancy support"}}
	p := b.post(profile, form)
	wantStatus(t, p, http.StatusConflict, "changed while you were", "Lena&#39;s new words")
	if o := n.must(t, 200, "GET", "/v1/organisations/"+n.orgB, n.admin, nil); o["admin_email"] != "coordinator-set@housing.example" {
		t.Fatalf("a stale form overwrote the coordinator's change: %v", o["admin_email"])
	}
	fresh := revisionField.FindStringSubmatch(p.body)
	if fresh == nil || fresh[1] == m[1] {
		t.Fatalf("the form sent back does not carry the new revision: %v", fresh)
	}
	form.Set("revision", fresh[1])
	if p := b.post(profile, form); p.status != http.StatusSeeOther {
		t.Fatalf("saving again from the fresh form: %d\n%s", p.status, p.body)
	}

	// A user's details, likewise.
	ben := n.must(t, 201, "POST", "/v1/sessions", "", map[string]string{"username": "ben", "password": benPassword})["user"].(map[string]any)["id"].(string)
	edit := n.orgBURL + "/users/" + ben
	m = revisionField.FindStringSubmatch(b.get(edit).body)
	if m == nil {
		t.Fatalf("the user form carries no revision")
	}
	n.must(t, 200, "PATCH", "/v1/organisations/"+n.orgB+"/users/"+ben, n.admin, map[string]any{"team": "Duty"})
	p = b.post(edit, url.Values{"revision": {m[1]}, "display-name": {"Benjamin Adviser"}, "email": {"ben@example.org"},
		"roles": {"adviser"}, "team": {""}})
	wantStatus(t, p, http.StatusConflict, "changed while you were", `value="Benjamin Adviser"`)
	u := n.must(t, 200, "GET", "/v1/organisations/"+n.orgB+"/users?limit=200", n.admin, nil)
	for _, x := range u["users"].([]any) {
		if x.(map[string]any)["id"] == ben && (x.(map[string]any)["team"] != "Duty" || x.(map[string]any)["display_name"] != "Ben Adviser") {
			t.Fatalf("a stale user form overwrote the change: %v", x)
		}
	}
}
