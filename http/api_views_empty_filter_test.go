package http

import (
	"net/http"
	"slices"
	"testing"
)

// TestListsTakeAnEmptyFilterAsNone_VIEW1: a form with a filter left blank
// sends it empty (?status=); search took that as no filter while the inbox
// and outbox answered 422. Now every referral list takes an empty filter
// as none (R-VIEW-1, R-VIEW-2), as search does; a filter given twice, or
// a value that is no status, is still refused.
func TestListsTakeAnEmptyFilterAsNone_VIEW1(t *testing.T) {
	n := newNetwork(t)
	n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client Blank")
	want(t, n.do(t, http.MethodPost, "/v1/referrals/"+n.Referral+"/acknowledgement", n.AdviserB.Token, map[string]any{}), http.StatusOK)
	for _, tc := range []struct {
		name, token, path, query, same string
	}{
		{"InboxStatus", n.AdviserB.Token, "/v1/inbox", "?status=", ""},
		{"InboxAssigned", n.AdviserB.Token, "/v1/inbox", "?assigned=", ""},
		{"InboxBoth", n.AdviserB.Token, "/v1/inbox", "?status=&assigned=&limit=50", ""},
		{"InboxStatusWithAssigned", n.AdviserB.Token, "/v1/inbox", "?status=&assigned=me", "?assigned=me"},
		{"OutboxStatus", n.AdviserA.Token, "/v1/outbox", "?status=", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := listedIDs(n.viewList(t, tc.token, tc.path+tc.query))
			all := listedIDs(n.viewList(t, tc.token, tc.path+tc.same))
			if !slices.Equal(got, all) {
				t.Errorf("%s%s lists %v; %s%s lists %v", tc.path, tc.query, got, tc.path, tc.same, all)
			}
			if tc.same == "" && len(all) < 2 {
				t.Errorf("%s lists %v: the comparison proves nothing", tc.path, all)
			}
		})
	}
	for _, path := range []string{"/v1/inbox", "/v1/outbox"} {
		n.do(t, http.MethodGet, path+"?status=&status=made", n.AdviserB.Token, nil).invalid(t, "status")
		n.do(t, http.MethodGet, path+"?status=lost", n.AdviserB.Token, nil).invalid(t, "status")
	}
}
