package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestWebRetentionShowsCasesKeptForASeriousCaseReview_PRIV5_LOCK12: the
// retention page tells the coordinator that a case locked for a serious
// case review is kept until the review is recorded complete, rather than
// when it will be shredded; a hidden lock that keeps the coordinator out
// shows nothing of itself there. `ledger retention --dry-run`, an
// operator's tool that reads the log, says which cases are kept; and the
// retention run itself shreds none of them (the ledger's own test of that
// is in the http package).
func TestWebRetentionShowsCasesKeptForASeriousCaseReview_PRIV5_LOCK12(t *testing.T) {
	n := newLocksNetwork(t)
	closed := func(name string) string {
		id, client := n.referralFor(t, n.annToken, name)
		n.must(t, 200, "POST", "/v1/referrals/"+id+"/acknowledgement", n.benToken, map[string]any{})
		n.must(t, 200, "POST", "/v1/referrals/"+id+"/closure", n.benToken, map[string]any{"outcome": "positive", "comment": "housed"})
		return client
	}
	lock := func(client string, hidden bool) {
		req := n.must(t, 201, "POST", "/v1/clients/"+client+"/lock-requests", n.tessToken, map[string]any{
			"responsible_user_id": n.ids["ben"], "reason": "A serious case review.", "allow": []any{}, "deny": []any{},
			"hide_notification": hidden, "serious_case_review": true})
		n.must(t, 200, "POST", "/v1/lock-requests/"+req["id"].(string)+"/decision", n.samToken, map[string]any{"approve": true})
	}
	visible, hidden, plain := closed("Vera Visible"), closed("Hana Hidden"), closed("Paul Plain")
	lock(visible, false)
	lock(hidden, true)

	admin := n.signedIn(t, "admin", adminPassword)
	page := admin.get("/retention")
	wantStatus(t, page, http.StatusOK, "Kept for a serious case review")
	row := func(client string) string {
		i := strings.Index(page.body, client)
		if i < 0 {
			t.Fatalf("the retention page does not list %s:\n%s", client, page.body)
		}
		end := strings.Index(page.body[i:], "</tr>")
		return page.body[i : i+end]
	}
	if !strings.Contains(row(visible), "Kept for a serious case review") {
		t.Errorf("the case locked for a serious case review is not shown kept: %s", row(visible))
	}
	for _, c := range []string{hidden, plain} {
		if strings.Contains(row(c), "Kept") || !strings.Contains(row(c), "day") {
			t.Errorf("row of %s: %s", c, row(c))
		}
	}

	t.Setenv("LEDGER_DATA_DIR", n.dir)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"retention", "--dry-run"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(out.String(), "\n") {
		kept := strings.Contains(line, "kept for a serious case review")
		switch {
		case strings.HasPrefix(line, visible), strings.HasPrefix(line, hidden):
			if !kept {
				t.Errorf("retention --dry-run does not say the case is kept: %q", line)
			}
		case strings.HasPrefix(line, plain):
			if kept || !strings.Contains(line, "shred on") {
				t.Errorf("retention --dry-run: %q", line)
			}
		}
	}
	if strings.Count(out.String(), "kept for a serious case review") != 2 {
		t.Errorf("retention --dry-run:\n%s", out.String())
	}
}
