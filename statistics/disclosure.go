package statistics

import (
	"errors"
	"fmt"
)

// Rule is the statistical disclosure control applied to published counts
// (R-STAT-3). The default is NHS Digital's rule for published counts:
// counts from 1 to 7 are suppressed and every other count is rounded to
// the nearest 5, 0 being shown as 0.
//
// The method, as Publish applies it:
//
//  1. Totals (per organisation over the months, per month over the
//     organisations, and overall) are computed from the exact counts,
//     never by adding rounded ones. A stock (Measure.Stock) is added up
//     over organisations only: its value over the months is the last
//     month's.
//  2. Primary suppression: every count, totals included, from 1 to
//     SuppressMax is suppressed. So is a count whose rounded value would be
//     SuppressMax or less (possible only when RoundTo > SuppressMax+1), so
//     that no published count is ever between 1 and SuppressMax.
//  3. Secondary suppression: a count is recoverable by subtraction when it
//     is the only suppressed one in a group of counts bound by an exact sum:
//     an organisation's months and its total, a month's organisations and
//     its total, the totals and the overall total, and the identities
//     between measures (outcomes and closures within or after the timescale
//     both add up to the referrals closed; over the whole network, made
//     equals received). A stock's groups are each month's (and the
//     period's) organisations and their total, and each organisation's
//     value over the period with its last month's, which it equals. While
//     any group has exactly one suppressed count, the smallest non-zero
//     published count of that group is suppressed too (a zero only when
//     there is no other). Beyond one group at a time, the
//     rows and columns of a measure's organisation × month table can be
//     solved together: a suppressed count is safe only if it lies on a
//     cycle of suppressed counts (row, column, row, …), so while one lies
//     on none the smallest published count of its row or column is
//     suppressed as well. A published count is known to be one of the
//     counts that round to it (and above SuppressMax), so a published
//     total less the other counts of its sum bounds the suppressed ones
//     from above; while that bound, at least 1 being left for each of the
//     others suppressed, is below SuppressMax for one of them, the
//     smallest published count of the sum is suppressed as well (see
//     narrowed). Suppression is decided on the full organisation ×
//     month table of the period, whatever the grouping asked for, so that
//     the views of one period cannot be subtracted from one another either.
//  4. Every published count is rounded to the nearest RoundTo, halves up.
//
// Rounding is what protects against differencing reports of overlapping
// periods, which no cell suppression can prevent, and against equations
// that mix measures (the identities above taken together with the
// tables), which step 3 handles only one group at a time: with RoundTo 1
// and suppression on, such combinations can on rare tables pin a
// suppressed count, so keep rounding on for anything published. It limits
// differencing, and does not rule it out: totals over several months are
// each rounded from their exact sums, so many overlapping periods' totals
// can still narrow a suppressed month down (docs/statistics.md advises
// publishing a fixed set of periods that do not overlap).
//
// A median is not a count and is published as it is, unless the number of
// referrals it rests on is from 1 to SuppressMax, when it is suppressed.
//
// With Enabled false every count and median is exact: such a report is for
// the coordinator's own use and must not be published.
//
// With Enabled true a report also covers whole, completed calendar months
// only (R-STAT-5; see Rule.LastMonth): rounding cannot stop a day-by-day or
// growing period being subtracted from a longer one, whole past months can.
type Rule struct {
	Enabled     bool
	SuppressMax int // counts from 1 to SuppressMax are suppressed; 0 suppresses none
	RoundTo     int // published counts are rounded to the nearest multiple; 1 leaves them exact
	// IncludeCurrentMonth lets a report under disclosure control include
	// the current month so far, for the network's own dashboards. Such a
	// report is not for publication: the month grows, and successive
	// figures for it can be subtracted.
	IncludeCurrentMonth bool
}

// DefaultRule returns NHS Digital's rule: suppress 1–7, round to 5.
func DefaultRule() Rule { return Rule{Enabled: true, SuppressMax: 7, RoundTo: 5} }

// Validate reports a rule that cannot be applied: RoundTo below 1 or
// SuppressMax below 0, whether or not the rule is enabled.
func (r Rule) Validate() error {
	var errs []error
	if r.RoundTo < 1 {
		errs = append(errs, fmt.Errorf("statistics: round_to must be at least 1 (got %d)", r.RoundTo))
	}
	if r.SuppressMax < 0 {
		errs = append(errs, fmt.Errorf("statistics: suppress_max must not be negative (got %d)", r.SuppressMax))
	}
	return errors.Join(errs...)
}

// Note explains the rule in a sentence or two for the readers of a report.
func (r Rule) Note() string {
	if !r.Enabled {
		return "Disclosure control is off: counts and medians are exact and may identify people. Do not publish."
	}
	return fmt.Sprintf("Counts from 1 to %d are suppressed (null in JSON, * in CSV); other counts are rounded to the nearest %d, "+
		"0 is shown as 0. Where a total would let a suppressed count be worked out by subtraction, a further count is suppressed. "+
		"Totals are computed from exact counts, so rounded rows need not add up to them. "+
		"A median resting on 1 to %d referrals is suppressed.", r.SuppressMax, r.RoundTo, r.SuppressMax) + r.monthNote()
}

// monthNote warns, where the current month may be reported, that such a
// report is not for publication.
func (r Rule) monthNote() string {
	if !r.IncludeCurrentMonth {
		return ""
	}
	return " This network may include the current month so far: a report that does is for its own use, not for publication."
}

// primary reports whether an exact count v must be suppressed on its own.
func (r Rule) primary(v int) bool {
	if !r.Enabled || v <= 0 {
		return false
	}
	return v <= r.SuppressMax || r.round(v) <= r.SuppressMax
}

// round rounds v to the nearest multiple of RoundTo, halves up.
func (r Rule) round(v int) int {
	if !r.Enabled || r.RoundTo <= 1 {
		return v
	}
	return (v + r.RoundTo/2) / r.RoundTo * r.RoundTo
}

// suppression decides which of a set of counts are suppressed, given the
// groups of counts bound by exact relations and the grids they form (step
// 3 of Rule).
type suppression struct {
	values     []int
	suppressed []bool
	groups     [][]int   // indexes into values
	groupsOf   [][]int   // count index → the groups it is in
	inGroup    []int     // group → how many of its counts are suppressed
	grids      [][][]int // tables whose rows and columns are groups
	sums       [][]int   // groups whose last count is the sum of the others
	queue      []int     // groups that may have exactly one suppressed count
}

func newSuppression(values []int) *suppression {
	return &suppression{values: values, suppressed: make([]bool, len(values)), groupsOf: make([][]int, len(values))}
}

// group declares that the counts at idx are bound by an exact relation.
// Groups of fewer than two counts bind nothing and are dropped.
func (s *suppression) group(idx ...int) {
	if len(idx) < 2 {
		return
	}
	g := len(s.groups)
	s.groups = append(s.groups, idx)
	for _, i := range idx {
		s.groupsOf[i] = append(s.groupsOf[i], g)
	}
}

// sum declares that the last of the counts at idx is the sum of the
// others: a group, which also bounds the suppressed counts among the
// others from above (see narrowed).
func (s *suppression) sum(idx ...int) {
	if len(idx) >= 2 {
		s.sums = append(s.sums, idx)
	}
	s.group(idx...)
}

// grid declares a table of counts, ids[row][column], whose last row and
// last column are its totals, and makes each row and column a sum.
func (s *suppression) grid(ids [][]int) {
	if len(ids) >= 2 && len(ids[0]) >= 2 {
		s.grids = append(s.grids, ids)
	}
	for _, row := range ids {
		s.sum(row...)
	}
	for c := range ids[0] {
		col := make([]int, len(ids))
		for r := range ids {
			col[r] = ids[r][c]
		}
		s.sum(col...)
	}
}

// run applies primary suppression under r, then secondary suppression
// until no group has exactly one suppressed count, no suppressed count
// of a grid can be solved for from its rows and columns together, and no
// sum bounds its suppressed counts below r.SuppressMax.
func (s *suppression) run(r Rule) {
	s.inGroup = make([]int, len(s.groups))
	for i, v := range s.values {
		if r.primary(v) {
			s.suppress(i)
		}
	}
	for {
		s.propagate()
		fixed := false
		for _, ids := range s.grids {
			if row, col, ok := s.bridge(ids); ok {
				if i, ok := s.cheapest(gridCross(ids, row, col), gridAll(ids)); ok {
					s.suppress(i)
					fixed = true
					break
				}
			}
		}
		for _, idx := range s.sums {
			if fixed {
				break
			}
			if s.narrowed(r, idx) {
				if i, ok := s.cheapest(idx); ok {
					s.suppress(i)
					fixed = true
				}
			}
		}
		if !fixed {
			return
		}
	}
}

// narrowed reports whether a sum (its total last), as published under r,
// pins its suppressed counts below r.SuppressMax. A published count is
// known to be one of those that round to it and are not suppressed, so
// the total's largest possible value less the others' smallest bounds
// the suppressed counts' sum from above; each of them is at least 1, so
// with n suppressed each is at most that bound less n−1. Were that below
// SuppressMax, the sum would tell more than that a count is suppressed:
// with counts of 1, 1 and five of 8 and their total 42, rounded to the
// nearest 5, the five 10s and the 40 leave the two suppressed at most 2
// together, so 1 each.
func (s *suppression) narrowed(r Rule, idx []int) bool {
	total := idx[len(idx)-1]
	if s.suppressed[total] {
		return false
	}
	upper := r.largestRoundingTo(r.round(s.values[total]))
	n := 0
	for _, i := range idx[:len(idx)-1] {
		if s.suppressed[i] {
			n++
		} else {
			upper -= r.smallestRoundingTo(r.round(s.values[i]))
		}
	}
	return n > 0 && upper-(n-1) < r.SuppressMax
}

// smallestRoundingTo returns the smallest count published as p (a
// published count, not suppressed) under r.
func (r Rule) smallestRoundingTo(p int) int {
	if p <= 0 {
		return 0
	}
	return max(p-r.RoundTo/2, r.SuppressMax+1)
}

// largestRoundingTo returns the largest count published as p (a published
// count, not suppressed) under r: rounding is halves up, so the counts
// from p−RoundTo/2 to RoundTo−1 above that round to p.
func (r Rule) largestRoundingTo(p int) int {
	if p <= 0 || r.RoundTo <= 1 {
		return p // a count from 1 rounding to 0 is suppressed (primary), so a published 0 is 0
	}
	return p - r.RoundTo/2 + r.RoundTo - 1
}

func (s *suppression) suppress(i int) {
	s.suppressed[i] = true
	for _, g := range s.groupsOf[i] {
		s.inGroup[g]++
		if s.inGroup[g] == 1 {
			s.queue = append(s.queue, g)
		}
	}
}

// propagate suppresses a second count in every group with exactly one.
func (s *suppression) propagate() {
	for len(s.queue) > 0 {
		g := s.queue[0]
		s.queue = s.queue[1:]
		if s.inGroup[g] != 1 {
			continue
		}
		if i, ok := s.cheapest(s.groups[g]); ok {
			s.suppress(i)
		}
	}
}

// cheapest returns the count to suppress from the first of the candidate
// lists that has a published one: the smallest non-zero count, else a
// zero; ties go to the first listed. It is false when every count listed
// is suppressed already.
func (s *suppression) cheapest(lists ...[]int) (int, bool) {
	for _, list := range lists {
		best, found := 0, false
		for _, i := range list {
			if s.suppressed[i] {
				continue
			}
			if !found || s.less(i, best) {
				best, found = i, true
			}
		}
		if found {
			return best, true
		}
	}
	return 0, false
}

// less orders counts for secondary suppression: non-zero before zero,
// then smaller first.
func (s *suppression) less(i, j int) bool {
	vi, vj := s.values[i], s.values[j]
	if (vi > 0) != (vj > 0) {
		return vi > 0
	}
	return vi < vj
}

// bridge finds a suppressed count of the grid that its rows and columns
// together give away. Think of the grid as a graph whose nodes are its
// rows and columns and whose edges are its suppressed counts: the row and
// column sums are published, so the suppressed counts can move only along
// cycles of that graph (add x round a cycle, alternately + and −, and
// every sum stays the same). A suppressed count on no cycle, a bridge of
// the graph, is therefore the one value the sums allow. It returns the
// row and column of the first bridge found (Tarjan's algorithm).
func (s *suppression) bridge(ids [][]int) (row, col int, found bool) {
	rows, cols := len(ids), len(ids[0])
	type edge struct{ to, id int }
	adj := make([][]edge, rows+cols) // nodes: rows, then columns
	for r := range rows {
		for c := range cols {
			if s.suppressed[ids[r][c]] {
				e := r*cols + c
				adj[r] = append(adj[r], edge{rows + c, e})
				adj[rows+c] = append(adj[rows+c], edge{r, e})
			}
		}
	}
	disc, low := make([]int, rows+cols), make([]int, rows+cols)
	timer := 0
	var visit func(u, via int) bool
	visit = func(u, via int) bool {
		timer++
		disc[u], low[u] = timer, timer
		for _, e := range adj[u] {
			switch {
			case e.id == via:
			case disc[e.to] == 0:
				if visit(e.to, e.id) {
					return true
				}
				low[u] = min(low[u], low[e.to])
				if low[e.to] > disc[u] {
					row, col, found = e.id/cols, e.id%cols, true
					return true
				}
			default:
				low[u] = min(low[u], disc[e.to])
			}
		}
		return false
	}
	for u := range adj {
		if disc[u] == 0 && visit(u, -1) {
			return row, col, true
		}
	}
	return 0, 0, false
}

// gridCross lists the counts in the row and the column of a grid.
func gridCross(ids [][]int, row, col int) []int {
	out := append([]int(nil), ids[row]...)
	for r := range ids {
		out = append(out, ids[r][col])
	}
	return out
}

// gridAll lists every count of a grid.
func gridAll(ids [][]int) []int {
	var out []int
	for _, row := range ids {
		out = append(out, row...)
	}
	return out
}
