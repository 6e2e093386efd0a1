package web

import (
	"strings"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/statistics"
)

// statsFixture publishes, under NHS Digital's rule, one organisation over
// three months: in January 20 acknowledged within timescale and 10 late;
// in February 12 within and 3 late; in March 10 and 8. The 3 is
// suppressed, and the 8 with it (the smallest other count of the row,
// which the total would otherwise give away).
func statsFixture() statsReport {
	jan, feb, mar := statistics.MonthOf(2026, time.January), statistics.MonthOf(2026, time.February), statistics.MonthOf(2026, time.March)
	t := statistics.NewTable(jan, mar)
	t.AddOrganisation("b", "Housing Trust")
	for _, c := range []struct {
		m        statistics.Month
		in, late int
	}{{jan, 20, 10}, {feb, 12, 3}, {mar, 10, 8}} {
		t.Count("b", c.m, statistics.Made, c.in+c.late)
		t.Count("b", c.m, statistics.Received, c.in+c.late)
		t.Count("b", c.m, statistics.AcknowledgedWithinTimescale, c.in)
		t.Count("b", c.m, statistics.AcknowledgedLate, c.late)
	}
	rep := statistics.Publish(t, statistics.DefaultRule(), statistics.GroupBy{Month: true})
	return statsReport{Report: rep, Months: t.Months(), Scope: "The whole network"}
}

// TestStatisticsShares_STAT3: a share is worked out from the published
// counts, so it reveals nothing they do not, and is suppressed when either
// count is; tables say "suppressed", never 0; the words say how many
// months are suppressed.
func TestStatisticsShares_STAT3(t *testing.T) {
	rep := statsFixture()
	cv, err := statsChart(statsCharts[1], rep, "January 2026 to March 2026")
	if err != nil {
		t.Fatal(err)
	}
	if got := cv.Table.Head[:3]; strings.Join(got, "|") != "Acknowledged within timescale|Acknowledged late|Share acknowledged within timescale" {
		t.Fatalf("columns %v", cv.Table.Head)
	}
	text := func(r int) []string {
		var out []string
		for _, c := range cv.Table.Rows[r].Cells[:3] {
			out = append(out, c.Text)
		}
		return strings.Split(strings.Join(out, "|"), "|")
	}
	if got := strings.Join(text(0), "|"); got != "20|10|67%" {
		t.Errorf("January: %s, want 20|10|67%%", got)
	}
	if got := strings.Join(text(1), "|"); got != "10|suppressed|suppressed" {
		t.Errorf("February: %s, want 10|suppressed|suppressed", got)
	}
	// The total: 42 within (40) and 21 late (20): 67%, from the rounded counts.
	if got := strings.Join(text(3), "|"); got != "40|20|67%" || cv.Table.Rows[3].Label != "Whole period" || !cv.Table.Rows[3].Total {
		t.Errorf("whole period: %s (%s)", got, cv.Table.Rows[3].Label)
	}
	if !strings.Contains(cv.Summary[0], "Acknowledged within timescale: 67% over January 2026 to March 2026") ||
		!strings.Contains(cv.Summary[0], "2 of 3 months suppressed") {
		t.Errorf("summary %q", cv.Summary[0])
	}
	if !strings.Contains(string(cv.SVG), ">S</text>") || strings.Count(string(cv.SVG), "<rect") != 1 {
		t.Errorf("the chart should draw January's share and mark February's suppressed:\n%s", cv.SVG)
	}
	if !strings.Contains(string(cv.SVG), cv.Summary[0]) {
		t.Error("the chart's description is not its summary in words")
	}
}

// TestStatisticsEveryMeasure_STAT1: the table of every number has a row
// for every count and median package statistics publishes, so a measure
// added there shows without changing the page.
func TestStatisticsEveryMeasure_STAT1(t *testing.T) {
	rep := statsFixture()
	all := statsGrid(statsAllMeasures(), rep)
	if want := len(statistics.Measures()) + len(statistics.Medians()); len(all.Rows) != want {
		t.Fatalf("%d rows, want %d", len(all.Rows), want)
	}
	for _, r := range all.Rows {
		if len(r.Cells) != len(rep.Months)+1 || r.Label == "" || r.Label == "unknown" {
			t.Errorf("row %+v", r)
		}
	}
	if got := statsColumnLabel("declined_by_receiver"); got != "Declined by receiver" {
		t.Errorf("a new measure's label: %q", got)
	}
}

// TestStatisticsPageMarkup_UI1: the page draws each chart with its
// legend, its words and its table; a suppressed cell is marked as such.
func TestStatisticsPageMarkup_UI1(t *testing.T) {
	rep := statsFixture()
	v := statisticsView{layout: layout{Title: "Statistics", Nav: "statistics"}, Shown: true, Scope: rep.Scope,
		Period: "January 2026 to February 2026", Disclosure: statistics.DefaultRule(), Note: statistics.DefaultRule().Note(),
		CSVHref: "/statistics.csv?from=2026-01&to=2026-02", JSONHref: "/statistics.json?from=2026-01&to=2026-02"}
	for _, spec := range statsCharts {
		cv, err := statsChart(spec, rep, v.Period)
		if err != nil {
			t.Fatal(err)
		}
		v.Charts = append(v.Charts, cv)
	}
	v.All = statsGrid(statsAllMeasures(), rep)
	page := draw(t, "statistics", v)
	for _, want := range []string{`<h2 class="heading-m" id="referrals-heading">Referrals made and received</h2>`,
		`role="img" aria-labelledby="chart-timescales-title chart-timescales-desc"`, `id="outcomes-summary"`,
		`<td data-label="Acknowledged late" class="stats-number stats-suppressed">suppressed</td>`,
		`href="/statistics.json?from=2026-01&amp;to=2026-02"`, `<th scope="row">Total</th>`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if strings.Contains(page, "style=") {
		t.Error("a style attribute, which the CSP blocks")
	}
}

// TestStatisticsLockedAtMonthEnd_LOCK7: the page draws the cases locked
// at each month's end (R-LOCK-7) as a stock: the chart's last row and the
// table of every number give the count at the end of the period, and the
// words say so, never a sum of the months.
func TestStatisticsLockedAtMonthEnd_LOCK7(t *testing.T) {
	jan, mar := statistics.MonthOf(2026, time.January), statistics.MonthOf(2026, time.March)
	tab := statistics.NewTable(jan, mar)
	tab.AddOrganisation("b", "Housing Trust")
	for i, n := range []int{20, 25, 15} {
		tab.Count("b", tab.Months()[i], statistics.LockedAtMonthEnd, n)
	}
	rep := statsReport{Report: statistics.Publish(tab, statistics.DefaultRule(), statistics.GroupBy{Month: true}), Months: tab.Months()}
	var spec statsChartSpec
	for _, s := range statsCharts {
		if s.ID == "locks" {
			spec = s
		}
	}
	cv, err := statsChart(spec, rep, "January 2026 to March 2026")
	if err != nil {
		t.Fatal(err)
	}
	last := cv.Table.Rows[len(cv.Table.Rows)-1]
	if last.Label != "End of period" || last.Cells[0].Text != "15" {
		t.Fatalf("the chart's last row: %+v; want the end of the period, 15", last)
	}
	if want := "Cases locked: 15 at the end of the period, January 2026 to March 2026; highest in February 2026 (25)."; cv.Summary[0] != want {
		t.Fatalf("summary %q, want %q", cv.Summary[0], want)
	}
	for _, r := range statsGrid(statsAllMeasures(), rep).Rows {
		if r.Label == "Cases locked at the month's end" {
			if got := r.Cells[len(r.Cells)-1].Text; got != "15" {
				t.Fatalf("every number, whole period: %s cases locked, want 15", got)
			}
			return
		}
	}
	t.Fatal("the table of every number lacks the cases locked at the month's end")
}
