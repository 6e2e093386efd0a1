package main

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"
)

// TestWebTemporaryAccessErrorsInFormOrder_LOCK4_UI2: the temporary access
// form sent empty lists its mistakes in the error summary in the order the
// form asks for them (member of staff, reason, hours), as every other form
// does, so the summary reads as the page does.
func TestWebTemporaryAccessErrorsInFormOrder_LOCK4_UI2(t *testing.T) {
	n := newLocksNetwork(t)
	req := n.must(t, 201, "POST", "/v1/clients/"+n.client+"/lock-requests", n.tessToken, map[string]any{"responsible_user_id": n.ids["ben"],
		"reason": "Staff member related.", "allow": []any{}, "deny": []any{}, "hide_notification": false})
	n.must(t, 200, "POST", "/v1/lock-requests/"+req["id"].(string)+"/decision", n.samToken, map[string]any{"approve": true})
	p := n.ben.post("/clients/"+n.client+"/temporary-access", url.Values{})
	wantStatus(t, p, http.StatusUnprocessableEntity)
	var got []string
	for _, m := range regexp.MustCompile(`<li><a href="#([a-z-]+)">`).FindAllStringSubmatch(p.body, -1) {
		got = append(got, m[1])
	}
	if want := []string{"grantee", "access-reason", "hours"}; len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("error summary %v, want %v (the form's order)", got, want)
	}
}
