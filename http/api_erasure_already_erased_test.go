package http

import (
	"net/http"
	"testing"
)

// TestErasureRequestOfErasedClientIsRefusedWithoutReason_PRIV2_PRIV3: a
// request still waiting when its client's data is erased (by another
// request, or retention) can only be refused, and a reason, client-linked
// free text, can no longer be kept: refusing it with a reason is 409 and
// writes nothing; refusing it without one is recorded, and the request
// leaves the coordinator's waiting list. Before, every refusal was 409 and
// the request waited for ever.
func TestErasureRequestOfErasedClientIsRefusedWithoutReason_PRIV2_PRIV3(t *testing.T) {
	n := newNetwork(t)
	client := n.clientOf(t, n.Referral)
	carried := want(t, n.requestErasure(t, n.AdviserA.Token, client, "Asked by phone."), http.StatusCreated).str("id")
	waiting := want(t, n.requestErasure(t, n.AdviserB.Token, client, "Asked in writing."), http.StatusCreated).str("id")
	want(t, n.decideErasure(t, n.Admin.Token, carried, true, ""), http.StatusOK)

	listed := func() []any {
		t.Helper()
		r := want(t, n.do(t, http.MethodGet, "/v1/erasure-requests", n.Admin.Token, nil), http.StatusOK)
		items, _ := r.get("erasure_requests").([]any)
		return items
	}
	if got := listed(); len(got) != 1 || got[0].(map[string]any)["id"] != waiting || got[0].(map[string]any)["client_erased"] != true {
		t.Fatalf("waiting %v, want %s with client_erased true", got, waiting)
	}

	before := n.head(t)
	// Without carry_out it is still the 422 naming carry_out, as for any request.
	n.do(t, http.MethodPost, "/v1/erasure-requests/"+waiting+"/decision", n.Admin.Token,
		map[string]any{}).invalid(t, "carry_out")
	n.decideErasure(t, n.Admin.Token, waiting, false, "Already erased.").problem(t, http.StatusConflict)
	n.decideErasure(t, n.Admin.Token, waiting, true, "").problem(t, http.StatusConflict)
	if after := n.head(t); after != before {
		t.Fatalf("refused decisions appended events: head %d → %d", before, after)
	}

	r := want(t, n.decideErasure(t, n.Admin.Token, waiting, false, ""), http.StatusOK)
	if r.str("id") != waiting || r.str("client_id") != client || r.str("status") != "refused" {
		t.Fatalf("refusal body: %s", r.Body)
	}
	if got := listed(); len(got) != 0 {
		t.Fatalf("after refusing, still waiting: %v", got)
	}
	g := want(t, n.do(t, http.MethodGet, "/v1/erasure-requests/"+waiting, n.Admin.Token, nil), http.StatusOK)
	if g.str("status") != "refused" {
		t.Errorf("request after refusal: %s", g.Body)
	}
	n.decideErasure(t, n.Admin.Token, waiting, false, "").problem(t, http.StatusConflict)
	if wrapped, tomb := keyRow(t, n.Dir, client); wrapped != nil || !tomb {
		t.Errorf("key row %v, tombstone %v; want none and a tombstone", wrapped != nil, tomb)
	}
	// A client not erased still needs a reason to refuse.
	other := n.clientOf(t, n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client Kept"))
	req := want(t, n.requestErasure(t, n.AdviserA.Token, other, "Asked by phone."), http.StatusCreated).str("id")
	n.decideErasure(t, n.Admin.Token, req, false, "").invalid(t, "reason")
}
