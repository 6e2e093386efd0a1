package http

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

// TestHistoryStateOverdueAtItsPoint_LEDGER5_VIEW3: the state a history
// gives as of a time or a revision (R-LEDGER-5) says whether the referral
// was overdue then (R-VIEW-3), not whether that state would be overdue
// today. As of a time it is judged at that time; at a revision replaced
// since, at the moment the next event replaced it; at the latest
// revision, now.
func TestHistoryStateOverdueAtItsPoint_LEDGER5_VIEW3(t *testing.T) {
	n := newNetwork(t) // n.Referral made Monday 14 December 2026: acknowledge by Wednesday 16
	onTime := n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client On Time")
	n.Clock.Set(london(2026, time.December, 15, 10, 0)) // Tuesday: in time
	n.act(t, n.AdviserB.Token, onTime, "acknowledgement", map[string]any{}, http.StatusOK)
	n.Clock.Set(london(2026, time.December, 18, 10, 0)) // Friday: two days late
	n.act(t, n.AdviserB.Token, n.Referral, "acknowledgement", map[string]any{}, http.StatusOK)
	// Close by Tuesday 29 December (5 working days after Friday 18, less
	// Christmas); today is Wednesday 30, so both are overdue to close now.
	n.Clock.Set(london(2026, time.December, 30, 10, 0))

	asOf := func(at time.Time) string { return "?as_of=" + url.QueryEscape(at.Format(time.RFC3339)) }
	for _, tc := range []struct {
		name, id, query string
		status          string
		overdue         bool
	}{
		{"AsOfTheDayMade", n.Referral, asOf(london(2026, time.December, 14, 12, 0)), "made", false},
		{"AsOfTheLastMinuteOfTheDeadlineDay", n.Referral, asOf(london(2026, time.December, 16, 23, 59)), "made", false},
		{"AsOfTheDayAfterTheDeadline", n.Referral, asOf(london(2026, time.December, 17, 9, 0)), "made", true},
		{"AsOfAfterAcknowledgement", n.Referral, asOf(london(2026, time.December, 21, 9, 0)), "acknowledged", false},
		{"AsOfLaterThanNow", n.Referral, asOf(london(2027, time.January, 29, 9, 0)), "acknowledged", true},
		{"RevisionAcknowledgedLate", n.Referral, "?revision=0", "made", true},
		{"RevisionAcknowledgedInTime", onTime, "?revision=0", "made", false},
		{"LatestRevision", onTime, "?revision=1", "acknowledged", true},
		{"Now", onTime, "", "acknowledged", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := n.history(t, n.Auditor.Token, tc.id, tc.query)
			if got := r.str("state", "status"); got != tc.status {
				t.Fatalf("state %q, want %q", got, tc.status)
			}
			if got := r.get("state", "overdue"); got != tc.overdue {
				t.Errorf("state overdue %v, want %v", got, tc.overdue)
			}
		})
	}
}
