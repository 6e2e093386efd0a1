package http

import (
	"net/http"
	"strings"
	"testing"
)

// TestApproveLockWhoseResponsiblePersonCannotBe_LOCK10: the person a case
// is locked to is an active member of the lock's organisation who does
// casework or manages, and not someone the lock refuses (R-LOCK-10). A
// request that named someone who has since stopped being that (their
// account closed, given the helpdesk role, moved into a team the deny list
// refuses) is not approved into a lock nobody can be referred to: 409 naming
// why, nothing recorded; it can still be refused, and a new request made.
func TestApproveLockWhoseResponsiblePersonCannotBe_LOCK10(t *testing.T) {
	for _, tc := range []struct {
		name   string
		deny   []map[string]any
		change func(n *lockNet, u testUser)
		says   string
	}{
		{"account closed", nil, func(n *lockNet, u testUser) {
			want(t, n.do(t, http.MethodDelete, "/v1/organisations/"+n.OrgB+"/users/"+u.ID, n.LeadB.Token, nil), http.StatusNoContent)
		}, "active"},
		{"made helpdesk", nil, func(n *lockNet, u testUser) {
			want(t, n.do(t, http.MethodPatch, "/v1/organisations/"+n.OrgB+"/users/"+u.ID, n.LeadB.Token,
				map[string]any{"roles": []string{"helpdesk"}}), http.StatusOK)
		}, "helpdesk"},
		{"moved into a refused team", []map[string]any{{"team": "intake"}}, func(n *lockNet, u testUser) {
			want(t, n.do(t, http.MethodPatch, "/v1/organisations/"+n.OrgB+"/users/"+u.ID, n.LeadB.Token,
				map[string]any{"team": "intake"}), http.StatusOK)
		}, "deny"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newLockNet(t)
			responsible := n.addTeamMember(t, n.LeadB.Token, n.OrgB, "responsible.b", "casework")
			extra := map[string]any{"responsible_user_id": responsible.ID}
			if tc.deny != nil {
				extra["deny"] = tc.deny
			}
			request := n.requestLockOn(t, n.Client, extra)
			tc.change(n, responsible)

			before := n.head(t)
			p := n.do(t, http.MethodPost, "/v1/lock-requests/"+request+"/decision", n.ServiceManager.Token,
				map[string]any{"approve": true}).problem(t, http.StatusConflict)
			if !strings.Contains(p.Detail, "responsible") || !strings.Contains(p.Detail, tc.says) {
				t.Fatalf("approval refused with %q; want it to say why the responsible person cannot be (%q)", p.Detail, tc.says)
			}
			if after := n.head(t); after != before {
				t.Fatalf("a refused approval recorded something: head %d → %d", before, after)
			}
			// The case is not locked: its own adviser still reads it.
			want(t, n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserA.Token, nil), http.StatusOK)

			d := want(t, n.do(t, http.MethodPost, "/v1/lock-requests/"+request+"/decision", n.ServiceManager.Token,
				map[string]any{"approve": false, "reason": "the responsible person has changed"}), http.StatusOK)
			if d.str("status") != "refused" {
				t.Fatalf("refusal answered %s", d.Body)
			}
			n.lock(t, n.Client, nil) // a new request naming someone who can be responsible
		})
	}
}
