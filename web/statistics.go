package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/projections"
	"github.com/referral-ledger/ledger/statistics"
)

// The coordinator's statistics (R-STAT-1..5): the numbers of
// GET /v1/statistics, after the same disclosure control, as charts drawn on
// the server, tables and words, with CSV and JSON downloads of the same
// numbers. Only the coordinator may produce statistics, as the API says.
func init() {
	addSection(section{
		Nav: []navEntry{
			{Key: "statistics", Label: "Statistics", Path: "/statistics", Order: 70, For: statisticsUser},
		},
		Mount: func(p *Pages, a *gin.RouterGroup) {
			g := a.Group("", p.requireRole(statisticsUser))
			g.GET("/statistics", p.statisticsPage)
			g.GET("/statistics.csv", p.statisticsDownload)
			g.GET("/statistics.json", p.statisticsDownload)
		},
		Labels: map[string]string{"from-month": "the first month", "to-month": "the last month"},
	})
}

// statisticsUser is who may produce statistics: the API's rule for
// GET /v1/statistics.
var statisticsUser = anyRole(domain.RoleCoordinator)

// statsMeasure is one number of a row of statistics the page shows: a
// published count or median, or a share worked out from published counts.
// Adding a measure to the page is adding one to a chart's or table's list.
type statsMeasure struct {
	Label string
	Value func(statistics.Row) chartValue
	Kind  statsKind
	Stock bool // a count at each month's end (statistics.Measure.Stock): over the period, the last month's
}

type statsKind int

const (
	kindCount statsKind = iota
	kindPercent
	kindDays
)

// countOf is a published count: suppressed where disclosure control
// suppressed it.
func countOf(m statistics.Measure, label string) statsMeasure {
	return statsMeasure{Label: label, Kind: kindCount, Stock: m.Stock(), Value: func(r statistics.Row) chartValue {
		v := r.Count(m)
		return chartValue{N: float64(v.N), Suppressed: v.Suppressed}
	}}
}

// medianOf is a published median of working days: suppressed where it
// rests on too few referrals, missing where there were none.
func medianOf(m statistics.Median, label string) statsMeasure {
	return statsMeasure{Label: label, Kind: kindDays, Value: func(r statistics.Row) chartValue {
		v := r.Median(m)
		return chartValue{N: v.Days, Suppressed: v.Suppressed, Missing: !v.Known}
	}}
}

// shareOf is part as a percentage of part and rest, worked out from their
// published (rounded) counts, so it gives away nothing they do not: it is
// suppressed when either is, and missing when both are zero.
func shareOf(part, rest statistics.Measure, label string) statsMeasure {
	return statsMeasure{Label: label, Kind: kindPercent, Value: func(r statistics.Row) chartValue {
		a, b := r.Count(part), r.Count(rest)
		switch {
		case a.Suppressed || b.Suppressed:
			return chartValue{Suppressed: true}
		case a.N+b.N == 0:
			return chartValue{Missing: true}
		}
		return chartValue{N: math.Round(float64(a.N) * 100 / float64(a.N+b.N))}
	}}
}

// statsChartSpec is one chart of the page: the measures it draws, and the
// columns of the table beneath it (the measures drawn, when nil).
type statsChartSpec struct {
	ID, Title, Intro string
	Draw             []statsMeasure
	Table            []statsMeasure
}

// statsCharts are the page's charts, in order.
var statsCharts = []statsChartSpec{
	{ID: "referrals", Title: "Referrals made and received",
		Intro: "Made counts the referrals made by the organisation (or the network); received, those it received. Each referral counts in the month it was made.",
		Draw:  []statsMeasure{countOf(statistics.Made, "Made"), countOf(statistics.Received, "Received")}},
	{ID: "timescales", Title: "Share acknowledged and closed within timescale",
		Intro: "Of the referrals received each month that have been acknowledged (or closed), the share acknowledged (or closed) by its deadline. Shares are worked out from the published counts in the table.",
		Draw: []statsMeasure{shareOf(statistics.AcknowledgedWithinTimescale, statistics.AcknowledgedLate, "Acknowledged within timescale"),
			shareOf(statistics.ClosedWithinTimescale, statistics.ClosedLate, "Closed within timescale")},
		Table: []statsMeasure{countOf(statistics.AcknowledgedWithinTimescale, "Acknowledged within timescale"),
			countOf(statistics.AcknowledgedLate, "Acknowledged late"),
			shareOf(statistics.AcknowledgedWithinTimescale, statistics.AcknowledgedLate, "Share acknowledged within timescale"),
			countOf(statistics.ClosedWithinTimescale, "Closed within timescale"),
			countOf(statistics.ClosedLate, "Closed late"),
			shareOf(statistics.ClosedWithinTimescale, statistics.ClosedLate, "Share closed within timescale")}},
	{ID: "medians", Title: "Median working days to acknowledge and to close",
		Intro: "The median number of working days from the day a referral was made to the day it was acknowledged, and to the day it was closed.",
		Draw: []statsMeasure{medianOf(statistics.DaysToAcknowledge, "Working days to acknowledge"),
			medianOf(statistics.DaysToClose, "Working days to close")}},
	{ID: "outcomes", Title: "Outcomes",
		Intro: "The referrals received each month that have been closed, by their outcome.",
		Draw: []statsMeasure{countOf(statistics.OutcomePositive, "Taken forward"),
			countOf(statistics.OutcomeNegative, "Not taken forward")}},
	{ID: "locks", Title: "Cases locked at the end of each month",
		Intro: "The cases that were locked at the last moment of each month, whenever the lock was asked for: a case locked all year counts in every month. The figure for the whole period is the one at its end, not a total.",
		Draw:  []statsMeasure{countOf(statistics.LockedAtMonthEnd, "Cases locked")}},
}

// statsMeasureLabels name the measures in the table of every number; a
// measure not listed is named from its column name.
var statsMeasureLabels = map[statistics.Measure]string{
	statistics.Made:                        "Referrals made",
	statistics.Received:                    "Referrals received",
	statistics.Urgent:                      "Received as urgent",
	statistics.UrgencyDeclined:             "Urgency declined",
	statistics.OutcomePositive:             "Closed: taken forward",
	statistics.OutcomeNegative:             "Closed: not taken forward",
	statistics.AcknowledgedWithinTimescale: "Acknowledged within timescale",
	statistics.AcknowledgedLate:            "Acknowledged late",
	statistics.ClosedWithinTimescale:       "Closed within timescale",
	statistics.ClosedLate:                  "Closed late",
	statistics.Overdue:                     "Overdue now",
	statistics.ErasureRequests:             "Erasure requests",
	statistics.LockRequests:                "Requests to lock a case",
	statistics.LockRequestsPending:         "Lock requests awaiting a decision",
	statistics.LockedCases:                 "Cases locked",
	statistics.LockedCasesInForce:          "Cases still locked",
	statistics.LockedAtMonthEnd:            "Cases locked at the month's end",
}

var statsMedianLabels = map[statistics.Median]string{
	statistics.DaysToAcknowledge: "Median working days to acknowledge",
	statistics.DaysToClose:       "Median working days to close",
}

// statsAllMeasures is every count and median of a row, for the table of every
// number: a measure added to package statistics appears here by itself.
func statsAllMeasures() []statsMeasure {
	var out []statsMeasure
	for _, m := range statistics.Measures() {
		label, ok := statsMeasureLabels[m]
		if !ok {
			label = statsColumnLabel(m.String())
		}
		out = append(out, countOf(m, label))
	}
	for _, m := range statistics.Medians() {
		label, ok := statsMedianLabels[m]
		if !ok {
			label = statsColumnLabel(m.String())
		}
		out = append(out, medianOf(m, label))
	}
	return out
}

// statsColumnLabel turns a column name into words: "urgency_declined" →
// "Urgency declined".
func statsColumnLabel(s string) string {
	s = strings.ReplaceAll(s, "_", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// statsCell is one value of a table as the page writes it.
type statsCell struct {
	Label      string // the column's heading, for narrow screens
	Text       string
	Suppressed bool
	Missing    bool
}

type statsRow struct {
	Label string
	Cells []statsCell
	Total bool
}

type statsTable struct {
	Caption string
	Corner  string // the heading of the rows' column
	Head    []string
	Rows    []statsRow
}

type statsLegendItem struct{ Label, Fill string }

// statsChartView is a chart as the page draws it.
type statsChartView struct {
	ID, Title, Intro string
	SVG              template.HTML
	Legend           []statsLegendItem
	Summary          []string
	Table            statsTable
}

type statsOrg struct {
	ID, Name string
	Selected bool
}

type statisticsView struct {
	layout
	From, To      string // the form's values
	Organisation  string
	Organisations []statsOrg
	Shown         bool   // there is a report to show
	Scope         string // "the whole network" or an organisation's name
	Period        string // "January 2026 to December 2026"
	Disclosure    statistics.Rule
	Note          string
	Charts        []statsChartView
	All           statsTable
	CSVHref       template.URL // the downloads of the report shown
	JSONHref      template.URL
}

// statsReport is what the page and its downloads show: a row per month
// of the period and the period's totals, for the whole network or one
// organisation, published under the same disclosure control as the API.
type statsReport struct {
	statistics.Report
	Months []statistics.Month
	Scope  string
	Org    string // the organisation's id; "" for the whole network
}

// statisticsReport reads the query as GET /v1/statistics reads its
// period (projections.ParseStatisticsPeriod), plus the organisation, and
// publishes the report. Suppression is decided on the whole network's
// organisation × month table whatever is shown, as in the API, so the
// organisation's rows are those of the API's report grouped by
// organisation and month. Errors: field errors for a bad query.
func (p *Pages) statisticsReport(c *gin.Context, now time.Time) (statsReport, []fieldError, error) {
	if err := p.settleHead(c.Request.Context()); err != nil {
		return statsReport{}, nil, err
	}
	period, errs := projections.ParseStatisticsPeriod(c.GetQuery, p.Disclosure, p.Calendar.DateOf(now))
	var out []fieldError
	if len(errs) > 0 {
		out = fieldErrors(domain.InvalidFields(errs...), map[string]string{"from": "from-month", "to": "to-month"})
		inFormOrder(out, []string{"from-month", "to-month"}) // the summary lists them as the form does
	}
	org := c.Query("organisation")
	var orgName string
	if org != "" {
		for _, o := range p.statsOrganisations(now) {
			if o.ID == org {
				orgName = o.Name
			}
		}
		if orgName == "" {
			out = append(out, fieldError{Field: "organisation", Message: "Choose an organisation from the list, or the whole network"})
		}
	}
	if len(out) > 0 {
		return statsReport{}, out, nil
	}
	table, err := period.Table(c.Request.Context(), p.Statistics, p.Orgs, now)
	if err != nil {
		return statsReport{}, nil, err
	}
	r := statsReport{Months: table.Months(), Scope: "The whole network", Org: org}
	if org == "" {
		r.Report = period.Publish(table, p.Disclosure, statistics.GroupBy{Month: true}, now)
		return r, nil, nil
	}
	r.Scope = orgName
	r.Report = period.Publish(table, p.Disclosure, statistics.GroupBy{Organisation: true, Month: true}, now)
	r.Rows = slices.DeleteFunc(r.Rows, func(row statistics.Row) bool { return row.OrganisationID != org })
	for _, row := range period.Publish(table, p.Disclosure, statistics.GroupBy{Organisation: true}, now).Rows {
		if row.OrganisationID == org {
			r.Totals = row
		}
	}
	return r, nil, nil
}

// statsOrganisations are the organisations a report may be about: the
// directory's, by name, as the API's report lists them.
func (p *Pages) statsOrganisations(now time.Time) []statistics.Organisation {
	var out []statistics.Organisation
	for _, o := range p.Orgs.Directory(now) {
		out = append(out, statistics.Organisation{ID: o.ID.String(), Name: o.Name})
	}
	slices.SortFunc(out, func(a, b statistics.Organisation) int {
		if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// statisticsPage draws the statistics of a period for the network or one
// organisation; a bad period is refused with the API's words.
func (p *Pages) statisticsPage(c *gin.Context) {
	now := p.Service.Now()
	v := statisticsView{layout: p.base(c, "Statistics", "statistics"), Disclosure: p.Disclosure, Note: p.Disclosure.Note(),
		From: c.Query("from"), To: c.Query("to"), Organisation: c.Query("organisation")}
	rep, errs, err := p.statisticsReport(c, now)
	if err != nil {
		p.fail(c, err)
		return
	}
	for _, o := range p.statsOrganisations(now) {
		v.Organisations = append(v.Organisations, statsOrg{ID: o.ID, Name: o.Name, Selected: o.ID == v.Organisation})
	}
	if len(errs) > 0 {
		v.Title = "Error: " + v.Title
		v.Errors = errs
		p.render(c, http.StatusUnprocessableEntity, "statistics", v)
		return
	}
	v.Shown = true
	v.From, v.To = rep.Months[0].String(), rep.Months[len(rep.Months)-1].String()
	v.Scope = rep.Scope
	v.Period = statsMonthName(rep.Months[0]) + " to " + statsMonthName(rep.Months[len(rep.Months)-1])
	if len(rep.Months) == 1 {
		v.Period = statsMonthName(rep.Months[0])
	}
	if !p.Disclosure.WholeMonths() {
		// Exact statistics may cover any days: show and download those.
		v.From, v.To = rep.From, rep.To
		v.Period = dayText(rep.From) + " to " + dayText(rep.To)
	}
	q := url.Values{"from": {v.From}, "to": {v.To}}
	if rep.Org != "" {
		q.Set("organisation", rep.Org)
	}
	v.CSVHref = template.URL("/statistics.csv?" + q.Encode())   // #nosec G203 -- a path of this site and an encoded query
	v.JSONHref = template.URL("/statistics.json?" + q.Encode()) // #nosec G203 -- likewise
	for _, spec := range statsCharts {
		cv, err := statsChart(spec, rep, v.Period)
		if err != nil {
			p.fail(c, err)
			return
		}
		v.Charts = append(v.Charts, cv)
	}
	v.All = statsGrid(statsAllMeasures(), rep)
	p.render(c, http.StatusOK, "statistics", v)
}

// statsChart draws one chart of the report, with its legend, its table
// and its summary in words.
func statsChart(spec statsChartSpec, rep statsReport, period string) (statsChartView, error) {
	cv := statsChartView{ID: spec.ID, Title: spec.Title, Intro: spec.Intro}
	ch := chart{ID: "chart-" + spec.ID, Title: spec.Title + ", " + period}
	for _, m := range rep.Months {
		ch.Categories = append(ch.Categories, statsMonthShort(m))
	}
	for i, m := range spec.Draw {
		s := chartSeries{Label: m.Label, Fill: seriesFills[i%len(seriesFills)]}
		for _, row := range rep.Rows {
			s.Values = append(s.Values, m.Value(row))
		}
		ch.Series = append(ch.Series, s)
		cv.Legend = append(cv.Legend, statsLegendItem{Label: m.Label, Fill: s.Fill})
		if m.Kind == kindPercent {
			ch.Max, ch.Percent = 100, true
		}
		cv.Summary = append(cv.Summary, statsSummary(m, rep, period))
	}
	ch.Desc = strings.Join(cv.Summary, " ")
	svg, err := ch.SVG()
	if err != nil {
		return cv, err
	}
	cv.SVG = svg
	cols := spec.Table
	if cols == nil {
		cols = spec.Draw
	}
	cv.Table = statsTable{Caption: spec.Title + " by month, " + period, Corner: "Month"}
	for _, m := range cols {
		cv.Table.Head = append(cv.Table.Head, m.Label)
	}
	row := func(label string, r statistics.Row, total bool) statsRow {
		out := statsRow{Label: label, Total: total}
		for _, m := range cols {
			out.Cells = append(out.Cells, statsCellOf(m, m.Value(r)))
		}
		return out
	}
	for i, r := range rep.Rows {
		cv.Table.Rows = append(cv.Table.Rows, row(statsMonthShort(rep.Months[i]), r, false))
	}
	cv.Table.Rows = append(cv.Table.Rows, row(statsTotalLabel(cols), rep.Totals, true))
	return cv, nil
}

// statsGrid is the table of every number: a row per measure, a column per
// month and the period.
func statsGrid(ms []statsMeasure, rep statsReport) statsTable {
	t := statsTable{Caption: "Every number of the report, by month", Corner: "Measure"}
	for _, m := range rep.Months {
		t.Head = append(t.Head, statsMonthShort(m))
	}
	t.Head = append(t.Head, "Whole period")
	for _, m := range ms {
		r := statsRow{Label: m.Label}
		for i, row := range rep.Rows {
			c := statsCellOf(m, m.Value(row))
			c.Label = t.Head[i]
			r.Cells = append(r.Cells, c)
		}
		c := statsCellOf(m, m.Value(rep.Totals))
		c.Label = "Whole period"
		r.Cells = append(r.Cells, c)
		t.Rows = append(t.Rows, r)
	}
	return t
}

// statsTotalLabel heads the last row of a chart's table: a total of counts,
// the value over the whole period of a median or share, or the count at
// the period's end of a stock.
func statsTotalLabel(cols []statsMeasure) string {
	for _, m := range cols {
		if m.Stock {
			return "End of period"
		}
		if m.Kind != kindCount {
			return "Whole period"
		}
	}
	return "Total"
}

func statsCellOf(m statsMeasure, v chartValue) statsCell {
	return statsCell{Label: m.Label, Text: statsValueText(m.Kind, v), Suppressed: v.Suppressed, Missing: v.Missing}
}

// statsValueText writes a value for a table: suppressed is "suppressed",
// never 0.
func statsValueText(k statsKind, v chartValue) string {
	switch {
	case v.Suppressed:
		return "suppressed"
	case v.Missing:
		return "no data"
	case k == kindPercent:
		return chartNumber(v.N) + "%"
	}
	return chartNumber(v.N)
}

// statsSummary says in words what one measure of a chart shows: its value
// over the period, the month it was highest, and how many months are
// suppressed.
func statsSummary(m statsMeasure, rep statsReport, period string) string {
	total := m.Value(rep.Totals)
	var b strings.Builder
	b.WriteString(m.Label + ": ")
	switch {
	case total.Suppressed:
		b.WriteString("suppressed for " + period)
	case total.Missing:
		b.WriteString("no data for " + period)
	case m.Stock:
		fmt.Fprintf(&b, "%s at the end of the period, %s", chartNumber(total.N), period)
	case m.Kind == kindCount:
		fmt.Fprintf(&b, "%s in total, %s", chartNumber(total.N), period)
	default:
		fmt.Fprintf(&b, "%s over %s", statsValueText(m.Kind, total), period)
	}
	best, suppressed, shown := -1, 0, 0
	for i, r := range rep.Rows {
		v := m.Value(r)
		switch {
		case v.Suppressed:
			suppressed++
		case !v.Missing:
			shown++
			if best < 0 || v.N > m.Value(rep.Rows[best]).N {
				best = i
			}
		}
	}
	if best >= 0 && len(rep.Rows) > 1 && m.Value(rep.Rows[best]).N > 0 {
		fmt.Fprintf(&b, "; highest in %s (%s)", statsMonthName(rep.Months[best]), statsValueText(m.Kind, m.Value(rep.Rows[best])))
	}
	if suppressed > 0 {
		fmt.Fprintf(&b, "; %d of %d %s suppressed", suppressed, len(rep.Rows), statsPlural(len(rep.Rows), "month", "months"))
	}
	b.WriteString(".")
	return b.String()
}

func statsPlural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func statsMonthName(m statistics.Month) string { return m.Month.String() + " " + strconv.Itoa(m.Year) }

func statsMonthShort(m statistics.Month) string {
	return m.Month.String()[:3] + " " + strconv.Itoa(m.Year)
}

// statisticsDownload sends the page's numbers as a file: CSV or JSON in
// the API's formats, the organisation's rows or the network's months.
func (p *Pages) statisticsDownload(c *gin.Context) {
	now := p.Service.Now()
	rep, errs, err := p.statisticsReport(c, now)
	if err != nil {
		p.fail(c, err)
		return
	}
	if len(errs) > 0 {
		var msgs []string
		for _, e := range errs {
			msgs = append(msgs, e.Message)
		}
		p.renderError(c, http.StatusUnprocessableEntity, "Check the period", strings.Join(msgs, " "))
		return
	}
	name := "referral-statistics-" + rep.From + "-to-" + rep.To
	if rep.Org != "" {
		name += "-organisation-" + rep.Org
	}
	var buf bytes.Buffer
	if strings.HasSuffix(c.Request.URL.Path, ".csv") {
		if err := rep.WriteCSV(&buf); err != nil {
			p.fail(c, err)
			return
		}
		c.Header("Content-Disposition", `attachment; filename="`+name+`.csv"`)
		c.Data(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
		return
	}
	if err := json.NewEncoder(&buf).Encode(rep.Report); err != nil {
		p.fail(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="`+name+`.json"`)
	c.Data(http.StatusOK, "application/json; charset=utf-8", buf.Bytes())
}
