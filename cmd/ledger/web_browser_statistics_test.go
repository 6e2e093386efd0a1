package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// statsTableRows reads a chart's table as the page shows it: per row, its
// heading and its cells' texts.
func statsTableRows(c *chrome, chartID string) [][]string {
	c.t.Helper()
	raw := eval[string](c, fmt.Sprintf(`JSON.stringify([...document.querySelectorAll("#%s table tbody tr")].map(
		tr => [...tr.querySelectorAll("th, td")].map(x => x.textContent.trim())))`, chartID))
	var out [][]string
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		c.t.Fatal(err)
	}
	return out
}

// statsJSONExport fetches the page's own JSON download, with the session.
func statsJSONExport(c *chrome) map[string]any {
	c.t.Helper()
	raw := eval[string](c, `fetch(document.querySelector('a[href^="/statistics.json"]').href).then(r => r.text())`,
		chromedp.EvalAwaitPromise)
	var out map[string]any
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		c.t.Fatalf("the JSON download: %v\n%s", err, raw)
	}
	return out
}

// exportText is how the page must write an exported count: suppressed for
// null, never 0.
func exportText(v any) string {
	if v == nil {
		return "suppressed"
	}
	return strconv.FormatFloat(v.(float64), 'f', -1, 64)
}

// TestWebBrowserStatistics: the coordinator opens Statistics from the
// navigation, and the referrals chart's table holds exactly the numbers of
// the JSON download, month by month and in total, suppressed counts shown
// as suppressed and drawn as no bar (R-STAT-3, R-STAT-4); a current month
// is refused with an error summary (R-STAT-5); one organisation's
// statistics; every state passes axe and fits 320 px; and it all works with
// JavaScript off (R-UI-1).
func TestWebBrowserStatistics(t *testing.T) {
	n := newStatsNetwork(t)
	c := newChrome(t, false)
	c.signIn(n.base, "admin", adminPassword)
	c.submit(`nav[aria-label="Main"] a[href="/statistics"]`)
	c.wantText("h1", "Statistics")
	c.wantText("#report-heading", "The whole network")
	c.check("statistics")

	export := statsJSONExport(c)
	rows := export["rows"].([]any)
	table := statsTableRows(c, "referrals")
	if len(table) != len(rows)+1 {
		t.Fatalf("the table has %d rows, the export %d months and a total", len(table), len(rows))
	}
	check := func(label string, got []string, want map[string]any) {
		t.Helper()
		if len(got) != 3 || got[1] != exportText(want["made"]) || got[2] != exportText(want["received"]) {
			t.Errorf("%s: the table says %v, the export made %v received %v", label, got, want["made"], want["received"])
		}
	}
	for i, r := range rows {
		check(r.(map[string]any)["month"].(string), table[i], r.(map[string]any))
	}
	check("total", table[len(rows)], export["totals"].(map[string]any))
	last := rows[len(rows)-1].(map[string]any)
	if last["month"] != n.month || last["made"] != float64(10) {
		t.Fatalf("last month in the export: %v", last)
	}
	if last["outcome_positive"] != nil {
		t.Fatalf("three referrals taken forward are published: %v", last["outcome_positive"])
	}
	outcomes := statsTableRows(c, "outcomes")
	if got := outcomes[len(rows)-1]; got[1] != "suppressed" {
		t.Errorf("the outcomes table shows a suppressed count as %q", got[1])
	}
	if bars := eval[int](c, `document.querySelectorAll("#outcomes svg.chart rect").length`); bars != 0 {
		t.Errorf("the outcomes chart draws %d bars for suppressed and zero counts", bars)
	}
	c.wantText("#outcomes-summary", "Taken forward: suppressed")
	c.wantText("#referrals-summary", "Made: 10 in total")

	// The month under way is refused as the API refuses it.
	current := time.Now().Format("2006-01")
	c.run(chromedp.SetValue(chromedp.CSS("#to-month"), current))
	c.submit(`form[action="/statistics"] button[type=submit]`)
	c.wantText(".error-summary", "There is a problem", "The last month must be a completed month")
	c.check("statistics-error")

	// One organisation, over last month alone.
	c.run(chromedp.SetValue(chromedp.CSS("#from-month"), n.month), chromedp.SetValue(chromedp.CSS("#to-month"), n.month),
		chromedp.SetValue(chromedp.CSS("#organisation"), optionValue(c, "#organisation", "Housing Trust")))
	c.submit(`form[action="/statistics"] button[type=submit]`)
	c.wantText("#report-heading", "Housing Trust")
	table = statsTableRows(c, "referrals")
	export = statsJSONExport(c)
	if r := export["rows"].([]any); len(r) != 1 || len(table) != 2 {
		t.Fatalf("one month: table %v, export %v", table, r)
	}
	check(n.month, table[0], export["rows"].([]any)[0].(map[string]any))
	c.check("statistics-organisation")

	// Without JavaScript: the form and the page as plain HTML.
	nojs := newChrome(t, true)
	nojs.signIn(n.base, "admin", adminPassword)
	nojs.visit(n.base + "/statistics")
	nojs.run(chromedp.SetValue(chromedp.CSS("#organisation"), n.orgA))
	nojs.submit(`form[action="/statistics"] button[type=submit]`)
	nojs.wantText("#report-heading", "Advice Centre")
	nojs.wantText("#referrals table", "Total")
	nojs.layoutChecks("statistics-nojs")
}
