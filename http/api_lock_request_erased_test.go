package http

import (
	"net/http"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestLockRequestOfErasedClient_PRIV3: GET /v1/lock-requests/{id}, and
// the service manager's queue GET /v1/lock-requests, of a client since
// erased showed the request's reason, the client's free text that erasure
// destroyed, as an empty string, as if the team manager had given none.
// They now show it as every read shows erased data: null, with "erased":
// true; a request of a client not erased says "erased": false.
func TestLockRequestOfErasedClient_PRIV3(t *testing.T) {
	n := newNetwork(t)
	client := n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserB.Token, nil).str("client_id")
	sam := n.addUser(t, n.OrgB, "sam.b", domain.RoleServiceManager)
	loc := want(t, n.do(t, http.MethodPost, "/v1/clients/"+client+"/lock-requests", n.TeamManager.Token, map[string]any{
		"responsible_user_id": n.TeamManager.ID, "reason": "Staff member related."}), http.StatusCreated).Header.Get("Location")
	r := want(t, n.do(t, http.MethodGet, loc, n.TeamManager.Token, nil), http.StatusOK)
	if r.str("reason") != "Staff member related." || r.get("erased") != false {
		t.Fatalf("before the erasure: %s", r.Body)
	}
	want(t, n.do(t, http.MethodPost, loc+"/decision", sam.Token, map[string]any{"approve": true}), http.StatusOK)
	erasure := want(t, n.do(t, http.MethodPost, "/v1/clients/"+client+"/erasure-requests", n.TeamManager.Token,
		map[string]any{"reason": "The client asked."}), http.StatusCreated).str("id")
	want(t, n.do(t, http.MethodPost, "/v1/erasure-requests/"+erasure+"/decision", n.Admin.Token,
		map[string]any{"carry_out": true, "reason": "No hold."}), http.StatusOK)
	for _, user := range []testUser{n.TeamManager, sam} {
		r := want(t, n.do(t, http.MethodGet, loc, user.Token, nil), http.StatusOK)
		if r.get("reason") != nil || r.get("erased") != true {
			t.Errorf("%s reads the erased client's request as %s", user.Username, r.Body)
		}
	}
}

func TestLockRequestQueueOfErasedClient_PRIV3(t *testing.T) {
	n := newNetwork(t)
	client := n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserB.Token, nil).str("client_id")
	sam := n.addUser(t, n.OrgB, "sam.b", domain.RoleServiceManager)
	made := want(t, n.do(t, http.MethodPost, "/v1/clients/"+client+"/lock-requests", n.TeamManager.Token, map[string]any{
		"responsible_user_id": n.TeamManager.ID, "reason": "Staff member related."}), http.StatusCreated)
	queued := func() map[string]any {
		reqs := want(t, n.do(t, http.MethodGet, "/v1/lock-requests", sam.Token, nil), http.StatusOK).JSON["requests"].([]any)
		if len(reqs) != 1 {
			t.Fatalf("%d requests waiting, want 1", len(reqs))
		}
		return reqs[0].(map[string]any)
	}
	if q := queued(); q["reason"] != "Staff member related." || q["erased"] != false {
		t.Fatalf("before the erasure: %v", q)
	}
	erasure := want(t, n.do(t, http.MethodPost, "/v1/clients/"+client+"/erasure-requests", n.TeamManager.Token,
		map[string]any{"reason": "The client asked."}), http.StatusCreated).str("id")
	want(t, n.do(t, http.MethodPost, "/v1/erasure-requests/"+erasure+"/decision", n.Admin.Token,
		map[string]any{"carry_out": true, "reason": "No hold."}), http.StatusOK)
	if q := queued(); q["id"] != made.str("id") || q["reason"] != nil || q["erased"] != true {
		t.Errorf("the queue shows the erased client's request as %v", q)
	}
	r := want(t, n.do(t, http.MethodGet, made.Header.Get("Location"), n.TeamManager.Token, nil), http.StatusOK)
	if r.get("reason") != nil || r.get("erased") != true {
		t.Errorf("the team manager reads the erased client's waiting request as %s", r.Body)
	}
}
