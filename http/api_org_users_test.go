package http

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/domain"
)

// usersPage is a page of GET /v1/organisations/{id}/users as tests read it.
type usersPage struct {
	Users []struct {
		ID           string        `json:"id"`
		Username     string        `json:"username"`
		Roles        []domain.Role `json:"roles"`
		VoidRoles    []domain.Role `json:"void_roles"`
		Team         string        `json:"team"`
		Closed       bool          `json:"closed"`
		ClosedAt     *string       `json:"closed_at"`
		LastSignInAt *string       `json:"last_sign_in_at"`
	} `json:"users"`
	Next *string `json:"next"`
}

// TestListUsers_ORG3: an organisation's users, for its org lead and the
// coordinator only, by username, paginated without skipping or repeating
// anyone, with when each last signed in and when a closed one was closed;
// reading them writes nothing to the ledger.
func TestListUsers_ORG3(t *testing.T) {
	n := newNetwork(t)
	never := n.do(t, http.MethodPost, "/v1/organisations/"+n.OrgB+"/users", n.LeadB.Token, map[string]any{
		"username": "never.b", "display_name": "Never Signed In", "email": "never@example.org",
		"roles": []string{"adviser"}, "team": "Tenancy", "password": testInitialPassword})
	want(t, never, http.StatusCreated)
	want(t, n.do(t, http.MethodDelete, "/v1/organisations/"+n.OrgB+"/users/"+n.HelpdeskB.ID, n.LeadB.Token, nil), http.StatusNoContent)
	before := n.head(t)

	var all usersPage
	for _, token := range []string{n.LeadB.Token, n.Admin.Token} {
		decodeInto(t, want(t, n.do(t, http.MethodGet, "/v1/organisations/"+n.OrgB+"/users", token, nil), http.StatusOK), &all)
	}
	var names []string
	for _, u := range all.Users {
		names = append(names, u.Username)
		signedIn := u.LastSignInAt != nil
		if signedIn == (u.Username == "never.b") {
			t.Errorf("%s: last_sign_in_at %v", u.Username, u.LastSignInAt)
		}
		if signedIn {
			if at, err := time.Parse(time.RFC3339, *u.LastSignInAt); err != nil || at.IsZero() {
				t.Errorf("%s: last_sign_in_at %q", u.Username, *u.LastSignInAt)
			}
		}
		if u.Closed != (u.ID == n.HelpdeskB.ID) || u.Closed != (u.ClosedAt != nil) {
			t.Errorf("%s: closed %v at %v", u.Username, u.Closed, u.ClosedAt)
		}
		if u.Username == "never.b" && (u.Team != "Tenancy" || !slices.Equal(u.Roles, []domain.Role{domain.RoleAdviser})) {
			t.Errorf("never.b: roles %v team %q", u.Roles, u.Team)
		}
	}
	wantNames := []string{"adviser.b", "helpdesk.b", "lead.b", "manager.b", "never.b"}
	if !slices.Equal(names, wantNames) || all.Next != nil {
		t.Fatalf("users %v next %v, want %v and no next page", names, all.Next, wantNames)
	}

	// Two at a time: every user once, in order.
	var paged []string
	next := ""
	for i := 0; i < 10; i++ {
		path := "/v1/organisations/" + n.OrgB + "/users?limit=2"
		if next != "" {
			path += "&next=" + url.QueryEscape(next)
		}
		var p usersPage
		decodeInto(t, want(t, n.do(t, http.MethodGet, path, n.LeadB.Token, nil), http.StatusOK), &p)
		for _, u := range p.Users {
			paged = append(paged, u.Username)
		}
		if p.Next == nil {
			break
		}
		next = *p.Next
	}
	if !slices.Equal(paged, wantNames) {
		t.Errorf("paged users %v, want %v", paged, wantNames)
	}
	n.do(t, http.MethodGet, "/v1/organisations/"+n.OrgB+"/users?next=not-a-cursor!", n.LeadB.Token, nil).problem(t, http.StatusBadRequest)
	n.do(t, http.MethodGet, "/v1/organisations/"+n.OrgB+"/users?limit=0", n.LeadB.Token, nil).invalid(t, "limit")

	// Another organisation's lead, the organisation's own adviser and the
	// auditor may not; an organisation that does not exist is not found.
	for _, token := range []string{n.LeadA.Token, n.AdviserB.Token, n.Auditor.Token} {
		n.do(t, http.MethodGet, "/v1/organisations/"+n.OrgB+"/users", token, nil).problem(t, http.StatusForbidden)
	}
	n.do(t, http.MethodGet, "/v1/organisations/00000000-0000-4000-8000-000000000000/users", n.Admin.Token, nil).problem(t, http.StatusNotFound)
	if after := n.head(t); after != before {
		t.Errorf("reading users appended events: head %d → %d", before, after)
	}
}
