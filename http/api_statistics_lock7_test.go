package http

import (
	"net/http"
	"testing"
	"time"
)

// TestStatisticsLockedAtMonthEnd_LOCK7 (R-LOCK-7, R-LOCK-10) through the
// router: a case locked in December by a team manager of B and unlocked
// in March counts as locked at the end of December, January and
// February, for B only, not March; a period of January and February,
// when no lock was asked for, still shows it; over several months (group
// by organisation) the count is the last month's, not the sum.
func TestStatisticsLockedAtMonthEnd_LOCK7(t *testing.T) {
	n := newLockNet(t, exactStatistics)
	n.lock(t, n.Client, nil) // 14 December 2026
	n.Clock.Set(time.Date(2027, time.March, 10, 10, 0, 0, 0, time.UTC))
	unlock := want(t, n.do(t, http.MethodPost, "/v1/clients/"+n.Client+"/unlock-requests", n.TeamManager.Token,
		map[string]any{"reason": "no longer needed"}), http.StatusCreated).str("id")
	want(t, n.do(t, http.MethodPost, "/v1/lock-requests/"+unlock+"/decision", n.ServiceManager.Token,
		map[string]any{"approve": true}), http.StatusOK)
	n.Clock.Set(time.Date(2027, time.April, 2, 10, 0, 0, 0, time.UTC))

	b := n.statistics(t, "?from=2026-12&to=2027-03")
	for month, want := range map[string]int{"2026-12": 1, "2027-01": 1, "2027-02": 1, "2027-03": 0} {
		if got := count(t, b.row(t, n.OrgB, month), "locked_at_month_end"); got != want {
			t.Errorf("B, %s: locked_at_month_end = %d, want %d", month, got, want)
		}
		for _, org := range []string{n.OrgA, n.OrgC} {
			if got := count(t, b.row(t, org, month), "locked_at_month_end"); got != 0 {
				t.Errorf("%s, %s: locked_at_month_end = %d for an organisation that owns no lock", org, month, got)
			}
		}
	}
	if got := count(t, b.row(t, n.OrgB, "2026-12"), "lock_requests"); got != 1 {
		t.Fatalf("B, December: lock_requests = %d, want 1", got)
	}

	winter := n.statistics(t, "?from=2027-01&to=2027-02")
	for _, month := range []string{"2027-01", "2027-02"} {
		row := winter.row(t, n.OrgB, month)
		if got, asked := count(t, row, "locked_at_month_end"), count(t, row, "lock_requests"); got != 1 || asked != 0 {
			t.Errorf("B, %s: locked_at_month_end = %d, lock_requests = %d; want 1 and 0", month, got, asked)
		}
	}
	byOrg := n.statistics(t, "?from=2027-01&to=2027-02&group_by=organisation")
	if got := count(t, byOrg.row(t, n.OrgB, ""), "locked_at_month_end"); got != 1 {
		t.Fatalf("B over January and February: locked_at_month_end = %d, want 1 (at the end of February)", got)
	}
	if got := count(t, byOrg.Totals, "locked_at_month_end"); got != 1 {
		t.Fatalf("totals over January and February: locked_at_month_end = %d, want 1", got)
	}
}
