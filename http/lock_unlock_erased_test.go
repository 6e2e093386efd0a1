package http

import (
	"net/http"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestUnlockAfterErasure_LOCK6_PRIV3: once a locked client's data is
// erased no reason or notes can be kept, and the ledger refuses any; an
// unlock request, or a review deciding not to keep the lock, then goes
// without them, so the lock can still be lifted. Before, both required
// the text they then refused, and the lock could never be lifted.
func TestUnlockAfterErasure_LOCK6_PRIV3(t *testing.T) {
	for _, viaReview := range []bool{false, true} {
		n := newNetwork(t)
		client := n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserB.Token, nil).str("client_id")
		sam := n.addUser(t, n.OrgB, "sam.b", domain.RoleServiceManager)
		request := want(t, n.do(t, http.MethodPost, "/v1/clients/"+client+"/lock-requests", n.TeamManager.Token, map[string]any{
			"responsible_user_id": n.TeamManager.ID, "reason": "Staff member related."}), http.StatusCreated).str("id")
		want(t, n.do(t, http.MethodPost, "/v1/lock-requests/"+request+"/decision", sam.Token, map[string]any{"approve": true}), http.StatusOK)
		erasure := want(t, n.do(t, http.MethodPost, "/v1/clients/"+client+"/erasure-requests", n.TeamManager.Token,
			map[string]any{"reason": "The client asked."}), http.StatusCreated).str("id")
		want(t, n.do(t, http.MethodPost, "/v1/erasure-requests/"+erasure+"/decision", n.Admin.Token,
			map[string]any{"carry_out": true, "reason": "No hold."}), http.StatusOK)

		// Text is still refused: it could not be kept.
		n.do(t, http.MethodPost, "/v1/clients/"+client+"/unlock-requests", n.TeamManager.Token,
			map[string]any{"reason": "The risk has passed."}).problem(t, http.StatusConflict)
		if viaReview {
			want(t, n.do(t, http.MethodPost, "/v1/clients/"+client+"/lock-reviews", n.TeamManager.Token,
				map[string]any{"keep_locked": false, "notes": ""}), http.StatusCreated)
		} else {
			want(t, n.do(t, http.MethodPost, "/v1/clients/"+client+"/unlock-requests", n.TeamManager.Token,
				map[string]any{"reason": ""}), http.StatusCreated)
		}
		reqs := n.do(t, http.MethodGet, "/v1/lock-requests", sam.Token, nil).JSON["requests"].([]any)
		if len(reqs) != 1 {
			t.Fatalf("via review %v: %d requests waiting, want the unlock request", viaReview, len(reqs))
		}
		unlock := reqs[0].(map[string]any)["id"].(string)
		want(t, n.do(t, http.MethodPost, "/v1/lock-requests/"+unlock+"/decision", sam.Token, map[string]any{"approve": true}), http.StatusOK)
		if cases := n.do(t, http.MethodGet, "/v1/locked-cases", sam.Token, nil).JSON["cases"].([]any); len(cases) != 0 {
			t.Fatalf("via review %v: still locked after the unlock was approved: %v", viaReview, cases)
		}
	}
}
