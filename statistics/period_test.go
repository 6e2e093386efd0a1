package statistics

import (
	"testing"
	"time"
)

// TestPeriodRule_STAT5 (R-STAT-5): under disclosure control reports end at
// the last completed month (or the current one where the network lets it
// in) and default to the last twelve completed months; exact reports end
// at the current month.
func TestPeriodRule_STAT5(t *testing.T) {
	january := MonthOf(2027, time.January)
	withCurrent := DefaultRule()
	withCurrent.IncludeCurrentMonth = true
	exact := Rule{RoundTo: 1}
	for _, tc := range []struct {
		name           string
		rule           Rule
		last, from, to string
		wholeMonths    bool
	}{
		{"DisclosureControl", DefaultRule(), "2026-12", "2026-01", "2026-12", true},
		{"IncludeCurrentMonth", withCurrent, "2027-01", "2026-01", "2026-12", true},
		{"Exact", exact, "2027-01", "2026-02", "2027-01", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			from, to := tc.rule.DefaultMonths(january)
			if last := tc.rule.LastMonth(january); last.String() != tc.last || from.String() != tc.from || to.String() != tc.to ||
				tc.rule.WholeMonths() != tc.wholeMonths {
				t.Fatalf("last %s, default %s to %s, whole months %v", last, from, to, tc.rule.WholeMonths())
			}
		})
	}
	for s, ok := range map[string]bool{"2026-11": true, "2026-1": false, "2026-11-01": false, "November": false, "2026-13": false} {
		if _, got := ParseMonth(s); got != ok {
			t.Errorf("ParseMonth(%q) ok = %v, want %v", s, got, ok)
		}
	}
}
