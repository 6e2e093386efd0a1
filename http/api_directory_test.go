package http

import (
	"net/http"
	"testing"
)

// TestDirectoryListsServices_VIEW4: the directory lists the organisations
// signed up to take referrals, with their services and whether they accept
// referrals now; the network's coordinating body is not among them.
func TestDirectoryListsServices_VIEW4(t *testing.T) {
	n := newNetwork(t)
	r := want(t, n.do(t, http.MethodGet, "/v1/directory", n.AdviserA.Token, nil), http.StatusOK)
	var body struct {
		Organisations []struct {
			ID                 string `json:"id"`
			AcceptingReferrals bool   `json:"accepting_referrals"`
		} `json:"organisations"`
	}
	decodeInto(t, r, &body)
	seen := map[string]bool{}
	for _, o := range body.Organisations {
		seen[o.ID] = o.AcceptingReferrals
	}
	if len(body.Organisations) != 3 || !seen[n.OrgA] || !seen[n.OrgB] || !seen[n.OrgC] {
		t.Fatalf("directory = %s, want exactly A, B and C accepting", r.Body)
	}
	if _, ok := seen[n.CoordinatorOrg]; ok {
		t.Fatal("the coordinating body is listed as a service")
	}
}
