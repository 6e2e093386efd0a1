package http

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestWebFindAClient_UI1_REF14: an adviser finds a client their own
// organisation already referred by name and date of birth, as POST
// /v1/clients/search answers them, with each referral linked, from a form
// that posts (no client data in a web address); another organisation's
// adviser finds nothing of it; a helpdesk user, whom the API refuses, is
// refused the page and not offered it, nor is the coordinating body,
// which refers nobody; a form without a date of birth
// comes back with the error.
func TestWebFindAClient_UI1_REF14(t *testing.T) {
	n := newNetwork(t, withWebPages())
	body := map[string]any{"name": "Client Zero", "date_of_birth": "1980-02-29"}
	api := want(t, n.do(t, http.MethodPost, "/v1/clients/search", n.AdviserA.Token, body), http.StatusOK)
	if clients, _ := api.JSON["clients"].([]any); len(clients) != 1 {
		t.Fatalf("the API finds %v", api.JSON)
	}
	ref := n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserA.Token, nil).str("reference")

	a := n.web(t, n.AdviserA)
	wantPage(t, a.get("/search"), http.StatusOK, `href="/find-a-client"`)
	wantPage(t, a.get("/find-a-client"), http.StatusOK, `<form method="post" action="/find-a-client"`)
	found := a.post("/find-a-client", url.Values{"client-name": {"Client Zero"}, "client-dob": {"29 2 1980"}})
	wantPage(t, found, http.StatusOK, `href="/referrals/`+n.Referral+`"`, ref)

	missing := a.post("/find-a-client", url.Values{"client-name": {"Client Zero"}})
	wantPage(t, missing, http.StatusUnprocessableEntity, "There is a problem", "Enter the client&#39;s date of birth")
	wrong := a.post("/find-a-client", url.Values{"client-name": {""}, "client-dob": {"31 2 1980"}})
	wantPage(t, wrong, http.StatusUnprocessableEntity, "Enter the client&#39;s full name", "Enter a real date of birth")

	// Another organisation's adviser: the API finds nothing, nor does the page.
	other := n.AdviserC
	if clients, _ := want(t, n.do(t, http.MethodPost, "/v1/clients/search", other.Token, body), http.StatusOK).JSON["clients"].([]any); len(clients) != 0 {
		t.Fatalf("the API finds another organisation's client: %v", clients)
	}
	none := n.web(t, other).post("/find-a-client", url.Values{"client-name": {"Client Zero"}, "client-dob": {"29 2 1980"}})
	wantPage(t, none, http.StatusOK, "has not referred a client")
	if strings.Contains(none.body, n.Referral) {
		t.Errorf("another organisation's referral is shown:\n%s", none.body)
	}

	// Helpdesk: refused by the API and the page, and not offered it.
	want(t, n.do(t, http.MethodPost, "/v1/clients/search", n.HelpdeskB.Token, body), http.StatusForbidden)
	h := n.web(t, n.HelpdeskB)
	wantPage(t, h.get("/find-a-client"), http.StatusForbidden)
	if page := h.get("/search"); strings.Contains(page.body, "/find-a-client") {
		t.Errorf("helpdesk is offered a page that refuses them:\n%s", page.body)
	}
	// The coordinator (also the coordinating body's lead), whose
	// organisation refers nobody, is not offered it.
	if page := n.web(t, n.Admin).get("/search"); strings.Contains(page.body, "/find-a-client") {
		t.Errorf("the coordinator is offered to find clients their organisation referred:\n%s", page.body)
	}
}
