package http

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestWebErasureRequestOfErasedClientRefusedWithoutReason_PRIV2_PRIV3: the
// decision page of a request whose client was erased since it was asked
// asks for no reason (none can be kept), and refusing it there closes it;
// before, the page required a reason the ledger then refused to keep, and
// the request waited for ever.
func TestWebErasureRequestOfErasedClientRefusedWithoutReason_PRIV2_PRIV3(t *testing.T) {
	n := newNetwork(t, withWebPages())
	client := n.clientOf(t, n.Referral)
	carried := want(t, n.requestErasure(t, n.AdviserA.Token, client, "Asked by phone."), http.StatusCreated).str("id")
	waiting := want(t, n.requestErasure(t, n.AdviserB.Token, client, "Asked in writing."), http.StatusCreated).str("id")
	want(t, n.decideErasure(t, n.Admin.Token, carried, true, ""), http.StatusOK)

	admin := n.web(t, n.Admin)
	decision := "/erasure-requests/" + waiting
	page := admin.get(decision)
	wantPage(t, page, http.StatusOK, "Refuse")
	if strings.Contains(page.body, `name="decision-reason"`) {
		t.Errorf("the page asks for a reason that cannot be kept:\n%s", page.body)
	}
	check := admin.post(decision, formOf(t, page.body, decision, url.Values{"decision": {"refuse"}}))
	wantPage(t, check, http.StatusOK, "Yes, refuse the erasure")
	done := admin.post(decision, formOf(t, check.body, decision, nil))
	if done.status == http.StatusSeeOther {
		done = admin.follow(done)
	}
	wantPage(t, done, http.StatusOK, "The erasure was refused.")
	r := want(t, n.do(t, http.MethodGet, "/v1/erasure-requests/"+waiting, n.Admin.Token, nil), http.StatusOK)
	if r.str("status") != "refused" {
		t.Fatalf("request after the page's refusal: %s", r.Body)
	}
}
