package http

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestWebFindFormsPutNoTypedTextInTheAddress_PRIV7_UI1: the forms that
// find a referral by its reference (the box at the top of every page, the
// find page and the search page), and the coordinator's that opens a
// client's subject access by their id, are posted, so what someone types in
// them, which may be a client's name typed by mistake, never goes into a
// web address (browser history, a shared link, the sign-in page's way
// back): a reference found is then opened, or its results shown, at an
// address that holds the reference alone; text that is not one comes back
// on the page with the error and what was typed, in the page only
// (R-PRIV-7, as POST /v1/clients/search is a POST; R-UI-1).
func TestWebFindFormsPutNoTypedTextInTheAddress_PRIV7_UI1(t *testing.T) {
	n := newNetwork(t, withWebPages())
	ref := n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserA.Token, nil).str("reference")
	w := n.web(t, n.AdviserA)
	for page, form := range map[string]string{"/incoming": `<form method="post" action="/find" class="search"`,
		"/find": `<form method="post" action="/find" novalidate>`, "/search": `<form method="post" action="/search"`} {
		wantPage(t, w.get(page), http.StatusOK, form)
	}
	const name = "Client Zero"
	for _, path := range []string{"/find", "/search"} {
		p := w.post(path, url.Values{"reference": {name}})
		wantPage(t, p, http.StatusUnprocessableEntity, "Enter a reference like 7KQ4-M2XD", `value="`+name+`"`, `href="#reference"`)
		if p.location != "" {
			t.Errorf("POST %s with a name went to %q", path, p.location)
		}
	}
	// A reference found: the referral opens, at an address with the
	// reference alone.
	p := w.post("/find", url.Values{"reference": {strings.ToLower(strings.ReplaceAll(ref, "-", ""))}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("POST /find with a reference: %d\n%s", p.status, p.body)
	}
	wantPage(t, w.follow(p), http.StatusOK, ref)
	p = w.post("/search", url.Values{"reference": {ref}, "status": {"made"}, "from": {""}, "to": {""}, "made-from": {""}, "made-to": {""}})
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/search?") || strings.Contains(p.location, "made-from") {
		t.Fatalf("POST /search: %d to %q\n%s", p.status, p.location, p.body)
	}
	wantPage(t, w.follow(p), http.StatusOK, ref)
	// Links to the results, which hold a reference alone, still open.
	wantPage(t, w.follow(w.get("/find?reference="+ref)), http.StatusOK, ref)

	// The coordinator's subject access asks for a client id, never a
	// name: one typed there stays out of the address too.
	admin := n.web(t, n.Admin)
	wantPage(t, admin.get("/subject-access"), http.StatusOK, `<form method="post" action="/subject-access" novalidate>`)
	p = admin.post("/subject-access", url.Values{"client": {name}})
	wantPage(t, p, http.StatusUnprocessableEntity, "Enter the client&#39;s id", `value="`+name+`"`, `href="#client"`)
	client := n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserA.Token, nil).str("client_id")
	if p = admin.post("/subject-access", url.Values{"client": {client}}); p.location != "/clients/"+client+"/subject-access" {
		t.Fatalf("POST /subject-access with a client id: %d to %q", p.status, p.location)
	}
}
