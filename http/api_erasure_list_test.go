package http

import (
	"net/http"
	"testing"
)

// TestErasureRequestsWaiting_PRIV2: GET /v1/erasure-requests lists the
// requests waiting for the coordinator's decision, oldest first, with who
// passed each on and never the reason; a decided request leaves the list;
// anyone but the coordinator is refused, and a status other than
// "requested" is invalid.
func TestErasureRequestsWaiting_PRIV2(t *testing.T) {
	n := newNetwork(t)
	client := n.clientOf(t, n.Referral)
	first := want(t, n.requestErasure(t, n.AdviserA.Token, client, "Asked by phone."), http.StatusCreated).str("id")
	second := want(t, n.requestErasure(t, n.AdviserB.Token, client, "Asked again, in writing."), http.StatusCreated).str("id")

	list := func() []map[string]any {
		t.Helper()
		r := want(t, n.do(t, http.MethodGet, "/v1/erasure-requests?status=requested", n.Admin.Token, nil), http.StatusOK)
		var out []map[string]any
		for _, it := range r.get("erasure_requests").([]any) {
			out = append(out, it.(map[string]any))
		}
		return out
	}
	got := list()
	if len(got) != 2 || got[0]["id"] != first || got[1]["id"] != second {
		t.Fatalf("waiting %v, want %s then %s", got, first, second)
	}
	if got[0]["client_id"] != client || got[0]["organisation_id"] != n.OrgA || got[0]["requested_by"] != n.AdviserA.ID ||
		got[0]["status"] != "requested" || got[0]["client_erased"] != false || got[1]["organisation_id"] != n.OrgB {
		t.Errorf("item %v", got[0])
	}
	if _, ok := got[0]["reason"]; ok {
		t.Error("the list shows the request's reason")
	}

	want(t, n.decideErasure(t, n.Admin.Token, first, false, "A legal hold."), http.StatusOK)
	if got := list(); len(got) != 1 || got[0]["id"] != second {
		t.Fatalf("after refusing the first, waiting %v", got)
	}
	want(t, n.decideErasure(t, n.Admin.Token, second, true, ""), http.StatusOK)
	if got := list(); len(got) != 0 {
		t.Fatalf("after carrying out the second, waiting %v", got)
	}

	for _, u := range []testUser{n.AdviserA, n.LeadB, n.Auditor} {
		n.do(t, http.MethodGet, "/v1/erasure-requests", u.Token, nil).problem(t, http.StatusForbidden)
	}
	n.do(t, http.MethodGet, "/v1/erasure-requests?status=refused", n.Admin.Token, nil).invalid(t, "status")
}
