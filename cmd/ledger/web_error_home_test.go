package main

import (
	"net/http"
	"strings"
	"testing"
)

// TestWebErrorPageLinksToOwnStart_UI2: the error page's way on is the
// user's own first page, one their navigation has: an auditor is not sent
// to "your incoming referrals", which is an adviser's page.
func TestWebErrorPageLinksToOwnStart_UI2(t *testing.T) {
	n := newSearchNetwork(t)
	missing := "/referrals/00000000-0000-4000-8000-0000000000ab"
	auditor := n.signedIn(t, "audrey", auditorPassword)
	p := auditor.get(missing)
	wantStatus(t, p, http.StatusNotFound, "Page not found")
	if strings.Contains(p.body, `href="/incoming">Go to`) || !strings.Contains(p.body, `href="/search">Go to Search`) {
		t.Errorf("the auditor's error page leads elsewhere than their first page:\n%s", p.body)
	}
	ann := n.signedIn(t, "ann", annPassword)
	wantStatus(t, ann.get(missing), http.StatusNotFound, `href="/incoming">Go to Incoming`)
}
