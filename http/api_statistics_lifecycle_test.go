package http

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"slices"
	"strconv"
	"testing"
)

// TestStatisticsLifecycle_REF9_REF10_REF11_REF12 (R-STAT-1, R-STAT-4):
// GET /v1/statistics counts the referrals an organisation received by what
// became of them: declined by reason code, forwarded, withdrawn and
// reopened, in JSON and in CSV alike.
func TestStatisticsLifecycle_REF9_REF10_REF11_REF12(t *testing.T) {
	n := newNetwork(t, exactStatistics) // the network has one referral A → B
	forwarded := n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client Two")
	withdrawn := n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client Three")
	reopened := n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client Four")
	want(t, n.do(t, http.MethodPost, lifecyclePath(n.Referral, "decline"), n.AdviserB.Token,
		map[string]any{"reason_code": "wrong_service", "comment": "We do not do debt advice."}), http.StatusOK)
	want(t, n.do(t, http.MethodPost, lifecyclePath(forwarded, "forward"), n.AdviserB.Token, forwardBody(n.OrgC)), http.StatusCreated)
	want(t, n.do(t, http.MethodPost, lifecyclePath(withdrawn, "withdrawal"), n.AdviserA.Token,
		map[string]any{"reason": "The client moved away."}), http.StatusOK)
	want(t, n.do(t, http.MethodPost, lifecyclePath(reopened, "acknowledgement"), n.AdviserB.Token, map[string]any{}), http.StatusOK)
	want(t, n.do(t, http.MethodPost, lifecyclePath(reopened, "closure"), n.AdviserB.Token,
		map[string]any{"outcome": "negative", "comment": "Not taken forward."}), http.StatusOK)
	want(t, n.do(t, http.MethodPost, lifecyclePath(reopened, "reopening"), n.AdviserB.Token,
		map[string]any{"reason": "The client came back."}), http.StatusOK)

	b := n.statistics(t, "?from=2026-12&to=2026-12")
	bee, c := b.row(t, n.OrgB, "2026-12"), b.row(t, n.OrgC, "2026-12")
	lifecycle := []string{"declined_not_eligible", "declined_no_capacity", "declined_cannot_contact", "declined_duplicate",
		"declined_wrong_service", "declined_other", "forwarded", "withdrawn", "reopened"}
	wantB := map[string]int{"received": 4, "made": 1, "declined_wrong_service": 1, "forwarded": 1, "withdrawn": 1, "reopened": 1,
		"outcome_negative": 0}
	for _, m := range append([]string{"received", "made", "outcome_negative"}, lifecycle...) {
		if got := count(t, bee, m); got != wantB[m] {
			t.Errorf("the receiver's %s = %d, want %d", m, got, wantB[m])
		}
	}
	if got := count(t, c, "received"); got != 1 {
		t.Errorf("the forwarded referral's new receiver received %d, want 1", got)
	}

	r := want(t, n.do(t, http.MethodGet, "/v1/statistics?from=2026-12&to=2026-12&format=csv", n.Admin.Token, nil), http.StatusOK)
	records, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v\n%s", err, r.Body)
	}
	header := records[0]
	for _, m := range lifecycle {
		col := slices.Index(header, m)
		if col < 0 {
			t.Fatalf("the CSV has no %s column: %v", m, header)
		}
		for _, rec := range records[1:] {
			if rec[0] == n.OrgB {
				if got := rec[col]; got != strconv.Itoa(wantB[m]) {
					t.Errorf("CSV %s of the receiver = %q, want %d", m, got, wantB[m])
				}
			}
		}
	}
}
