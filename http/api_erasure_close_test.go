package http

import (
	"net/http"
	"testing"
)

// TestErasedReferralStillCloses_PRIV3: a referral still open when its
// client's data is erased can be acknowledged and closed with its outcome —
// no comment can be kept, since it would be client-linked free text — so
// it does not stay open and overdue for ever.
func TestErasedReferralStillCloses_PRIV3(t *testing.T) {
	n := newNetwork(t)
	client := n.clientOf(t, n.Referral)
	n.erase(t, client, "client asked")
	path := "/v1/referrals/" + n.Referral
	want(t, n.do(t, http.MethodPost, path+"/acknowledgement", n.AdviserB.Token, map[string]any{}), http.StatusOK)
	head := n.head(t)
	if r := n.do(t, http.MethodPost, path+"/closure", n.AdviserB.Token, map[string]any{"outcome": "negative", "comment": "moved away"}); r.Status != http.StatusConflict {
		t.Fatalf("closing with a comment after erasure: %d %s", r.Status, r.Body)
	}
	if n.head(t) != head {
		t.Fatal("a refused closure wrote something")
	}
	r := want(t, n.do(t, http.MethodPost, path+"/closure", n.AdviserB.Token, map[string]any{"outcome": "negative"}), http.StatusOK)
	if r.str("status") != "closed" || r.str("outcome") != "negative" || r.get("comment") != nil || r.get("erased") != true {
		t.Fatalf("closure after erasure: %s", r.Body)
	}
}
