package statistics

import (
	"errors"
	"strings"
	"time"
)

// GroupBy says which dimensions a report's rows keep; the others are
// added up. At least one is set.
type GroupBy struct {
	Organisation bool
	Month        bool
}

// The dimension names of GroupBy, as the API spells them.
const (
	DimensionOrganisation = "organisation"
	DimensionMonth        = "month"
)

// ErrGroupBy is returned by ParseGroupBy for anything but organisation,
// month or both.
var ErrGroupBy = errors.New("statistics: group_by must list organisation, month or both, comma-separated")

// ParseGroupBy reads a comma-separated list of dimensions; empty means
// both. Errors: ErrGroupBy.
func ParseGroupBy(s string) (GroupBy, error) {
	if strings.TrimSpace(s) == "" {
		return GroupBy{Organisation: true, Month: true}, nil
	}
	var g GroupBy
	for _, part := range strings.Split(s, ",") {
		switch strings.TrimSpace(part) {
		case DimensionOrganisation:
			g.Organisation = true
		case DimensionMonth:
			g.Month = true
		default:
			return GroupBy{}, ErrGroupBy
		}
	}
	return g, nil
}

// Names lists the dimensions kept, organisation first.
func (g GroupBy) Names() []string {
	out := []string{}
	if g.Organisation {
		out = append(out, DimensionOrganisation)
	}
	if g.Month {
		out = append(out, DimensionMonth)
	}
	return out
}

// Value is a published count: rounded, or suppressed and then unknown.
type Value struct {
	N          int
	Suppressed bool
}

// MedianValue is a published median number of working days. Known is
// false when there was nothing to take a median of.
type MedianValue struct {
	Days       float64
	Known      bool
	Suppressed bool
}

// Row is one published row: an organisation in a month, an organisation
// over the period, a month over every organisation, or (Totals) the whole
// period over every organisation.
type Row struct {
	OrganisationID   string // empty unless grouped by organisation
	OrganisationName string
	Month            Month // zero unless grouped by month
	Counts           [measureCount]Value
	Medians          [medianCount]MedianValue

	by GroupBy // which dimensions the row has
}

// Count returns the published value of measure m.
func (r Row) Count(m Measure) Value { return r.Counts[m] }

// Median returns the published value of median m.
func (r Row) Median(m Median) MedianValue { return r.Medians[m] }

// Report is what may leave the system: rows and totals after disclosure
// control. From, To and GeneratedAt are the caller's to set; Publish
// leaves them zero.
type Report struct {
	From        string    // first day of the period, YYYY-MM-DD
	To          string    // last day of the period, included
	GeneratedAt time.Time // when the report was made: Overdue is as of then
	GroupBy     GroupBy
	Rule        Rule
	Rows        []Row
	Totals      Row
}

// Publish applies rule to the table and returns the rows grouped by by:
// organisations by name then months in order. Totals cover every
// organisation and month of the table. Disclosure control is decided on
// the full table with all its totals, as Rule describes, so the same
// period grouped another way suppresses the same counts. A stock measure
// (Measure.Stock) is not added up over months: a row over several months,
// and the totals, show it at the end of the last month.
func Publish(t *Table, rule Rule, by GroupBy) Report {
	orgs, months := t.Organisations(), t.Months()
	nm := len(months) + 1 // columns per organisation: the months, then their total
	allOrgs := len(orgs)  // the row index of the totals over organisations
	pos := func(o, m int) int { return o*nm + m }
	cells := make([]Cell, (len(orgs)+1)*nm)
	for o, org := range orgs {
		for m, month := range months {
			c := t.Cell(org.ID, month)
			cells[pos(o, m)] = c
			cells[pos(o, len(months))].Add(c)
			cells[pos(allOrgs, m)].Add(c)
			cells[pos(allOrgs, len(months))].Add(c)
		}
	}

	id := func(p int, ms Measure) int { return p*int(measureCount) + int(ms) }
	values := make([]int, len(cells)*int(measureCount))
	for p, c := range cells {
		for ms, v := range c.Counts {
			values[id(p, Measure(ms))] = v
		}
	}
	// A stock over the months is its value at the end of the last one,
	// for every organisation and for the network.
	last := len(months) - 1
	for _, ms := range Measures() {
		if !ms.Stock() || last < 0 {
			continue
		}
		for o := range allOrgs + 1 {
			values[id(pos(o, len(months)), ms)] = values[id(pos(o, last), ms)]
		}
	}
	s := newSuppression(values)
	for _, ms := range Measures() {
		if ms.Stock() {
			// Only the organisations add up: each column (a month, and the
			// period, which repeats the last month) is a group, and the
			// period's count equals the last month's, so each pair of them
			// is one too: one suppressed gives the other away.
			for m := range nm {
				col := make([]int, allOrgs+1)
				for o := range col {
					col[o] = id(pos(o, m), ms)
				}
				s.sum(col...)
			}
			for o := range allOrgs + 1 {
				if last >= 0 {
					s.group(id(pos(o, last), ms), id(pos(o, len(months)), ms))
				}
			}
			continue
		}
		// Organisations by months, the totals last: every row and column is
		// a sum.
		grid := make([][]int, allOrgs+1)
		for o := range grid {
			grid[o] = make([]int, nm)
			for m := range nm {
				grid[o][m] = id(pos(o, m), ms)
			}
		}
		s.grid(grid)
	}
	for p := range cells {
		for _, rel := range identities() {
			g := make([]int, len(rel))
			for i, ms := range rel {
				g[i] = id(p, ms)
			}
			s.group(g...)
		}
	}
	for m := range nm {
		for _, rel := range networkIdentities() {
			g := make([]int, len(rel))
			for i, ms := range rel {
				g[i] = id(pos(allOrgs, m), ms)
			}
			s.group(g...)
		}
	}
	s.run(rule)

	row := func(o, m int, rowBy GroupBy) Row {
		p := pos(o, m)
		r := Row{by: rowBy}
		if rowBy.Organisation {
			r.OrganisationID, r.OrganisationName = orgs[o].ID, orgs[o].Name
		}
		if rowBy.Month {
			r.Month = months[m]
		}
		for ms := range r.Counts {
			i := id(p, Measure(ms))
			if s.suppressed[i] {
				r.Counts[ms] = Value{Suppressed: true}
			} else {
				r.Counts[ms] = Value{N: rule.round(values[i])}
			}
		}
		for md, samples := range cells[p].Samples {
			v, ok := samples.Median()
			switch {
			case !ok:
			case rule.primary(samples.Len()):
				r.Medians[md] = MedianValue{Known: true, Suppressed: true}
			default:
				r.Medians[md] = MedianValue{Days: v, Known: true}
			}
		}
		return r
	}
	rep := Report{GroupBy: by, Rule: rule, Rows: []Row{}}
	switch {
	case by.Organisation && by.Month:
		for o := range orgs {
			for m := range months {
				rep.Rows = append(rep.Rows, row(o, m, by))
			}
		}
	case by.Organisation:
		for o := range orgs {
			rep.Rows = append(rep.Rows, row(o, len(months), by))
		}
	case by.Month:
		for m := range months {
			rep.Rows = append(rep.Rows, row(allOrgs, m, by))
		}
	}
	rep.Totals = row(allOrgs, len(months), GroupBy{})
	return rep
}
