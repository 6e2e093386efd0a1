package http

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

// TestCursorOfOtherFiltersRefused_VIEW1_VIEW2_VIEW3: a list's next cursor
// continues the list it came from, filters and all (API.md "Lists are
// paginated"; the next parameter is "the next value of the previous page,
// unchanged"). Sent with other filters, it would silently skip whatever
// the new filters put before it, so it is refused, 400 naming next, in the
// inbox (R-VIEW-1), the outbox (R-VIEW-2), the overdue list (R-VIEW-3)
// and the search; with the same filters it still gives the next page.
func TestCursorOfOtherFiltersRefused_VIEW1_VIEW2_VIEW3(t *testing.T) {
	n := newNetwork(t)
	for range 3 {
		n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client Page")
	}
	// One of B's referrals is assigned to adviser B, and is the last of
	// the inbox by deadline, so the assigned list's cursor sits past
	// every unassigned referral of the whole inbox.
	var inbox referralListBody
	decodeInto(t, want(t, n.do(t, http.MethodGet, "/v1/inbox", n.AdviserB.Token, nil), http.StatusOK), &inbox)
	if len(inbox.Referrals) != 4 {
		t.Fatalf("inbox has %d referrals, want 4", len(inbox.Referrals))
	}
	last := inbox.Referrals[3].ID
	want(t, n.do(t, http.MethodPost, lifecyclePath(last, "assignment"), n.AdviserB.Token, map[string]any{"user_id": n.AdviserB.ID}), http.StatusOK)
	mine := n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client Page")
	want(t, n.do(t, http.MethodPost, lifecyclePath(mine, "assignment"), n.AdviserB.Token, map[string]any{"user_id": n.AdviserB.ID}), http.StatusOK)
	n.Clock.Advance(30 * 24 * time.Hour) // everything overdue

	tests := []struct {
		name, path, token string
		first, changed    string // the query of the first page, and other filters
	}{
		{"InboxAssigned", "/v1/inbox", n.AdviserB.Token, "assigned=me", ""},
		{"InboxStatus", "/v1/inbox", n.AdviserB.Token, "status=made", "status=acknowledged"},
		{"OutboxStatus", "/v1/outbox", n.AdviserA.Token, "status=made", ""},
		{"Search", "/v1/referrals", n.AdviserA.Token, "to_organisation_id=" + n.OrgB, "to_organisation_id=" + n.OrgC},
		{"OverdueOrganisation", "/v1/overdue", n.Admin.Token, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := func(query, next string) *response {
				q, _ := url.ParseQuery(query)
				q.Set("limit", "1")
				if next != "" {
					q.Set("next", next)
				}
				return n.do(t, http.MethodGet, tt.path+"?"+q.Encode(), tt.token, nil)
			}
			next := want(t, page(tt.first, ""), http.StatusOK).str("next")
			if next == "" {
				t.Fatalf("the first page of %s?%s has no next", tt.path, tt.first)
			}
			want(t, page(tt.first, next), http.StatusOK) // the same filters: the next page
			if tt.name == "OverdueOrganisation" {
				// The same list seen by an org lead is limited to their
				// organisation: another list.
				q := url.Values{"limit": {"1"}, "next": {next}}
				n.do(t, http.MethodGet, tt.path+"?"+q.Encode(), n.LeadA.Token, nil).problem(t, http.StatusBadRequest)
				return
			}
			p := page(tt.changed, next).problem(t, http.StatusBadRequest)
			if !p.hasField("next") {
				t.Errorf("400 does not name next: %+v", p)
			}
		})
	}
}
