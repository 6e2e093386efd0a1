package statistics

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"
)

var jan = MonthOf(2026, time.January)

// published renders a value as the tests compare it: "*" when suppressed.
func published(v Value) string {
	if v.Suppressed {
		return "*"
	}
	return fmt.Sprint(v.N)
}

func TestRuleRounding(t *testing.T) {
	for _, tc := range []struct {
		rule Rule
		in   []int
		want []string
	}{
		{DefaultRule(), []int{0, 1, 7, 8, 10, 12, 13, 17, 18, 102, 103}, []string{"0", "*", "*", "10", "10", "10", "15", "15", "20", "100", "105"}},
		{Rule{Enabled: true, SuppressMax: 7, RoundTo: 1}, []int{0, 7, 8, 13}, []string{"0", "*", "8", "13"}},
		{Rule{Enabled: true, SuppressMax: 0, RoundTo: 5}, []int{0, 1, 2, 3, 7}, []string{"0", "*", "*", "5", "5"}},
		{Rule{Enabled: true, SuppressMax: 5, RoundTo: 5}, []int{5, 6, 7, 8}, []string{"*", "*", "*", "10"}},
		{Rule{Enabled: true, SuppressMax: 3, RoundTo: 10}, []int{3, 4, 5, 14, 15}, []string{"*", "*", "10", "10", "20"}},
		{Rule{Enabled: false, SuppressMax: 7, RoundTo: 5}, []int{0, 1, 7, 12}, []string{"0", "1", "7", "12"}},
	} {
		t.Run(fmt.Sprintf("%+v", tc.rule), func(t *testing.T) {
			for i, v := range tc.in {
				got := fmt.Sprint(tc.rule.round(v))
				if tc.rule.primary(v) {
					got = "*"
				}
				if got != tc.want[i] {
					t.Errorf("%d → %s, want %s", v, got, tc.want[i])
				}
			}
		})
	}
}

func TestRuleValidate(t *testing.T) {
	if err := DefaultRule().Validate(); err != nil {
		t.Fatal(err)
	}
	if (Rule{}).Validate() == nil || (Rule{RoundTo: 5, SuppressMax: -1}).Validate() == nil {
		t.Fatal("an unusable rule passes")
	}
}

// TestSecondarySuppression: a column with one count from 1 to 7 and a
// published total gets a second suppression, the smallest other count,
// and the same holds across the organisation totals (R-STAT-3).
func TestSecondarySuppression(t *testing.T) {
	tab := NewTable(jan, jan)
	for org, made := range map[string]int{"a": 3, "b": 20, "c": 40} {
		tab.AddOrganisation(org, "Org "+org)
		tab.Count(org, jan, Made, made)
		tab.Count(org, jan, Received, 63-made-20) // a 40, b 23, c 3
	}
	rep := Publish(tab, DefaultRule(), GroupBy{Organisation: true, Month: true})
	var made, received []string
	for _, r := range rep.Rows {
		made = append(made, published(r.Count(Made)))
		received = append(received, published(r.Count(Received)))
	}
	if fmt.Sprint(made) != "[* * 40]" || fmt.Sprint(received) != "[40 * *]" {
		t.Fatalf("made %v, received %v; want [* * 40] and [40 * *]", made, received)
	}
	if got := published(rep.Totals.Count(Made)); got != "65" {
		t.Fatalf("total made %s, want 65 (63 rounded)", got)
	}
	byOrg := Publish(tab, DefaultRule(), GroupBy{Organisation: true})
	for i, r := range byOrg.Rows {
		if published(r.Count(Made)) != made[i] {
			t.Fatalf("the organisation view suppresses differently: %v at %d", published(r.Count(Made)), i)
		}
	}
}

// TestIdentitySuppression: outcomes and closures add up to the same
// number, so suppressing one outcome suppresses a closure count too.
func TestIdentitySuppression(t *testing.T) {
	tab := NewTable(jan, jan)
	tab.Count("a", jan, OutcomePositive, 3)
	tab.Count("a", jan, OutcomeNegative, 30)
	tab.Count("a", jan, ClosedWithinTimescale, 20)
	tab.Count("a", jan, ClosedLate, 13)
	rep := Publish(tab, Rule{Enabled: true, SuppressMax: 7, RoundTo: 1}, GroupBy{Organisation: true, Month: true})
	r := rep.Rows[0]
	got := []string{published(r.Count(OutcomePositive)), published(r.Count(OutcomeNegative)),
		published(r.Count(ClosedWithinTimescale)), published(r.Count(ClosedLate))}
	if fmt.Sprint(got) != "[* 30 20 *]" {
		t.Fatalf("outcomes and closures %v, want [* 30 20 *]", got)
	}
}

func TestDisabledRuleIsExact(t *testing.T) {
	tab := randomTable(rand.New(rand.NewPCG(1, 2)))
	rep := Publish(tab, Rule{SuppressMax: 7, RoundTo: 5}, GroupBy{Organisation: true, Month: true})
	i := 0
	for _, org := range tab.Organisations() {
		for _, m := range tab.Months() {
			c, r := tab.Cell(org.ID, m), rep.Rows[i]
			for _, ms := range Measures() {
				if v := r.Count(ms); v.Suppressed || v.N != c.Counts[ms] {
					t.Fatalf("%s %s %s: published %+v, exact %d", org.ID, m, ms, v, c.Counts[ms])
				}
			}
			i++
		}
	}
}

// TestDisclosureControlOnRandomData (R-STAT-3): for random tables and
// rules, in every grouping, no published count is from 1 to SuppressMax,
// every published count is a multiple of RoundTo, a published 0 is a real
// 0, medians on 1 to SuppressMax referrals are suppressed, and no group of
// counts bound by a total or an identity has exactly one suppressed count,
// which its total minus the others would give away.
func TestDisclosureControlOnRandomData(t *testing.T) {
	rules := []Rule{
		DefaultRule(),
		{Enabled: true, SuppressMax: 7, RoundTo: 1},
		{Enabled: true, SuppressMax: 3, RoundTo: 10},
		{Enabled: true, SuppressMax: 0, RoundTo: 5},
		{Enabled: true, SuppressMax: 10, RoundTo: 10},
	}
	rng := rand.New(rand.NewPCG(20260101, 7))
	suppressedSome := 0
	for i := range 300 {
		rule := rules[i%len(rules)]
		tab := randomTable(rng)
		name := fmt.Sprintf("%d/%+v", i, rule)
		both := Publish(tab, rule, GroupBy{Organisation: true, Month: true})
		byOrg := Publish(tab, rule, GroupBy{Organisation: true})
		byMonth := Publish(tab, rule, GroupBy{Month: true})
		orgs, months := tab.Organisations(), tab.Months()

		for _, rep := range []Report{both, byOrg, byMonth} {
			for _, r := range append(rep.Rows, rep.Totals) {
				for _, ms := range Measures() {
					v := r.Count(ms)
					if v.Suppressed {
						suppressedSome++
						continue
					}
					if (v.N >= 1 && v.N <= rule.SuppressMax) || v.N%rule.RoundTo != 0 {
						t.Fatalf("%s: %s published as %d", name, ms, v.N)
					}
				}
				// Every row of the period satisfies each identity.
				for _, rel := range append(identities(), networkIdentities()...) {
					if rel[0] == Made && r.by.Organisation {
						continue // made = received only over every organisation
					}
					cells := make([]Value, len(rel))
					for k, ms := range rel {
						cells[k] = r.Count(ms)
					}
					assertNotRecoverable(t, name+" identity", cells)
				}
			}
			if fmt.Sprint(rep.Totals) != fmt.Sprint(both.Totals) {
				t.Fatalf("%s: totals differ between groupings", name)
			}
		}

		for o, org := range orgs {
			for m, month := range months {
				exact, r := tab.Cell(org.ID, month), both.Rows[o*len(months)+m]
				for _, ms := range Measures() {
					if v := r.Count(ms); !v.Suppressed && v.N == 0 && exact.Counts[ms] != 0 {
						t.Fatalf("%s: %d published as 0", name, exact.Counts[ms])
					}
				}
				for _, md := range Medians() {
					n, v := exact.Samples[md].Len(), r.Median(md)
					if want := rule.primary(n); v.Suppressed != want || v.Known != (n > 0) {
						t.Fatalf("%s: median of %d samples published as %+v", name, n, v)
					}
				}
			}
		}
		for _, ms := range Measures() {
			// An organisation's months and its total; for a stock, its
			// value over the period, which is its last month's.
			for o := range orgs {
				if ms.Stock() {
					assertSameValue(t, name+" organisation "+ms.String(), byOrg.Rows[o].Count(ms),
						both.Rows[o*len(months)+len(months)-1].Count(ms))
					continue
				}
				group := []Value{byOrg.Rows[o].Count(ms)}
				for m := range months {
					group = append(group, both.Rows[o*len(months)+m].Count(ms))
				}
				assertNotRecoverable(t, name+" organisation "+ms.String(), group)
			}
			// A month's organisations and its total.
			for m := range months {
				group := []Value{byMonth.Rows[m].Count(ms)}
				for o := range orgs {
					group = append(group, both.Rows[o*len(months)+m].Count(ms))
				}
				assertNotRecoverable(t, name+" month "+ms.String(), group)
			}
			// The totals and the overall total, both ways; over the months,
			// a stock's total is its last month's.
			if ms.Stock() {
				assertSameValue(t, name+" totals "+ms.String(), byMonth.Totals.Count(ms), byMonth.Rows[len(months)-1].Count(ms))
			}
			for _, rep := range []Report{byOrg, byMonth} {
				if ms.Stock() && rep.GroupBy.Month {
					continue
				}
				group := []Value{rep.Totals.Count(ms)}
				for _, r := range rep.Rows {
					group = append(group, r.Count(ms))
				}
				assertNotRecoverable(t, name+" totals "+ms.String(), group)
			}
		}
	}
	if suppressedSome == 0 {
		t.Fatal("the random tables never needed suppression: the test proves nothing")
	}
}

// assertNotRecoverable fails when exactly one count of a group bound by an
// exact sum is suppressed: the others would give it away.
func assertNotRecoverable(tb testing.TB, what string, group []Value) {
	tb.Helper()
	n := 0
	for _, v := range group {
		if v.Suppressed {
			n++
		}
	}
	if n == 1 {
		tb.Fatalf("%s: one suppressed count among %v can be worked out from the others", what, group)
	}
}

// assertSameValue fails unless a and b, counts known to be equal, are
// published alike: both suppressed, or both the same number.
func assertSameValue(tb testing.TB, what string, a, b Value) {
	tb.Helper()
	if a != b {
		tb.Fatalf("%s: equal counts published as %+v and %+v: one gives the other away", what, a, b)
	}
}

// randomTable simulates referrals between a few organisations over a few
// months, so the table's counts satisfy the identities real data does.
func randomTable(rng *rand.Rand) *Table {
	from := MonthOf(2026, time.Month(1+rng.IntN(12)))
	to := from
	for range rng.IntN(5) {
		to = to.Next()
	}
	tab := NewTable(from, to)
	orgs := make([]string, 2+rng.IntN(5))
	for i := range orgs {
		orgs[i] = fmt.Sprintf("org-%d", i)
		tab.AddOrganisation(orgs[i], fmt.Sprintf("Organisation %c", 'A'+i))
	}
	chance := func(p float64) bool { return rng.Float64() < p }
	for _, m := range tab.Months() {
		for range rng.IntN(90) {
			from, to := orgs[rng.IntN(len(orgs))], orgs[rng.IntN(len(orgs))]
			tab.Count(from, m, Made, 1)
			tab.Count(to, m, Received, 1)
			if chance(0.2) {
				tab.Count(to, m, Urgent, 1)
				if chance(0.3) {
					tab.Count(to, m, UrgencyDeclined, 1)
				}
			}
			if !chance(0.85) {
				if chance(0.4) {
					tab.Count(to, m, Overdue, 1)
				}
				continue
			}
			tab.Sample(to, m, DaysToAcknowledge, rng.IntN(6))
			if chance(0.7) {
				tab.Count(to, m, AcknowledgedWithinTimescale, 1)
			} else {
				tab.Count(to, m, AcknowledgedLate, 1)
			}
			if !chance(0.7) {
				continue
			}
			tab.Sample(to, m, DaysToClose, rng.IntN(15))
			if chance(0.6) {
				tab.Count(to, m, OutcomePositive, 1)
			} else {
				tab.Count(to, m, OutcomeNegative, 1)
			}
			if chance(0.6) {
				tab.Count(to, m, ClosedWithinTimescale, 1)
			} else {
				tab.Count(to, m, ClosedLate, 1)
			}
		}
		for _, org := range orgs {
			tab.Count(org, m, ErasureRequests, max(0, rng.IntN(12)-6))
			requests := max(0, rng.IntN(16)-6)
			pending := rng.IntN(requests + 1)
			locked := rng.IntN(requests - pending + 1)
			tab.Count(org, m, LockRequests, requests)
			tab.Count(org, m, LockRequestsPending, pending)
			tab.Count(org, m, LockedCases, locked)
			tab.Count(org, m, LockedCasesInForce, rng.IntN(locked+1))
		}
	}
	// The cases locked at each month's end: the locks still in force
	// requested up to then (drawing nothing more from rng).
	for _, org := range orgs {
		stock := 0
		for _, m := range tab.Months() {
			stock += tab.Cell(org, m).Counts[LockedCasesInForce]
			tab.Count(org, m, LockedAtMonthEnd, stock)
		}
	}
	return tab
}

// TestNoSuppressedCountSolvable goes beyond subtraction in one row or
// column: for random tables published without rounding (where solving
// would give exact values), no suppressed count of a measure's
// organisation × month table, totals included, is determined by all of
// its row and column sums together (Gaussian elimination over the
// rationals).
func TestNoSuppressedCountSolvable(t *testing.T) {
	rule := Rule{Enabled: true, SuppressMax: 7, RoundTo: 1}
	rng := rand.New(rand.NewPCG(5, 9))
	for i := range 200 {
		tab := randomTable(rng)
		both := Publish(tab, rule, GroupBy{Organisation: true, Month: true})
		byOrg := Publish(tab, rule, GroupBy{Organisation: true})
		byMonth := Publish(tab, rule, GroupBy{Month: true})
		no, nm := len(tab.Organisations()), len(tab.Months())
		for _, ms := range Measures() {
			// grid[o][m], with the totals in row no and column nm.
			grid := make([][]Value, no+1)
			for o := range grid {
				grid[o] = make([]Value, nm+1)
				for m := range grid[o] {
					switch {
					case o < no && m < nm:
						grid[o][m] = both.Rows[o*nm+m].Count(ms)
					case o < no:
						grid[o][m] = byOrg.Rows[o].Count(ms)
					case m < nm:
						grid[o][m] = byMonth.Rows[m].Count(ms)
					default:
						grid[o][m] = both.Totals.Count(ms)
					}
				}
			}
			if o, m, ok := solvable(grid, ms.Stock()); ok {
				t.Fatalf("table %d, %s: the suppressed count at organisation %d, month %d follows from the sums", i, ms, o, m)
			}
		}
	}
}

// solvable reports a suppressed cell of grid whose value the row and
// column sums (the last row and column being totals) determine. For a
// stock the rows are no sums: each row's last column (the period) equals
// the month before it instead.
func solvable(grid [][]Value, stock bool) (int, int, bool) {
	rows, cols := len(grid), len(grid[0])
	var unknowns [][2]int
	index := map[[2]int]int{}
	for r := range rows {
		for c := range cols {
			if grid[r][c].Suppressed {
				index[[2]int{r, c}] = len(unknowns)
				unknowns = append(unknowns, [2]int{r, c})
			}
		}
	}
	var eqs [][]*big.Rat
	equation := func(cells [][2]int) {
		eq := make([]*big.Rat, len(unknowns))
		for k := range eq {
			eq[k] = new(big.Rat)
		}
		for k, cell := range cells {
			if u, ok := index[cell]; ok {
				sign := int64(1)
				if k == len(cells)-1 {
					sign = -1 // the total
				}
				eq[u].SetInt64(sign)
			}
		}
		eqs = append(eqs, eq)
	}
	for r := range rows {
		var cells [][2]int
		for c := range cols {
			if !stock || c >= cols-2 {
				cells = append(cells, [2]int{r, c})
			}
		}
		equation(cells)
	}
	for c := range cols {
		var cells [][2]int
		for r := range rows {
			cells = append(cells, [2]int{r, c})
		}
		equation(cells)
	}
	// Gauss–Jordan: a row left with a single non-zero pins that unknown.
	pivot := 0
	for u := 0; u < len(unknowns) && pivot < len(eqs); u++ {
		p := -1
		for k := pivot; k < len(eqs); k++ {
			if eqs[k][u].Sign() != 0 {
				p = k
				break
			}
		}
		if p < 0 {
			continue
		}
		eqs[pivot], eqs[p] = eqs[p], eqs[pivot]
		inv := new(big.Rat).Inv(eqs[pivot][u])
		for j := range eqs[pivot] {
			eqs[pivot][j].Mul(eqs[pivot][j], inv)
		}
		for k := range eqs {
			if k == pivot || eqs[k][u].Sign() == 0 {
				continue
			}
			f := new(big.Rat).Set(eqs[k][u])
			for j := range eqs[k] {
				eqs[k][j].Sub(eqs[k][j], new(big.Rat).Mul(f, eqs[pivot][j]))
			}
		}
		pivot++
	}
	for _, eq := range eqs[:pivot] {
		nonzero, at := 0, 0
		for j, v := range eq {
			if v.Sign() != 0 {
				nonzero, at = nonzero+1, j
			}
		}
		if nonzero == 1 {
			return unknowns[at][0], unknowns[at][1], true
		}
	}
	return 0, 0, false
}

// TestLockedAtMonthEndOverMonthsIsTheLastMonths_LOCK7 (R-LOCK-7): the
// cases locked at each month's end are a stock, not a count of the
// month's events. A row over several months (grouped by organisation
// only) and the totals show the value at the end of the period's last
// month, never the months' sum; over organisations it adds up.
func TestLockedAtMonthEndOverMonthsIsTheLastMonths_LOCK7(t *testing.T) {
	feb, mar := jan.Next(), jan.Next().Next()
	tab := NewTable(jan, mar)
	for org, stock := range map[string][3]int{"a": {12, 15, 11}, "b": {20, 0, 9}} {
		tab.AddOrganisation(org, "Org "+org)
		for i, m := range []Month{jan, feb, mar} {
			tab.Count(org, m, LockedAtMonthEnd, stock[i])
		}
	}
	exact := Rule{RoundTo: 1}
	byOrg := Publish(tab, exact, GroupBy{Organisation: true})
	if a, b := byOrg.Rows[0].Count(LockedAtMonthEnd), byOrg.Rows[1].Count(LockedAtMonthEnd); a.N != 11 || b.N != 9 {
		t.Fatalf("over January to March, a shows %d and b %d; want 11 and 9, at the end of March", a.N, b.N)
	}
	byMonth := Publish(tab, exact, GroupBy{Month: true})
	var months []string
	for _, r := range byMonth.Rows {
		months = append(months, published(r.Count(LockedAtMonthEnd)))
	}
	if fmt.Sprint(months) != "[32 15 20]" {
		t.Fatalf("over every organisation, by month: %v; want [32 15 20]", months)
	}
	if got := byMonth.Totals.Count(LockedAtMonthEnd).N; got != 20 {
		t.Fatalf("the totals show %d cases locked; want 20, at the end of March", got)
	}
	// Under disclosure control the period's value is published as the last
	// month's is: suppressed with it, or the same number.
	rule := Rule{Enabled: true, SuppressMax: 9, RoundTo: 1}
	both, byOrg := Publish(tab, rule, GroupBy{Organisation: true, Month: true}), Publish(tab, rule, GroupBy{Organisation: true})
	for o := range 2 {
		if last, period := both.Rows[o*3+2].Count(LockedAtMonthEnd), byOrg.Rows[o].Count(LockedAtMonthEnd); last != period {
			t.Fatalf("organisation %d: March published %+v, the period %+v", o, last, period)
		}
	}
	if v := byOrg.Rows[1].Count(LockedAtMonthEnd); !v.Suppressed {
		t.Fatalf("b's 9 at the end of March is published over the period as %+v", v)
	}
}
