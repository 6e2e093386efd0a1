package http

import (
	"net/http"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/statistics"
)

// TestStatisticsPeriods_STAT5 (R-STAT-5): with disclosure control on, the
// period is whole, completed months: a day-level bound, or a to at or
// after the current month, is refused 422 naming the field, and the
// default is the last twelve completed months. A network that includes
// the current month may ask for it (and no later), with a note that such
// a report is not for publication. With disclosure control off, days and
// months are both allowed. The clock says Monday 14 December 2026.
func TestStatisticsPeriods_STAT5(t *testing.T) {
	t.Run("DisclosureControl", func(t *testing.T) {
		n := newNetwork(t)
		for _, tc := range []struct{ query, field string }{
			{"?from=2026-11-01", "from"},
			{"?from=2026-11&to=2026-11-30", "to"},
			{"?to=2026-12", "to"},
			{"?to=2027-03", "to"},
			{"?from=2026-12", "from"},
			{"?from=2026-11-15&to=2026-12-02", "from"},
		} {
			t.Run(tc.query, func(t *testing.T) {
				n.do(t, http.MethodGet, "/v1/statistics"+tc.query, n.Admin.Token, nil).invalid(t, tc.field)
			})
		}
		if b := n.statistics(t, ""); b.From != "2025-12-01" || b.To != "2026-11-30" {
			t.Fatalf("default period %s to %s, want the last twelve completed months", b.From, b.To)
		}
		if b := n.statistics(t, "?from=2026-11&to=2026-11"); b.From != "2026-11-01" || b.To != "2026-11-30" {
			t.Fatalf("November: %s to %s", b.From, b.To)
		}
		if b := n.statistics(t, "?to=2026-06"); b.From != "2025-07-01" || b.To != "2026-06-30" {
			t.Fatalf("twelve months to June: %s to %s", b.From, b.To)
		}
	})
	t.Run("IncludeCurrentMonth", func(t *testing.T) {
		rule := statistics.DefaultRule()
		rule.IncludeCurrentMonth = true
		n := newNetwork(t, withDisclosure(rule))
		b := n.statistics(t, "?from=2026-12&to=2026-12")
		if b.From != "2026-12-01" || b.To != "2026-12-31" || !strings.Contains(b.DisclosureControl.Note, "not for publication") {
			t.Fatalf("the month so far: %s to %s, note %q", b.From, b.To, b.DisclosureControl.Note)
		}
		if b := n.statistics(t, ""); b.From != "2025-12-01" || b.To != "2026-11-30" {
			t.Fatalf("default period %s to %s, want the last twelve completed months", b.From, b.To)
		}
		n.do(t, http.MethodGet, "/v1/statistics?to=2027-01", n.Admin.Token, nil).invalid(t, "to")
		n.do(t, http.MethodGet, "/v1/statistics?from=2026-12-01", n.Admin.Token, nil).invalid(t, "from")
	})
	t.Run("ExactCounts", func(t *testing.T) {
		n := newNetwork(t, exactStatistics)
		if b := n.statistics(t, "?from=2026-11-15&to=2026-12-02"); b.From != "2026-11-15" || b.To != "2026-12-02" {
			t.Fatalf("days: %s to %s", b.From, b.To)
		}
		if b := n.statistics(t, "?from=2026-12&to=2026-12"); b.From != "2026-12-01" || b.To != "2026-12-31" {
			t.Fatalf("the current month: %s to %s", b.From, b.To)
		}
		if b := n.statistics(t, ""); b.From != "2026-01-01" || b.To != "2026-12-14" {
			t.Fatalf("default period %s to %s, want twelve months up to today", b.From, b.To)
		}
	})
}
