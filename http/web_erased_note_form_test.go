package http

import (
	"net/http"
	"strings"
	"testing"
)

// TestWebErasedReferralOffersNoNote_PRIV3: once the client's data is
// erased the ledger keeps no note on their referral (its text would be
// theirs), so the referral's page no longer offers the note form, whose
// every sending was refused; it says why instead, as the withdraw and
// decline forms do.
func TestWebErasedReferralOffersNoNote_PRIV3(t *testing.T) {
	n := newNetwork(t, withWebPages())
	client := n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserB.Token, nil).str("client_id")
	for _, u := range []testUser{n.AdviserA, n.AdviserB} {
		if p := n.web(t, u).get("/referrals/" + n.Referral); !strings.Contains(p.body, `action="/referrals/`+n.Referral+`/notes"`) {
			t.Fatalf("no note form before erasure:\n%s", p.body)
		}
	}
	req := want(t, n.do(t, http.MethodPost, "/v1/clients/"+client+"/erasure-requests", n.AdviserB.Token,
		map[string]any{"reason": "The client asked."}), http.StatusCreated).str("id")
	want(t, n.do(t, http.MethodPost, "/v1/erasure-requests/"+req+"/decision", n.Admin.Token,
		map[string]any{"carry_out": true, "reason": "No hold."}), http.StatusOK)
	n.do(t, http.MethodPost, "/v1/referrals/"+n.Referral+"/notes", n.AdviserB.Token, map[string]any{"text": "x"}).problem(t, http.StatusConflict)
	for _, u := range []testUser{n.AdviserA, n.AdviserB} {
		p := n.web(t, u).get("/referrals/" + n.Referral)
		wantPage(t, p, http.StatusOK, "so no note can be kept")
		if strings.Contains(p.body, `action="/referrals/`+n.Referral+`/notes"`) {
			t.Errorf("%s is offered a note form on a referral whose client's data is erased", u.Username)
		}
	}
}
