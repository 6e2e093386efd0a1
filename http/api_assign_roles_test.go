package http

import (
	"net/http"
	"testing"
)

// TestAssignOnlyToCaseworkers_REF5 covers R-REF-5 through the API: the
// receiver assigns a referral to an adviser, someone who can work it. A
// helpdesk account of the receiving organisation is refused with 422
// naming user_id and nothing is written; a team manager, who can work
// referrals, may be assigned it.
func TestAssignOnlyToCaseworkers_REF5(t *testing.T) {
	n := newNetwork(t)
	path := "/v1/referrals/" + n.Referral + "/assignment"

	before := n.head(t)
	n.do(t, http.MethodPost, path, n.AdviserB.Token, map[string]any{"user_id": n.HelpdeskB.ID}).invalid(t, "user_id")
	if after := n.head(t); after != before {
		t.Fatalf("a refused assignment moved the store's head from %d to %d", before, after)
	}
	r := want(t, n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserB.Token, nil), http.StatusOK)
	if got := r.get("assigned_to"); got != nil {
		t.Fatalf("assigned_to after a refused assignment = %v, want null", got)
	}

	r = want(t, n.do(t, http.MethodPost, path, n.AdviserB.Token, map[string]any{"user_id": n.TeamManager.ID}), http.StatusOK)
	if got := r.str("assigned_to"); got != n.TeamManager.ID {
		t.Fatalf("assigned_to = %q, want the team manager %q", got, n.TeamManager.ID)
	}
}
