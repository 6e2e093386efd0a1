package http

import (
	"net/http"
	"testing"
)

// mfaEnrolledInList returns each user's mfa_enrolled in the users list of
// org as the holder of token sees it; a user without the field maps to
// nil.
func (a *testAPI) mfaEnrolledInList(tb testing.TB, org, token string) map[string]any {
	tb.Helper()
	r := want(tb, a.do(tb, http.MethodGet, "/v1/organisations/"+org+"/users", token, nil), http.StatusOK)
	out := map[string]any{}
	for _, u := range r.get("users").([]any) {
		m := u.(map[string]any)
		out[m["username"].(string)] = m["mfa_enrolled"]
	}
	return out
}

// TestMFAStateShownToThoseWhoManage_Issue17: the organisation's lead and
// the coordinator see whether each user has a second factor (the users
// list, and the answers adding or changing a user) and whether the
// organisation requires one (the organisation); nobody else sees either,
// and a user's own sign-in does not carry it.
func TestMFAStateShownToThoseWhoManage_Issue17(t *testing.T) {
	n := newNetwork(t)
	orgPath := "/v1/organisations/" + n.OrgA

	required := func(token string) any {
		t.Helper()
		return want(t, n.do(t, http.MethodGet, orgPath, token, nil), http.StatusOK).get("mfa_required")
	}
	for name, token := range map[string]string{"its lead": n.LeadA.Token, "the coordinator": n.Admin.Token} {
		if got := required(token); got != false {
			t.Fatalf("mfa_required to %s before any requirement = %v, want false", name, got)
		}
	}
	want(t, n.do(t, http.MethodPut, orgPath+"/mfa-requirement", n.LeadA.Token, map[string]any{"required": true}), http.StatusOK)
	n.enrolTOTP(t, n.LeadA.Token)
	n.enrolTOTP(t, n.AdviserA.Token)
	for name, token := range map[string]string{"its lead": n.LeadA.Token, "the coordinator": n.Admin.Token} {
		if got := required(token); got != true {
			t.Fatalf("mfa_required to %s once required = %v, want true", name, got)
		}
	}
	for name, token := range map[string]string{"an adviser of it": n.AdviserA.Token, "another organisation's lead": n.LeadB.Token} {
		if got := want(t, n.do(t, http.MethodGet, orgPath, token, nil), http.StatusOK); got.get("mfa_required") != nil {
			t.Fatalf("the organisation as %s sees it carries mfa_required: %s", name, got.Body)
		}
	}

	for name, token := range map[string]string{"its lead": n.LeadA.Token, "the coordinator": n.Admin.Token} {
		got := n.mfaEnrolledInList(t, n.OrgA, token)
		if got["adviser.a"] != true || got["lead.a"] != true || len(got) != 2 {
			t.Fatalf("mfa_enrolled in the users list to %s = %v, want both true", name, got)
		}
	}
	if got := n.mfaEnrolledInList(t, n.OrgB, n.LeadB.Token); got["adviser.b"] != false || got["lead.b"] != false {
		t.Fatalf("mfa_enrolled of users without a second factor = %v, want false", got)
	}
	n.do(t, http.MethodGet, "/v1/organisations/"+n.OrgA+"/users", n.LeadB.Token, nil).problem(t, http.StatusForbidden)

	r := want(t, n.do(t, http.MethodPatch, orgPath+"/users/"+n.AdviserA.ID, n.LeadA.Token,
		map[string]any{"display_name": "Adviser Alpha"}), http.StatusOK)
	if r.get("mfa_enrolled") != true {
		t.Fatalf("the changed user's answer: %s", r.Body)
	}
	r = want(t, n.do(t, http.MethodPost, orgPath+"/users", n.LeadA.Token, map[string]any{"username": "new.a",
		"display_name": "New", "email": "new.a@example.org", "roles": []string{"adviser"}, "password": testInitialPassword}),
		http.StatusCreated)
	if r.get("mfa_enrolled") != false {
		t.Fatalf("the added user's answer: %s", r.Body)
	}

	want(t, n.do(t, http.MethodDelete, orgPath+"/users/"+n.AdviserA.ID+"/mfa", n.LeadA.Token, nil), http.StatusNoContent)
	if got := n.mfaEnrolledInList(t, n.OrgA, n.Admin.Token); got["adviser.a"] != false || got["lead.a"] != true {
		t.Fatalf("mfa_enrolled after the adviser's reset = %v", got)
	}
	s := want(t, n.do(t, http.MethodPost, "/v1/sessions", "", map[string]string{"username": "adviser.b",
		"password": testUserPassword}), http.StatusCreated)
	if s.get("user", "mfa_enrolled") != nil {
		t.Fatalf("a sign-in's user carries mfa_enrolled: %s", s.Body)
	}
}
