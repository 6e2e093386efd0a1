package http

import (
	"database/sql"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/projections"
)

// TestErasureRequestsUnreadableViews_OPS4: the coordinator's list of
// erasure requests waiting for a decision was empty (200, no request) when
// the views could not be read, so a request could wait unseen. It is now a
// 503 problem naming no client data, and the list is back once the views
// can be read again (R-OPS-4, R-PRIV-2).
func TestErasureRequestsUnreadableViews_OPS4(t *testing.T) {
	n := newNetwork(t)
	client := n.clientOf(t, n.Referral)
	reason := "Asked by phone."
	id := want(t, n.requestErasure(t, n.AdviserA.Token, client, reason), http.StatusCreated).str("id")
	listed := func() []any {
		t.Helper()
		items, _ := want(t, n.do(t, http.MethodGet, "/v1/erasure-requests", n.Admin.Token, nil), http.StatusOK).get("erasure_requests").([]any)
		return items
	}
	if got := listed(); len(got) != 1 || got[0].(map[string]any)["id"] != id {
		t.Fatalf("waiting %v, want %s", got, id)
	}

	// The table of erasure requests is gone from views.db under the
	// server: its reads fail, as on a damaged file.
	restore := n.hideViewsTable(t, "erasure_requests")
	r := n.do(t, http.MethodGet, "/v1/erasure-requests", n.Admin.Token, nil)
	p := r.problem(t, http.StatusServiceUnavailable)
	if strings.Contains(string(r.Body), client) || strings.Contains(string(r.Body), reason) {
		t.Errorf("the 503 names the client or the reason: %s", r.Body)
	}
	if !strings.Contains(p.Detail, "retry") {
		t.Errorf("the 503 does not say to retry: %s", r.Body)
	}

	restore()
	if got := listed(); len(got) != 1 || got[0].(map[string]any)["id"] != id {
		t.Fatalf("waiting once the views read again %v, want %s", got, id)
	}
}

// hideViewsTable renames table in the node's views.db under the running
// server, so that its reads fail as on a damaged file, and returns the
// function that puts it back.
func (a *testAPI) hideViewsTable(tb testing.TB, table string) (restore func()) {
	tb.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(a.Dir, projections.ViewsFile)+"?_pragma=busy_timeout(5000)")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`ALTER TABLE ` + table + ` RENAME TO ` + table + `_away`); err != nil {
		tb.Fatal(err)
	}
	return func() {
		tb.Helper()
		if _, err := db.Exec(`ALTER TABLE ` + table + `_away RENAME TO ` + table); err != nil {
			tb.Fatal(err)
		}
	}
}
