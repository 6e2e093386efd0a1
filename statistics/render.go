package statistics

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"
)

// MarshalJSON writes the row as one flat object: organisation_id and
// organisation_name when grouped by organisation, month when grouped by
// month, then every measure and median in column order. A suppressed
// count or median, and a median of nothing, is null.
func (r Row) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	member := func(name string, value []byte) {
		if !first {
			b.WriteByte(',')
		}
		first = false
		b.WriteString(strconv.Quote(name))
		b.WriteByte(':')
		b.Write(value)
	}
	str := func(s string) []byte {
		out, _ := json.Marshal(s) // a string always marshals
		return out
	}
	if r.by.Organisation {
		member("organisation_id", str(r.OrganisationID))
		member("organisation_name", str(r.OrganisationName))
	}
	if r.by.Month {
		member("month", str(r.Month.String()))
	}
	for _, ms := range Measures() {
		member(ms.String(), []byte(r.countText(ms, "null")))
	}
	for _, md := range Medians() {
		member(md.String(), []byte(r.medianText(md, "null", "null")))
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// countText writes a count, or suppressed for a suppressed one.
func (r Row) countText(ms Measure, suppressed string) string {
	v := r.Counts[ms]
	if v.Suppressed {
		return suppressed
	}
	return strconv.Itoa(v.N)
}

// medianText writes a median, suppressed for a suppressed one and unknown
// for a median of nothing.
func (r Row) medianText(md Median, suppressed, unknown string) string {
	v := r.Medians[md]
	switch {
	case !v.Known:
		return unknown
	case v.Suppressed:
		return suppressed
	}
	return strconv.FormatFloat(v.Days, 'f', -1, 64)
}

type disclosureJSON struct {
	Enabled     bool   `json:"enabled"`
	SuppressMax int    `json:"suppress_max"`
	RoundTo     int    `json:"round_to"`
	Note        string `json:"note"`
}

type reportJSON struct {
	From        string         `json:"from"`
	To          string         `json:"to"`
	GeneratedAt string         `json:"generated_at"`
	GroupBy     []string       `json:"group_by"`
	Disclosure  disclosureJSON `json:"disclosure_control"`
	Rows        []Row          `json:"rows"`
	Totals      Row            `json:"totals"`
}

// MarshalJSON writes {from, to, generated_at, group_by, disclosure_control:
// {enabled, suppress_max, round_to, note}, rows, totals}.
func (rep Report) MarshalJSON() ([]byte, error) {
	rows := rep.Rows
	if rows == nil {
		rows = []Row{}
	}
	return json.Marshal(reportJSON{
		From: rep.From, To: rep.To, GeneratedAt: rep.GeneratedAt.UTC().Format(time.RFC3339),
		GroupBy: rep.GroupBy.Names(),
		Disclosure: disclosureJSON{Enabled: rep.Rule.Enabled, SuppressMax: rep.Rule.SuppressMax,
			RoundTo: rep.Rule.RoundTo, Note: rep.Rule.Note()},
		Rows: rows, Totals: rep.Totals,
	})
}

// CSVSuppressed marks a suppressed count or median in CSV.
const CSVSuppressed = "*"

// CSVTotal labels the totals row in the first column of a CSV report.
const CSVTotal = "Total"

// Header returns the CSV column names for the report's grouping.
func (rep Report) Header() []string {
	var h []string
	if rep.GroupBy.Organisation {
		h = append(h, "organisation_id", "organisation_name")
	}
	if rep.GroupBy.Month {
		h = append(h, DimensionMonth)
	}
	for _, ms := range Measures() {
		h = append(h, ms.String())
	}
	for _, md := range Medians() {
		h = append(h, md.String())
	}
	return h
}

// WriteCSV writes the report for a spreadsheet: a header row, one record
// per row, a totals record labelled CSVTotal in its first column, and a
// last record holding the disclosure note in its first column. Suppressed
// values are CSVSuppressed; a median of nothing is empty. Fields are
// quoted by encoding/csv, and a text field that a spreadsheet would read
// as a formula is prefixed with an apostrophe.
func (rep Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	header := rep.Header()
	if err := cw.Write(header); err != nil {
		return err
	}
	record := func(r Row) []string {
		var out []string
		if rep.GroupBy.Organisation {
			out = append(out, r.OrganisationID, spreadsheetText(r.OrganisationName))
		}
		if rep.GroupBy.Month {
			out = append(out, r.Month.String())
		}
		for _, ms := range Measures() {
			out = append(out, r.countText(ms, CSVSuppressed))
		}
		for _, md := range Medians() {
			out = append(out, r.medianText(md, CSVSuppressed, ""))
		}
		return out
	}
	for _, r := range rep.Rows {
		if err := cw.Write(record(r)); err != nil {
			return err
		}
	}
	totals := record(rep.Totals) // its dimension fields are empty
	if len(rep.GroupBy.Names()) > 0 {
		totals[0] = CSVTotal
	}
	note := make([]string, len(header))
	note[0] = "Note: " + rep.Rule.Note()
	if err := cw.WriteAll([][]string{totals, note}); err != nil {
		return err
	}
	return cw.Error()
}

// spreadsheetText defuses a text that a spreadsheet would evaluate as a
// formula (OWASP "CSV injection").
func spreadsheetText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
