package http

import (
	"net/http"
	"testing"
)

// TestDecidedRequestDecidedAgain_LOCK6 decides lock and unlock requests a
// second time: however the first decision went (approved or refused), the
// second is a domain conflict, 409, as for a lock request approved twice,
// and records nothing; someone kept out of the case still gets the 404 of
// a request that does not exist (R-LOCK-6, R-LOCK-10, R-LOCK-12).
func TestDecidedRequestDecidedAgain_LOCK6(t *testing.T) {
	n := newLockNet(t)
	decide := func(u testUser, request string, approve bool) *response {
		t.Helper()
		return n.do(t, http.MethodPost, "/v1/lock-requests/"+request+"/decision", u.Token,
			map[string]any{"approve": approve, "reason": "the review board said so"})
	}
	again := func(what, request string) {
		t.Helper()
		before := n.head(t)
		for _, approve := range []bool{true, false} {
			r := decide(n.ServiceManager, request, approve)
			if r.Status != http.StatusConflict {
				t.Fatalf("%s decided again (approve %v): %d %s, want 409", what, approve, r.Status, r.Body)
			}
			if p := r.problem(t, http.StatusConflict); p.Detail == "" {
				t.Fatalf("%s decided again: a conflict without detail: %s", what, r.Body)
			}
			if r := decide(n.AdviserC, request, approve); r.Status != http.StatusNotFound {
				t.Fatalf("%s decided again by someone outside the case: %d %s, want 404", what, r.Status, r.Body)
			}
		}
		if after := n.head(t); after != before {
			t.Fatalf("%s decided again recorded something: head %d → %d", what, before, after)
		}
	}

	// A lock request refused, then decided again.
	req := want(t, n.do(t, http.MethodPost, "/v1/clients/"+n.Client+"/lock-requests", n.TeamManager.Token,
		map[string]any{"responsible_user_id": n.AdviserB.ID, "reason": "a related member of staff"}), http.StatusCreated).str("id")
	want(t, decide(n.ServiceManager, req, false), http.StatusOK)
	again("a refused lock request", req)

	// A lock approved; an unlock request refused, then decided again.
	n.lock(t, n.Client, nil)
	unlock := func() string {
		return want(t, n.do(t, http.MethodPost, "/v1/clients/"+n.Client+"/unlock-requests", n.TeamManager.Token,
			map[string]any{"reason": "no longer needed"}), http.StatusCreated).str("id")
	}
	refused := unlock()
	want(t, decide(n.ServiceManager, refused, false), http.StatusOK)
	again("a refused unlock request", refused)

	// An unlock request approved, then decided again.
	approved := unlock()
	want(t, decide(n.ServiceManager, approved, true), http.StatusOK)
	again("an approved unlock request", approved)
}
