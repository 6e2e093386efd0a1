package http

import (
	"net/http"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/config"
)

// TestBodyOfABodilessMethodIsIgnored: a GET or DELETE takes no request
// body and ignores one sent anyway, but one declared over the body limit
// was refused with 413 before anything else, an answer the API document
// declares for no GET or DELETE (nor /healthz): a client or proxy that
// sends one got a status the contract does not have. The body of a method
// that takes none is ignored whatever its size, as a small one is; a POST,
// PUT or PATCH over the limit is still 413.
func TestBodyOfABodilessMethodIsIgnored(t *testing.T) {
	n := newNetwork(t)
	big := jsonText(`{"x":"` + strings.Repeat("a", int(config.Default().HTTP.MaxBodyBytes)) + `"}`)
	want(t, n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserA.Token, big), http.StatusOK)
	want(t, n.do(t, http.MethodGet, "/v1/referrals", n.AdviserA.Token, big), http.StatusOK)
	want(t, n.do(t, http.MethodHead, "/v1/referrals", n.AdviserA.Token, big), http.StatusOK)
	want(t, n.do(t, http.MethodGet, "/healthz", "", big), http.StatusOK)
	want(t, n.do(t, http.MethodDelete, "/v1/organisations/"+n.OrgB+"/users/"+n.HelpdeskB.ID, n.LeadB.Token, big), http.StatusNoContent)
	// A body where one is taken is still held to the limit.
	before := n.head(t)
	n.do(t, http.MethodPost, "/v1/referrals/"+n.Referral+"/notes", n.AdviserA.Token, big).problem(t, http.StatusRequestEntityTooLarge)
	n.do(t, http.MethodPatch, "/v1/organisations/"+n.OrgA, n.LeadA.Token, big).problem(t, http.StatusRequestEntityTooLarge)
	if after := n.head(t); after != before {
		t.Errorf("a refused body wrote to the ledger (head %v, then %v)", before, after)
	}
}
