package http

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestWebErasureDecidedTwiceInWords_PRIV2_UI2: a decision sent twice
// (the button pressed again, or Back and send) is refused saying in words
// what became of the request, not the ledger's status code.
func TestWebErasureDecidedTwiceInWords_PRIV2_UI2(t *testing.T) {
	n := newNetwork(t, withWebPages())
	req := want(t, n.requestErasure(t, n.AdviserA.Token, n.clientOf(t, n.Referral), "The client asked."), http.StatusCreated).str("id")
	admin := n.pagesAs(t, n.Admin.Token)
	decide := url.Values{"decision": {"carry-out"}, "confirm": {"yes"}}
	showing(t, admin.follow(admin.post("/erasure-requests/"+req, decide)), http.StatusOK, "Erasure carried out")
	page := showing(t, admin.post("/erasure-requests/"+req, decide), http.StatusConflict,
		"This erasure request was already carried out. Nothing more was done.")
	if strings.Contains(page, "carried_out") {
		t.Error("the refusal shows the ledger's status code")
	}
}

// TestWebStatisticsPeriodErrorInWords_STAT5_UI2: a period that ends
// before it starts is refused naming the form's fields in words, not the
// API's parameter ("from").
func TestWebStatisticsPeriodErrorInWords_STAT5_UI2(t *testing.T) {
	n := newNetwork(t, withWebPages())
	page := showing(t, n.pagesAs(t, n.Admin.Token).get("/statistics?from=2026-05&to=2026-03"), http.StatusUnprocessableEntity,
		`href="#to-month"`, "The last month must not be before the first month.")
	if strings.Contains(page, "before from") {
		t.Error("the error names the API's parameter")
	}
}
