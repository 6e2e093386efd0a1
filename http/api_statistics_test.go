package http

// Behaviour tests of GET /v1/statistics (R-STAT-1..4) on a real node.

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/statistics"
)

// exactStatistics turns disclosure control off, so tests can check counts.
var exactStatistics = withDisclosure(statistics.Rule{Enabled: false, SuppressMax: 7, RoundTo: 1})

// statisticsBody is GET /v1/statistics as JSON; counts and medians are
// nil when suppressed.
type statisticsBody struct {
	From              string   `json:"from"`
	To                string   `json:"to"`
	GeneratedAt       string   `json:"generated_at"`
	GroupBy           []string `json:"group_by"`
	DisclosureControl struct {
		Enabled     bool   `json:"enabled"`
		SuppressMax int    `json:"suppress_max"`
		RoundTo     int    `json:"round_to"`
		Note        string `json:"note"`
	} `json:"disclosure_control"`
	Rows   []map[string]any `json:"rows"`
	Totals map[string]any   `json:"totals"`
}

// row returns the row of an organisation (and month, unless ""), failing
// the test if there is none.
func (b statisticsBody) row(tb testing.TB, org, month string) map[string]any {
	tb.Helper()
	for _, r := range b.Rows {
		if (org == "" || r["organisation_id"] == org) && (month == "" || r["month"] == month) {
			return r
		}
	}
	tb.Fatalf("no row for organisation %q, month %q in %v", org, month, b.Rows)
	return nil
}

func (n *network) statistics(tb testing.TB, query string) statisticsBody {
	tb.Helper()
	r := want(tb, n.do(tb, http.MethodGet, "/v1/statistics"+query, n.Admin.Token, nil), http.StatusOK)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		tb.Fatalf("Content-Type %q", ct)
	}
	var b statisticsBody
	decodeInto(tb, r, &b)
	return b
}

// count reads a published count: -1 when suppressed (null).
func count(tb testing.TB, row map[string]any, measure string) int {
	tb.Helper()
	v, ok := row[measure]
	if !ok {
		tb.Fatalf("row lacks %s: %v", measure, row)
	}
	if v == nil {
		return -1
	}
	return int(v.(float64))
}

// TestStatisticsAreForTheCoordinator: 401 without a session, 403 for
// every role but coordinator, whatever the query.
func TestStatisticsAreForTheCoordinator(t *testing.T) {
	n := newNetwork(t)
	n.do(t, http.MethodGet, "/v1/statistics", "", nil).problem(t, http.StatusUnauthorized)
	for _, u := range []testUser{n.AdviserA, n.LeadA, n.Auditor, n.TeamManager, n.HelpdeskB} {
		for _, q := range []string{"", "?format=csv", "?from=nonsense"} {
			n.do(t, http.MethodGet, "/v1/statistics"+q, u.Token, nil).problem(t, http.StatusForbidden)
		}
	}
	want(t, n.do(t, http.MethodGet, "/v1/statistics", n.Admin.Token, nil), http.StatusOK)
}

// TestStatisticsQuery: the period, grouping and format are checked, and
// default to the last twelve completed months (R-STAT-5), both dimensions
// and JSON.
func TestStatisticsQuery(t *testing.T) {
	n := newNetwork(t)
	for _, tc := range []struct {
		query, field string
	}{
		{"?from=2026-1", "from"},
		{"?from=2026-02-30", "from"},
		{"?to=December", "to"},
		{"?from=2026-06&to=2026-05-31", "to"},
		{"?from=2016-01&to=2026-11", "from"},
		{"?group_by=client", "group_by"},
		{"?group_by=organisation,", "group_by"},
		{"?format=xlsx", "format"},
		// A parameter given twice is ambiguous: named, not the first taken.
		{"?from=2026-01&from=2026-03", "from"},
		{"?to=2026-10&to=2026-11", "to"},
		{"?group_by=month&group_by=organisation", "group_by"},
		{"?format=csv&format=json", "format"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			n.do(t, http.MethodGet, "/v1/statistics"+tc.query, n.Admin.Token, nil).invalid(t, tc.field)
		})
	}
	t.Run("Defaults", func(t *testing.T) {
		b := n.statistics(t, "")
		// The clock says Monday 14 December 2026.
		if b.From != "2025-12-01" || b.To != "2026-11-30" || !slices.Equal(b.GroupBy, []string{"organisation", "month"}) {
			t.Fatalf("from %s to %s by %v", b.From, b.To, b.GroupBy)
		}
		if !b.DisclosureControl.Enabled || b.DisclosureControl.SuppressMax != 7 || b.DisclosureControl.RoundTo != 5 || b.DisclosureControl.Note == "" {
			t.Fatalf("disclosure control by default: %+v", b.DisclosureControl)
		}
		orgs := len(n.Server.Orgs.Directory(n.Clock.Now()))
		if len(b.Rows) != orgs*12 {
			t.Fatalf("%d rows, want a row per organisation (%d) and month (12)", len(b.Rows), orgs)
		}
	})
	t.Run("WholeMonths", func(t *testing.T) {
		b := n.statistics(t, "?from=2026-02&to=2026-02&group_by=month")
		if b.From != "2026-02-01" || b.To != "2026-02-28" || len(b.Rows) != 1 || b.Rows[0]["month"] != "2026-02" {
			t.Fatalf("February: %+v", b)
		}
		if _, ok := b.Rows[0]["organisation_id"]; ok {
			t.Fatalf("grouped by month only, a row names an organisation: %v", b.Rows[0])
		}
		b = n.statistics(t, "?from=2026-10&to=2026-11&group_by=organisation")
		if b.From != "2026-10-01" || b.To != "2026-11-30" {
			t.Fatalf("months: %s to %s", b.From, b.To)
		}
		if _, ok := b.Rows[0]["month"]; ok {
			t.Fatalf("grouped by organisation only, a row names a month: %v", b.Rows[0])
		}
	})
}

// TestStatisticsJSONAndCSV (R-STAT-1, R-STAT-4): counts through the real
// router, right after the writes (read your writes), as JSON and as a CSV
// a spreadsheet can open, which reads back to the same numbers.
func TestStatisticsJSONAndCSV(t *testing.T) {
	n := newNetwork(t, exactStatistics) // the network has one referral A → B
	second := n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client Two")
	urgent := validReferral(n.OrgB, "Client Three")
	urgent["urgent"] = true
	third := n.makeReferralWith(t, n.AdviserA.Token, urgent)
	n.makeReferral(t, n.AdviserB.Token, n.OrgC, "Client Four")
	for _, id := range []string{n.Referral, second, third} {
		want(t, n.do(t, http.MethodPost, "/v1/referrals/"+id+"/acknowledgement", n.AdviserB.Token, map[string]any{}), http.StatusOK)
	}
	want(t, n.do(t, http.MethodPost, "/v1/referrals/"+n.Referral+"/closure", n.AdviserB.Token,
		map[string]any{"outcome": "positive", "comment": "Housed."}), http.StatusOK)
	n.Clock.Advance(8 * 24 * time.Hour) // 22 December: the open ones are overdue

	b := n.statistics(t, "?from=2026-12&to=2026-12")
	a, bee, c := b.row(t, n.OrgA, "2026-12"), b.row(t, n.OrgB, "2026-12"), b.row(t, n.OrgC, "2026-12")
	if a["organisation_name"] != "Alpha Advice" {
		t.Fatalf("organisation name: %v", a)
	}
	for _, tc := range []struct {
		row     map[string]any
		measure string
		want    int
	}{
		{a, "made", 3}, {a, "received", 0},
		{bee, "made", 1}, {bee, "received", 3}, {bee, "urgent", 1},
		{bee, "acknowledged_within_timescale", 3}, {bee, "acknowledged_late", 0},
		{bee, "outcome_positive", 1}, {bee, "closed_within_timescale", 1},
		{bee, "overdue", 2}, {c, "received", 1}, {c, "overdue", 1},
		{b.Totals, "made", 4}, {b.Totals, "received", 4},
	} {
		if got := count(t, tc.row, tc.measure); got != tc.want {
			t.Errorf("%s of %v = %d, want %d", tc.measure, tc.row["organisation_name"], got, tc.want)
		}
	}
	if bee["median_working_days_to_acknowledge"] != 0.0 || bee["median_working_days_to_close"] != 0.0 {
		t.Errorf("medians: acknowledged and closed the day made: %v", bee)
	}

	r := want(t, n.do(t, http.MethodGet, "/v1/statistics?from=2026-12&to=2026-12&format=csv", n.Admin.Token, nil), http.StatusOK)
	if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Fatalf("Content-Type %q", ct)
	}
	if cd := r.Header.Get("Content-Disposition"); cd != `attachment; filename="referral-statistics-2026-12-01-to-2026-12-31.csv"` {
		t.Fatalf("Content-Disposition %q", cd)
	}
	records, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v\n%s", err, r.Body)
	}
	header := records[0]
	if header[0] != "organisation_id" || header[1] != "organisation_name" || header[2] != "month" || header[3] != "made" {
		t.Fatalf("header %v", header)
	}
	if len(records) != 1+len(b.Rows)+2 {
		t.Fatalf("%d records for %d rows", len(records), len(b.Rows))
	}
	for i, rec := range records[1 : 1+len(b.Rows)] {
		row := b.row(t, rec[0], rec[2])
		for j, name := range header {
			got := rec[j]
			var want string
			switch v := row[name].(type) {
			case nil:
				want = ""
			case float64:
				want = strconv.FormatFloat(v, 'f', -1, 64)
			case string:
				want = v
			}
			if got != want {
				t.Fatalf("record %d, %s: CSV %q, JSON %q", i+1, name, got, want)
			}
		}
	}
	if total := records[len(records)-2]; total[0] != "Total" || total[3] != "4" {
		t.Fatalf("totals record %v", total)
	}
}

// TestStatisticsDisclosureControl (R-STAT-3) through the router: by
// default no published count is from 1 to 7, every count is a multiple of
// 5, and CSV marks suppressed counts with "*".
func TestStatisticsDisclosureControl(t *testing.T) {
	n := newNetwork(t) // one referral A → B already
	for i := range 8 {
		n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client "+strconv.Itoa(i))
	}
	n.makeReferral(t, n.AdviserA.Token, n.OrgC, "Client C")
	n.Clock.Set(time.Date(2027, time.January, 4, 9, 0, 0, 0, time.UTC)) // December is complete (R-STAT-5)
	b := n.statistics(t, "?from=2026-12&to=2026-12")
	suppressed := 0
	for _, row := range append(b.Rows, b.Totals) {
		for _, ms := range statistics.Measures() {
			v := count(t, row, ms.String())
			if v == -1 {
				suppressed++
				continue
			}
			if (v >= 1 && v <= 7) || v%5 != 0 {
				t.Fatalf("%s published as %d: %v", ms, v, row)
			}
		}
	}
	if a := b.row(t, n.OrgA, ""); count(t, a, "made") != 10 {
		t.Fatalf("A made 10 (10 exactly): %v", a)
	}
	if c := b.row(t, n.OrgC, ""); count(t, c, "received") != -1 {
		t.Fatalf("C received 1, which must be suppressed: %v", c)
	}
	if suppressed == 0 {
		t.Fatal("nothing suppressed")
	}
	r := want(t, n.do(t, http.MethodGet, "/v1/statistics?from=2026-12&to=2026-12&format=csv&group_by=organisation", n.Admin.Token, nil), http.StatusOK)
	if !bytes.Contains(r.Body, []byte(",*,")) || !bytes.Contains(r.Body, []byte("Note: Counts from 1 to 7 are suppressed")) {
		t.Fatalf("CSV without * or the note:\n%s", r.Body)
	}
}

// TestStatisticsUnchangedByErasure (R-PRIV-3, R-STAT-2): carrying out an
// erasure leaves every statistic as it was; the request itself counts.
func TestStatisticsUnchangedByErasure(t *testing.T) {
	n := newNetwork(t, exactStatistics)
	want(t, n.do(t, http.MethodPost, "/v1/referrals/"+n.Referral+"/acknowledgement", n.AdviserB.Token, map[string]any{}), http.StatusOK)
	client := n.clientOf(t, n.Referral)
	req := want(t, n.requestErasure(t, n.AdviserA.Token, client, "The client asked."), http.StatusCreated).str("id")

	body := func() []byte {
		r := want(t, n.do(t, http.MethodGet, "/v1/statistics?from=2026-12&to=2026-12", n.Admin.Token, nil), http.StatusOK)
		return r.Body
	}
	before := body()
	var b statisticsBody
	if err := json.Unmarshal(before, &b); err != nil {
		t.Fatal(err)
	}
	if count(t, b.row(t, n.OrgA, ""), "erasure_requests") != 1 || count(t, b.Totals, "made") != 1 {
		t.Fatalf("before the erasure: %s", before)
	}
	want(t, n.decideErasure(t, n.Admin.Token, req, true, ""), http.StatusOK)
	if got := n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserA.Token, nil); got.get("client", "erased") != true {
		t.Fatalf("the client is not erased: %s", got.Body)
	}
	if after := body(); !bytes.Equal(after, before) {
		t.Fatalf("the erasure changed the statistics:\nbefore %s\nafter  %s", before, after)
	}
}
