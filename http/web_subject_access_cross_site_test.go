package http

import (
	"net/http"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestWebSubjectAccessFromAnotherSiteAsksFirst_PRIV6_LOCK9: a subject
// access export records itself in the coordinator's name, and the session
// cookie goes with a link followed from another site (SameSite=Lax). So
// the export page and its download, opened from another site, export
// nothing: they ask first, with a form only this site can send, and that
// form exports as the page would. Opened from the ledger's own pages, or
// typed in, they export at once, as before (R-PRIV-6, R-LOCK-9).
func TestWebSubjectAccessFromAnotherSiteAsksFirst_PRIV6_LOCK9(t *testing.T) {
	n := newNetwork(t, withWebPages())
	client := n.clientOf(t, n.Referral)
	admin := n.web(t, n.Admin)
	page := "/clients/" + client + "/subject-access"
	exports := func() int { return n.countEvents(t, domain.ClientSubjectAccessExportedType) }

	for _, path := range []string{page, page + ".json"} {
		for _, site := range []string{"cross-site", "same-site"} {
			res := want(t, n.do(t, http.MethodGet, path, "", nil, "Cookie", "ledger_session="+n.Admin.Token,
				"Sec-Fetch-Site", site), http.StatusOK)
			body := string(res.Body)
			if c := exports(); c != 0 {
				t.Fatalf("%s opened from a %s link recorded %d exports", path, site, c)
			}
			if !strings.Contains(body, "Export everything held about this client") ||
				!strings.Contains(body, `<form method="post" action="`+page+`"`) {
				t.Fatalf("%s opened from a %s link does not ask first:\n%s", path, site, body)
			}
		}
	}

	// The form it shows exports, as the page does.
	shown := admin.post(page, nil)
	wantPage(t, shown, http.StatusOK, "Everything held about the client")
	if c := exports(); c != 1 {
		t.Fatalf("the form sent recorded %d exports, want 1", c)
	}
	// From the ledger's own pages, or typed in, it exports at once.
	for _, site := range []string{"same-origin", "none", ""} {
		before := exports()
		headers := []string{"Cookie", "ledger_session=" + n.Admin.Token}
		if site != "" {
			headers = append(headers, "Sec-Fetch-Site", site)
		}
		res := want(t, n.do(t, http.MethodGet, page, "", nil, headers...), http.StatusOK)
		if body := string(res.Body); !strings.Contains(body, "Everything held about the client") {
			t.Fatalf("opened with Sec-Fetch-Site %q, the page does not show the export:\n%s", site, body)
		}
		if c := exports(); c != before+1 {
			t.Fatalf("opened with Sec-Fetch-Site %q, %d exports recorded, want 1", site, c-before)
		}
	}
}
