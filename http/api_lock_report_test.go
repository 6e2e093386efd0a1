package http

import (
	"net/http"
	"strings"
	"testing"
)

// TestLockedCasesReport_LOCK7_LOCK2: the locked-cases report, API and page,
// lists the access people have now, as the reads decide it (R-LOCK-7,
// R-LOCK-2): an allowed user given the helpdesk role, and a grantee moved
// into a team the deny list refuses, are refused the case and no longer
// listed; everyone the report lists by name gets in.
func TestLockedCasesReport_LOCK7_LOCK2(t *testing.T) {
	n := newLockNet(t, withWebPages())
	allowed := n.addTeamMember(t, n.LeadB.Token, n.OrgB, "allowed.b", "housing")
	n.lock(t, n.Client, map[string]any{"allow": []map[string]any{{"team": "duty"}, {"user_id": allowed.ID}},
		"deny": []map[string]any{{"team": "family"}}})
	want(t, n.do(t, http.MethodPost, "/v1/clients/"+n.Client+"/temporary-access", n.AdviserB.Token,
		map[string]any{"user_id": n.LeadB.ID, "reason": "covering a visit", "hours": 2}), http.StatusCreated)
	path := "/v1/referrals/" + n.Referral
	tokens := map[string]string{n.AdviserB.ID: n.AdviserB.Token, allowed.ID: allowed.Token, n.LeadB.ID: n.LeadB.Token}

	// listed returns who the report lists by name as let in, by kind,
	// checking that each of them gets in.
	listed := func(t *testing.T) map[string]string {
		t.Helper()
		var body struct {
			Cases []struct {
				Access []struct {
					Kind   string `json:"kind"`
					UserID string `json:"user_id"`
				} `json:"access"`
			} `json:"cases"`
		}
		decodeInto(t, want(t, n.do(t, http.MethodGet, "/v1/locked-cases", n.TeamManager.Token, nil), http.StatusOK), &body)
		if len(body.Cases) != 1 {
			t.Fatalf("%d locked cases", len(body.Cases))
		}
		out := map[string]string{}
		for _, a := range body.Cases[0].Access {
			if a.UserID == "" || strings.HasPrefix(a.Kind, "denied_") {
				continue
			}
			out[a.UserID] = a.Kind
			if token, ok := tokens[a.UserID]; !ok {
				t.Errorf("the report lists an unexpected user %s as %s", a.UserID, a.Kind)
			} else if r := n.do(t, http.MethodGet, path, token, nil); r.Status != http.StatusOK {
				t.Errorf("the report lists %s as %s, and the case refuses them: %d", a.UserID, a.Kind, r.Status)
			}
		}
		return out
	}
	page := func(t *testing.T) string {
		t.Helper()
		p := n.webPage(t, "/locked-cases", n.TeamManager.Token)
		if p.Status != http.StatusOK {
			t.Fatalf("locked cases page: %d", p.Status)
		}
		return string(p.Body)
	}

	before := listed(t)
	if before[n.AdviserB.ID] != "responsible" || before[allowed.ID] != "allowed_user" || before[n.LeadB.ID] != "temporary" {
		t.Fatalf("report before: %v", before)
	}
	if p := page(t); !strings.Contains(p, "Member allowed.b") || !strings.Contains(p, "Test lead.b") {
		t.Fatalf("the page lacks the allowed user or the grantee:\n%s", p)
	}

	want(t, n.do(t, http.MethodPatch, "/v1/organisations/"+n.OrgB+"/users/"+allowed.ID, n.Admin.Token,
		map[string]any{"roles": []string{"adviser", "helpdesk"}}), http.StatusOK)
	want(t, n.do(t, http.MethodPatch, "/v1/organisations/"+n.OrgB+"/users/"+n.LeadB.ID, n.Admin.Token,
		map[string]any{"team": "family"}), http.StatusOK)
	for _, u := range []testUser{allowed, n.LeadB} {
		if r := n.do(t, http.MethodGet, path, u.Token, nil); r.Status != http.StatusForbidden {
			t.Fatalf("%s after the change: %d", u.Username, r.Status)
		}
	}
	after := listed(t)
	if _, ok := after[allowed.ID]; ok {
		t.Errorf("an allowed user with the helpdesk role is still listed: %v", after)
	}
	if _, ok := after[n.LeadB.ID]; ok {
		t.Errorf("a grantee moved into a denied team is still listed: %v", after)
	}
	if after[n.AdviserB.ID] != "responsible" {
		t.Errorf("report after: %v", after)
	}
	if p := page(t); strings.Contains(p, "Member allowed.b") || strings.Contains(p, "Test lead.b") {
		t.Errorf("the page still lists someone the case refuses:\n%s", p)
	}
}
