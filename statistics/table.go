package statistics

import (
	"slices"
	"strings"
)

// Table is the raw, exact statistics of a period: a Cell per organisation
// and month. It is never shown as it is; Publish turns it into a Report
// under a disclosure Rule. A Table is not safe for concurrent use.
type Table struct {
	months []Month
	index  map[Month]int
	orgs   map[string]string // organisation id → name
	cells  map[cellKey]*Cell
}

type cellKey struct {
	org   string
	month Month
}

// Organisation is an organisation as a table names it.
type Organisation struct {
	ID   string
	Name string
}

// NewTable returns an empty table of the months from from to to, both
// included.
func NewTable(from, to Month) *Table {
	t := &Table{months: MonthsBetween(from, to), index: map[Month]int{}, orgs: map[string]string{}, cells: map[cellKey]*Cell{}}
	for i, m := range t.months {
		t.index[m] = i
	}
	return t
}

// Months lists the table's months in order.
func (t *Table) Months() []Month { return slices.Clone(t.months) }

// AddOrganisation makes sure the table has a row for the organisation, with
// zero counts unless some are added, and sets its name when name is not
// empty.
func (t *Table) AddOrganisation(id, name string) {
	if old, ok := t.orgs[id]; !ok || name != "" {
		if name == "" {
			name = old
		}
		t.orgs[id] = name
	}
}

// Organisations lists the table's organisations by name (ignoring case),
// then id.
func (t *Table) Organisations() []Organisation {
	out := make([]Organisation, 0, len(t.orgs))
	for id, name := range t.orgs {
		out = append(out, Organisation{ID: id, Name: name})
	}
	slices.SortFunc(out, func(a, b Organisation) int {
		if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// Count adds n to a measure of the organisation's cell for month. A month
// outside the table is ignored.
func (t *Table) Count(org string, month Month, m Measure, n int) {
	if c := t.cell(org, month); c != nil && m >= 0 && m < measureCount {
		c.Counts[m] += n
	}
}

// Sample records a number of working days for a median of the
// organisation's cell for month. A month outside the table is ignored.
func (t *Table) Sample(org string, month Month, m Median, days int) {
	if c := t.cell(org, month); c != nil && m >= 0 && m < medianCount {
		c.Samples[m].Add(days)
	}
}

// Cell returns a copy of the organisation's cell for month: zero when
// nothing was counted there.
func (t *Table) Cell(org string, month Month) Cell {
	var out Cell
	if c := t.cells[cellKey{org, month}]; c != nil {
		out.Add(*c) // a deep copy: the samples are not shared
	}
	return out
}

func (t *Table) cell(org string, month Month) *Cell {
	if _, ok := t.index[month]; !ok {
		return nil
	}
	t.AddOrganisation(org, "")
	k := cellKey{org, month}
	c := t.cells[k]
	if c == nil {
		c = &Cell{}
		t.cells[k] = c
	}
	return c
}
