package statistics

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(tb testing.TB, name string, got []byte) {
	tb.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		tb.Fatalf("%s differs (run with -update if the change is meant):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// sampleReport is a small period with a count to suppress, one to round,
// medians, a stock, and an organisation name a spreadsheet would run as a
// formula.
func sampleReport(by GroupBy) Report {
	feb := MonthOf(2026, time.February)
	tab := NewTable(jan, feb)
	tab.AddOrganisation("0b0e3f43-0000-4000-8000-000000000001", "Alpha Advice")
	tab.AddOrganisation("0b0e3f43-0000-4000-8000-000000000002", "=Beta, \"Housing\"")
	a, b := "0b0e3f43-0000-4000-8000-000000000001", "0b0e3f43-0000-4000-8000-000000000002"
	tab.Count(a, jan, Made, 12)
	tab.Count(b, jan, Received, 12)
	tab.Count(a, feb, Made, 3)
	tab.Count(b, feb, Received, 3)
	tab.Count(b, jan, AcknowledgedWithinTimescale, 9)
	tab.Count(b, jan, AcknowledgedLate, 3)
	for _, d := range []int{0, 1, 1, 2, 2, 2, 3, 3, 4, 5, 6, 8} {
		tab.Sample(b, jan, DaysToAcknowledge, d)
	}
	tab.Sample(b, feb, DaysToAcknowledge, 1)
	// A stock: over both months (and in the totals) it is February's 20,
	// not 30.
	tab.Count(a, jan, LockedAtMonthEnd, 10)
	tab.Count(a, feb, LockedAtMonthEnd, 20)
	rep := Publish(tab, DefaultRule(), by)
	rep.From, rep.To = "2026-01-01", "2026-02-28"
	rep.GeneratedAt = time.Date(2026, time.March, 2, 9, 30, 0, 0, time.UTC)
	return rep
}

// TestReportJSON (R-STAT-4): the JSON shape, with suppressed counts null.
func TestReportJSON(t *testing.T) {
	for _, tc := range []struct {
		name string
		by   GroupBy
	}{
		{"organisation_month", GroupBy{Organisation: true, Month: true}},
		{"organisation", GroupBy{Organisation: true}},
		{"month", GroupBy{Month: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := json.MarshalIndent(sampleReport(tc.by), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "report_"+tc.name+".json", append(got, '\n'))
		})
	}
	var body struct {
		Rows []map[string]any `json:"rows"`
	}
	data, _ := json.Marshal(sampleReport(GroupBy{Organisation: true, Month: true}))
	if err := json.Unmarshal(data, &body); err != nil {
		t.Fatal(err)
	}
	alphaFeb := body.Rows[3] // "=Beta" sorts before "Alpha"
	if v, ok := alphaFeb["made"]; !ok || v != nil {
		t.Fatalf("a suppressed count should be null: %v", alphaFeb)
	}
	if alphaFeb["month"] != "2026-02" || alphaFeb["organisation_name"] != "Alpha Advice" {
		t.Fatalf("row dimensions: %v", alphaFeb)
	}
}

// TestReportCSV (R-STAT-4): the CSV reads back as the JSON says, with "*"
// for suppressed values, a totals record, the note, and quoting.
func TestReportCSV(t *testing.T) {
	rep := sampleReport(GroupBy{Organisation: true, Month: true})
	var buf bytes.Buffer
	if err := rep.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	golden(t, "report_organisation_month.csv", buf.Bytes())
	records, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 1+len(rep.Rows)+2 {
		t.Fatalf("%d records, want header, %d rows, totals and note", len(records), len(rep.Rows))
	}
	header := records[0]
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	for i, r := range rep.Rows {
		rec := records[1+i]
		for _, ms := range Measures() {
			if got, want := rec[col[ms.String()]], r.countText(ms, "*"); got != want {
				t.Fatalf("row %d %s: %q, want %q", i, ms, got, want)
			}
		}
	}
	if got := records[1][col["organisation_name"]]; got != `'=Beta, "Housing"` {
		t.Fatalf("formula-like name written as %q", got)
	}
	if records[len(records)-2][0] != CSVTotal || !strings.HasPrefix(records[len(records)-1][0], "Note: ") {
		t.Fatalf("totals or note missing: %v", records[len(records)-2:])
	}
}
