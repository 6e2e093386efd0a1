package http

import (
	"net/http"
	"testing"
)

// TestIfMatchOnAccountsAndRenames_LEDGER2_Issue16: adding an account and
// renaming an organisation also reserve a username or a name, each in a
// stream of its own, but the If-Match sent names the organisation's
// revision (its ETag; an account is part of its organisation's stream).
// Sent current, the write goes through: 201 for the account, 200 for the
// rename, which releases the old name. Sent stale, it is 412 and nothing
// is written, no reservation either. Before, the reservation was held to
// the organisation's ETag too, so both answered 412 to a current one.
func TestIfMatchOnAccountsAndRenames_LEDGER2_Issue16(t *testing.T) {
	n := newNetwork(t)
	org := "/v1/organisations/" + n.OrgB
	etag := func() string {
		return want(t, n.do(t, http.MethodGet, org, n.LeadB.Token, nil), http.StatusOK).Header.Get("ETag")
	}
	account := func(username string) map[string]any {
		return map[string]any{"username": username, "display_name": "New", "email": username + "@example.org",
			"roles": []string{"adviser"}, "password": testInitialPassword}
	}

	stale := etag()
	added := want(t, n.do(t, http.MethodPost, org+"/users", n.LeadB.Token, account("new.b"), "If-Match", stale), http.StatusCreated)
	if added.Header.Get("ETag") == "" || added.Header.Get("ETag") == stale {
		t.Fatalf("the account's 201 carries ETag %q (sent %q)", added.Header.Get("ETag"), stale)
	}
	before := n.head(t)
	n.do(t, http.MethodPost, org+"/users", n.LeadB.Token, account("newer.b"), "If-Match", stale).problem(t, http.StatusPreconditionFailed)
	if after := n.head(t); after != before {
		t.Fatalf("a refused account recorded something: head %d → %d", before, after)
	}

	old := want(t, n.do(t, http.MethodGet, org, n.Admin.Token, nil), http.StatusOK).str("name")
	current := etag()
	n.do(t, http.MethodPatch, org, n.Admin.Token, map[string]any{"name": "Beta Renamed Trust"}, "If-Match", stale).
		problem(t, http.StatusPreconditionFailed)
	if after := n.head(t); after != before {
		t.Fatalf("a refused rename recorded something: head %d → %d", before, after)
	}
	renamed := want(t, n.do(t, http.MethodPatch, org, n.Admin.Token, map[string]any{"name": "Beta Renamed Trust"}, "If-Match", current), http.StatusOK)
	if renamed.str("name") != "Beta Renamed Trust" {
		t.Fatalf("renamed: %s", renamed.Body)
	}
	// The old name is free again.
	want(t, n.do(t, http.MethodPost, "/v1/organisations", n.Admin.Token,
		map[string]any{"name": old, "admin_email": "office@new.example"}), http.StatusCreated)
}
