package http

import (
	"net/http"
	"testing"
)

// TestWebErasureAskTitleIsItsHeading_UI2: the page that passes on a
// client's request to be erased is titled as its heading says, in the
// same words ("details", the word every erasure page uses), so the
// browser's tab and a screen reader's page list name the page as it
// reads (R-UI-2, WCAG 2.4.2).
func TestWebErasureAskTitleIsItsHeading_UI2(t *testing.T) {
	n := newNetwork(t, withWebPages())
	client := n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserB.Token, nil).str("client_id")
	wantPage(t, n.web(t, n.AdviserB).get("/clients/"+client+"/erasure-request?referral="+n.Referral), http.StatusOK,
		"<title>Ask for a client&#39;s details to be erased – Referral ledger</title>",
		`<h1 class="heading-l">Ask for a client's details to be erased</h1>`)
}
