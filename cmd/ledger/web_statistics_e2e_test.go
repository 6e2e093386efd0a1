package main

// The coordinator's statistics page (R-STAT-1..5) through plain HTTP: the
// same numbers as GET /v1/statistics, after the same disclosure control,
// over completed months only.

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	ledgernode "github.com/referral-ledger/ledger/node"
)

// statsClock is the node's clock in the statistics tests: the real time
// moved by an offset, so that referrals can be made in a month that has
// ended and then reported on (R-STAT-5).
type statsClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *statsClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *statsClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset = time.Until(t)
}

// statsNetwork is a web network whose referrals were made last month.
type statsNetwork struct {
	*webNetwork
	month string // last month, YYYY-MM: the one completed month with referrals
}

// Made last month: nine referrals from Advice Centre to Housing Trust, all
// acknowledged the day they were made, three of them closed as taken
// forward. Under the default disclosure control the nine are published as
// 10, and the three closed (1 to 7) are suppressed.
const (
	statsReferrals = 9
	statsClosed    = 3
)

// newStatsNetwork starts a node whose clock stands in the middle of last
// month while the network is set up and the referrals are made, then
// returns to now: last month is then a completed month the statistics may
// cover.
func newStatsNetwork(t *testing.T) *statsNetwork {
	t.Helper()
	now := time.Now().UTC()
	past := time.Date(now.Year(), now.Month()-1, 15, 12, 0, 0, 0, time.UTC)
	clock := &statsClock{}
	clock.set(past)
	withNodeOptions(t, ledgernode.WithClock(clock.Now))
	n := &statsNetwork{webNetwork: newWebNetwork(t), month: past.Format("2006-01")}
	ann, ben := n.signIn(t, "ann", annPassword), n.signIn(t, "ben", benPassword)
	for i := range statsReferrals {
		id := n.must(t, 201, "POST", "/v1/referrals", ann, map[string]any{"to_organisation_id": n.orgB, "urgent": false,
			"client": map[string]string{"name": "Client Person"}, "reason": "rent arrears",
			"consent": map[string]any{"method": "written", "confirmed": true}, "privacy_notice_given": true})["id"].(string)
		n.must(t, 200, "POST", "/v1/referrals/"+id+"/acknowledgement", ben, map[string]any{})
		if i < statsClosed {
			n.must(t, 200, "POST", "/v1/referrals/"+id+"/closure", ben, map[string]any{"outcome": "positive", "comment": "tenancy saved"})
		}
	}
	clock.set(time.Now())
	n.admin = n.signIn(t, "admin", adminPassword) // the session of last month has lapsed
	return n
}

// apiStatistics is GET /v1/statistics as JSON, for the coordinator.
func (n *statsNetwork) apiStatistics(t *testing.T, query string) map[string]any {
	t.Helper()
	return n.must(t, 200, "GET", "/v1/statistics"+query, n.admin, nil)
}

// decodeJSON reads a page's JSON download.
func decodeJSON(t *testing.T, p page) map[string]any {
	t.Helper()
	var out map[string]any
	if err := json.NewDecoder(bytes.NewReader([]byte(p.body))).Decode(&out); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, p.body)
	}
	return out
}

// TestWebStatisticsSameAsAPI_STAT3: the page's downloads hold exactly the
// API's numbers: the network's months are GET /v1/statistics grouped by
// month, an organisation's are its rows of the report grouped by
// organisation and month (suppression decided on the whole table, R-STAT-3),
// its total its row grouped by organisation. Suppressed counts are null in
// JSON, * in CSV, "suppressed" on the page, never 0.
func TestWebStatisticsSameAsAPI_STAT3(t *testing.T) {
	n := newStatsNetwork(t)
	b := n.browser(t)
	b.signIn("admin", adminPassword, "/")
	q := "?from=" + n.month + "&to=" + n.month

	got := decodeJSON(t, b.get("/statistics.json"+q))
	api := n.apiStatistics(t, q+"&group_by=month")
	for _, k := range []string{"rows", "totals", "from", "to", "disclosure_control"} {
		if !reflect.DeepEqual(got[k], api[k]) {
			t.Errorf("the network's %s: page %v, API %v", k, got[k], api[k])
		}
	}
	row := got["rows"].([]any)[0].(map[string]any)
	if row["made"] != float64(10) || row["received"] != float64(10) || row["outcome_positive"] != nil {
		t.Errorf("made %v received %v outcome_positive %v: want 10, 10 and suppressed (null)", row["made"], row["received"], row["outcome_positive"])
	}

	got = decodeJSON(t, b.get("/statistics.json"+q+"&organisation="+n.orgB))
	api = n.apiStatistics(t, q+"&group_by=organisation,month")
	var want []any
	for _, r := range api["rows"].([]any) {
		if r.(map[string]any)["organisation_id"] == n.orgB {
			want = append(want, r)
		}
	}
	if !reflect.DeepEqual(got["rows"], want) || len(want) != 1 {
		t.Errorf("Housing Trust's rows: page %v, API %v", got["rows"], want)
	}
	for _, r := range n.apiStatistics(t, q+"&group_by=organisation")["rows"].([]any) {
		if r.(map[string]any)["organisation_id"] == n.orgB && !reflect.DeepEqual(got["totals"], r) {
			t.Errorf("Housing Trust's total: page %v, API %v", got["totals"], r)
		}
	}

	csv := b.get("/statistics.csv" + q + "&organisation=" + n.orgB)
	wantStatus(t, csv, http.StatusOK, "organisation_id,organisation_name,month,made,received", ",*,")
	if cd := csv.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, ".csv") {
		t.Errorf("the CSV download's Content-Disposition %q", cd)
	}
	if ct := csv.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("the CSV download's Content-Type %q", ct)
	}

	p := b.get("/statistics" + q + "&organisation=" + n.orgB)
	wantStatus(t, p, http.StatusOK, "Housing Trust: ", `role="img"`, `aria-labelledby="chart-referrals-title chart-referrals-desc"`,
		`href="/statistics.csv?from=`+n.month, `class="stats-number stats-suppressed">suppressed</td>`)
	if strings.Contains(p.body, "style=") {
		t.Error("the page has a style attribute, which the CSP blocks")
	}
}

// TestWebStatisticsPeriod_STAT5: the period is checked as the API checks
// it: the current month is refused with the API's words, in an error
// summary linked to the field; no period shows the last twelve completed
// months; an unknown organisation is refused.
func TestWebStatisticsPeriod_STAT5(t *testing.T) {
	n := newStatsNetwork(t)
	b := n.browser(t)
	b.signIn("admin", adminPassword, "/")
	current := time.Now().Format("2006-01")
	status, problem := n.call(t, "GET", "/v1/statistics?to="+current, n.admin, nil)
	if status != http.StatusUnprocessableEntity {
		t.Fatalf("the API takes the current month: %d", status)
	}
	msg := problem["errors"].([]any)[0].(map[string]any)["message"].(string)
	p := b.get("/statistics?to=" + current)
	wantStatus(t, p, http.StatusUnprocessableEntity, "There is a problem", `href="#to-month"`, "The last month "+msg,
		`value="`+current+`"`, "<title>Error: Statistics")
	if strings.Contains(p.body, `role="img"`) {
		t.Error("a refused period still draws charts")
	}
	wantStatus(t, b.get("/statistics?from=2026-13"), http.StatusUnprocessableEntity, `href="#from-month"`)
	wantStatus(t, b.get("/statistics.json?to="+current), http.StatusUnprocessableEntity, "completed month")
	wantStatus(t, b.get("/statistics?organisation=00000000-0000-4000-8000-000000000000"), http.StatusUnprocessableEntity,
		`href="#organisation"`)

	api := n.apiStatistics(t, "")
	p = b.get("/statistics")
	wantStatus(t, p, http.StatusOK, `value="`+api["from"].(string)[:7]+`"`, `value="`+n.month+`"`, "The whole network: ")
}

// TestWebStatisticsExact_STAT3: with disclosure control switched off the
// page shows the exact counts, says in bold they must not be published,
// and takes any days up to today, as the API does.
func TestWebStatisticsExact_STAT3(t *testing.T) {
	t.Setenv("LEDGER_STATISTICS_DISCLOSURE_CONTROL", "false")
	n := newStatsNetwork(t)
	b := n.browser(t)
	b.signIn("admin", adminPassword, "/")
	from, to := n.month+"-01", time.Now().Format("2006-01-02")
	p := b.get("/statistics?from=" + from + "&to=" + to)
	wantStatus(t, p, http.StatusOK, "Do not publish them", `value="`+from+`"`, `value="`+to+`"`,
		"Made: 9 in total", "Taken forward: 3 in total")
	got := decodeJSON(t, b.get("/statistics.json?from="+from+"&to="+to))
	api := n.apiStatistics(t, "?from="+from+"&to="+to+"&group_by=month")
	if !reflect.DeepEqual(got["rows"], api["rows"]) || !reflect.DeepEqual(got["totals"], api["totals"]) {
		t.Errorf("exact statistics: page %v, API %v", got, api)
	}
	if tot := got["totals"].(map[string]any); tot["made"] != float64(statsReferrals) || tot["outcome_positive"] != float64(statsClosed) {
		t.Errorf("exact totals %v", tot)
	}
}
