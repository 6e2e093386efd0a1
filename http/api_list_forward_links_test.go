package http

import (
	"net/http"
	"testing"
)

// TestListsLinkForwardedReferrals_REF10 covers R-REF-10 in the lists
// (R-VIEW-1, R-VIEW-2 and the search): a forwarded referral carries
// forwarded_to and the referral it created forwarded_from, as API.md says
// of every referral and as GET /v1/referrals/{id} shows them; a referral
// that was not forwarded has both null.
func TestListsLinkForwardedReferrals_REF10(t *testing.T) {
	n := newNetwork(t)
	plain := n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client Plain")
	r := want(t, n.do(t, http.MethodPost, lifecyclePath(n.Referral, "forward"), n.AdviserB.Token, forwardBody(n.OrgC)), http.StatusCreated)
	created := r.str("id")

	find := func(path, token, id string) map[string]any {
		t.Helper()
		var l struct {
			Referrals []map[string]any `json:"referrals"`
		}
		decodeInto(t, want(t, n.do(t, http.MethodGet, path, token, nil), http.StatusOK), &l)
		for _, item := range l.Referrals {
			if item["id"] == id {
				return item
			}
		}
		t.Fatalf("%s does not list %s", path, id)
		return nil
	}
	links := func(what string, item map[string]any, to, from any) {
		t.Helper()
		for _, k := range []string{"forwarded_to", "forwarded_from"} {
			if _, ok := item[k]; !ok {
				t.Errorf("%s: the item has no %s: %v", what, k, item)
			}
		}
		if item["forwarded_to"] != to || item["forwarded_from"] != from {
			t.Errorf("%s: forwarded_to %v, forwarded_from %v; want %v, %v", what, item["forwarded_to"], item["forwarded_from"], to, from)
		}
	}
	links("the receiver's inbox, forwarded", find("/v1/inbox?status=forwarded", n.AdviserB.Token, n.Referral), created, nil)
	links("the referrer's outbox", find("/v1/outbox", n.AdviserA.Token, n.Referral), created, nil)
	links("the forwarder's outbox", find("/v1/outbox", n.AdviserB.Token, created), nil, n.Referral)
	links("the new receiver's inbox", find("/v1/inbox", n.AdviserC.Token, created), nil, n.Referral)
	links("the search", find("/v1/referrals?status=forwarded", n.Admin.Token, n.Referral), created, nil)
	links("a referral not forwarded", find("/v1/inbox", n.AdviserB.Token, plain), nil, nil)
}
