package projections_test

import (
	"testing"
	"time"

	"github.com/referral-ledger/ledger/calendar"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/projections"
	"github.com/referral-ledger/ledger/statistics"
)

// TestStatisticsTimescaleBoundaries_STAT1_TIME1_TIME2_REF12 judges
// timescales at their edges, worked out by hand, in British Summer Time
// and across Easter 2026 (Good Friday 3 April, Easter Monday 6 April):
//
//	x, y made Monday 30 March 00:30 BST (23:30 UTC on Sunday 29): to be
//	   acknowledged by the end of Wednesday 1 April (22:59:59 UTC).
//	   x is acknowledged at 23:59:30 that day in London (in time, 2
//	   working days), closed by the end of Friday 10 April (in time, 7);
//	   y at 00:00 on Thursday 2 (late, 3 days), so closes by Monday 13,
//	   and closes on Tuesday 14 (late, 9 days). Medians of an even
//	   number: 2.5 and 8.
//	z made at 23:30 UTC on 31 March, 1 April in London: counts in April.
//	v made Monday 2 March, acknowledged and closed, reopened Friday 6
//	   (R-REF-12: close by Friday 13 again) and closed Monday 16: late.
func TestStatisticsTimescaleBoundaries_STAT1_TIME1_TIME2_REF12(t *testing.T) {
	l := newStatsLedger(t)
	utc := func(month time.Month, day, hour, min, sec int) time.Time {
		return time.Date(2026, month, day, hour, min, sec, 0, time.UTC)
	}
	x := l.made(statsOrgA, statsOrgB, false, utc(time.March, 29, 23, 30, 0))
	l.ack(x, statsOrgB, utc(time.April, 1, 22, 59, 30))
	l.close(x, statsOrgB, utc(time.April, 10, 22, 59, 59), domain.OutcomePositive)
	y := l.made(statsOrgA, statsOrgB, false, utc(time.March, 29, 23, 30, 0))
	l.ack(y, statsOrgB, utc(time.April, 1, 23, 0, 0))
	l.close(y, statsOrgB, utc(time.April, 14, 8, 0, 0), domain.OutcomeNegative)
	l.made(statsOrgA, statsOrgB, false, utc(time.March, 31, 23, 30, 0))
	v := l.made(statsOrgA, statsOrgC, false, utc(time.March, 2, 10, 0, 0))
	l.ack(v, statsOrgC, utc(time.March, 2, 11, 0, 0))
	l.close(v, statsOrgC, utc(time.March, 3, 11, 0, 0), domain.OutcomeNegative)
	l.reopen(v, statsOrgC, utc(time.March, 6, 11, 0, 0))
	l.close(v, statsOrgC, utc(time.March, 16, 11, 0, 0), domain.OutcomePositive)

	p := l.project(projections.NewStatistics(statsCalendar(t), domain.DefaultTimescales()), ledger.NewPublicCodec(), 0)
	tab := p.Table(calendar.MustParseDate("2026-03-01"), calendar.MustParseDate("2026-04-30"), utc(time.May, 4, 12, 0, 0))
	mar, apr := statistics.MonthOf(2026, time.March), statistics.MonthOf(2026, time.April)
	type want map[statistics.Measure]int
	for _, tc := range []struct {
		name       string
		cell       statistics.Cell
		want       want
		ack, close float64 // medians; -1 for none
	}{
		{"BInMarch", tab.Cell(statsOrgB.String(), mar), want{statistics.Received: 2,
			statistics.AcknowledgedWithinTimescale: 1, statistics.AcknowledgedLate: 1,
			statistics.ClosedWithinTimescale: 1, statistics.ClosedLate: 1,
			statistics.OutcomePositive: 1, statistics.OutcomeNegative: 1}, 2.5, 8},
		{"BInApril", tab.Cell(statsOrgB.String(), apr), want{statistics.Received: 1, statistics.Overdue: 1}, -1, -1},
		{"CReopened", tab.Cell(statsOrgC.String(), mar), want{statistics.Received: 1,
			statistics.AcknowledgedWithinTimescale: 1, statistics.ClosedLate: 1, statistics.OutcomePositive: 1,
			statistics.Reopened: 1}, 0, 10},
		{"AMadeInMarch", tab.Cell(statsOrgA.String(), mar), want{statistics.Made: 3}, -1, -1},
		{"AMadeInApril", tab.Cell(statsOrgA.String(), apr), want{statistics.Made: 1}, -1, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, ms := range statistics.Measures() {
				if got := tc.cell.Counts[ms]; got != tc.want[ms] {
					t.Errorf("%s = %d, want %d", ms, got, tc.want[ms])
				}
			}
			for md, w := range map[statistics.Median]float64{statistics.DaysToAcknowledge: tc.ack, statistics.DaysToClose: tc.close} {
				got, ok := tc.cell.Samples[md].Median()
				if !ok {
					got = -1
				}
				if got != w {
					t.Errorf("%s = %v, want %v", md, got, w)
				}
			}
		})
	}
}
