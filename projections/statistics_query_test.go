package projections

import (
	"slices"
	"testing"

	"github.com/referral-ledger/ledger/calendar"
	"github.com/referral-ledger/ledger/statistics"
)

// TestParseStatisticsPeriod_STAT5: under disclosure control a period is
// whole completed months, the last twelve by default; the month under way
// and anything but YYYY-MM are refused, naming the field. Exact statistics
// take days, up to today by default.
func TestParseStatisticsPeriod_STAT5(t *testing.T) {
	today := calendar.MustParseDate("2026-12-14")
	query := func(kv ...string) func(string) (string, bool) {
		return func(name string) (string, bool) {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == name {
					return kv[i+1], true
				}
			}
			return "", false
		}
	}
	rule := statistics.DefaultRule()
	for _, tc := range []struct {
		q        []string
		from, to string
		bad      []string
	}{
		{nil, "2025-12-01", "2026-11-30", nil},
		{[]string{"to", "2026-06"}, "2025-07-01", "2026-06-30", nil},
		{[]string{"from", "2026-02", "to", "2026-02"}, "2026-02-01", "2026-02-28", nil},
		{[]string{"to", "2026-12"}, "", "", []string{"to"}},
		{[]string{"from", "2026-11-01"}, "", "", []string{"from"}},
		{[]string{"from", "2026-06", "to", "2026-05"}, "", "", []string{"to"}},
		{[]string{"from", "2016-01", "to", "2026-11"}, "", "", []string{"from"}},
		{[]string{"from", "x", "to", "y"}, "", "", []string{"to", "from"}},
	} {
		p, errs := ParseStatisticsPeriod(query(tc.q...), rule, today)
		var fields []string
		for _, e := range errs {
			fields = append(fields, e.Field)
		}
		if !slices.Equal(fields, tc.bad) || (tc.bad == nil && (p.From.String() != tc.from || p.To.String() != tc.to)) {
			t.Errorf("%v: %v to %v, errors %v", tc.q, p.From, p.To, errs)
		}
	}
	exact := statistics.Rule{RoundTo: 1}
	if p, errs := ParseStatisticsPeriod(query(), exact, today); errs != nil || p.From.String() != "2026-01-01" || p.To.String() != "2026-12-14" {
		t.Errorf("exact default: %v to %v, %v", p.From, p.To, errs)
	}
	if p, errs := ParseStatisticsPeriod(query("from", "2026-12-03", "to", "2026-12"), exact, today); errs != nil ||
		p.From.String() != "2026-12-03" || p.To.String() != "2026-12-31" {
		t.Errorf("exact days: %v to %v, %v", p.From, p.To, errs)
	}
}
