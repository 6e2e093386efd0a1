package statistics

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// TestRoundedTotalsDoNotPinSuppressedCounts_STAT3: a published count is
// known to lie in the range that rounds to it, and above SuppressMax, so
// a total minus the other counts of its row bounds the suppressed ones
// from above. Organisation a's months are 1, 1 and five 8s, its total 42:
// published as *, *, five 10s and 40, they would say its two suppressed
// months add up to at most 42 − 5×8 = 2, so each is 1. Each suppressed
// count must be left able to be anything up to SuppressMax.
func TestRoundedTotalsDoNotPinSuppressedCounts_STAT3(t *testing.T) {
	tab := NewTable(jan, MonthOf(2026, time.July))
	for i, m := range tab.Months() {
		tab.Count("a", m, Received, []int{1, 1, 8, 8, 8, 8, 8}[i])
		tab.Count("b", m, Received, 40+i)
		tab.Count("c", m, Received, 60+2*i)
	}
	rule := DefaultRule()
	both := Publish(tab, rule, GroupBy{Organisation: true, Month: true})
	byOrg := Publish(tab, rule, GroupBy{Organisation: true})
	row := []Value{}
	for _, r := range both.Rows[:7] {
		row = append(row, r.Count(Received))
	}
	assertNotNarrowed(t, rule, "organisation a", byOrg.Rows[0].Count(Received), row)
}

// TestSuppressedCountsNotNarrowedOnRandomData_STAT3: for random tables,
// no row or column of a measure's organisation × month table, nor its
// totals, bounds a suppressed count below SuppressMax.
func TestSuppressedCountsNotNarrowedOnRandomData_STAT3(t *testing.T) {
	rules := []Rule{
		DefaultRule(),
		{Enabled: true, SuppressMax: 7, RoundTo: 1},
		{Enabled: true, SuppressMax: 3, RoundTo: 10},
		{Enabled: true, SuppressMax: 10, RoundTo: 10},
	}
	rng := rand.New(rand.NewPCG(31, 4))
	for i := range 300 {
		rule := rules[i%len(rules)]
		tab := randomTable(rng)
		both := Publish(tab, rule, GroupBy{Organisation: true, Month: true})
		byOrg := Publish(tab, rule, GroupBy{Organisation: true})
		byMonth := Publish(tab, rule, GroupBy{Month: true})
		no, nm := len(tab.Organisations()), len(tab.Months())
		name := fmt.Sprintf("table %d, %+v", i, rule)
		for _, ms := range Measures() {
			if !ms.Stock() {
				for o := range no {
					var parts []Value
					for m := range nm {
						parts = append(parts, both.Rows[o*nm+m].Count(ms))
					}
					assertNotNarrowed(t, rule, name+" organisation "+ms.String(), byOrg.Rows[o].Count(ms), parts)
				}
				var parts []Value
				for _, r := range byMonth.Rows {
					parts = append(parts, r.Count(ms))
				}
				assertNotNarrowed(t, rule, name+" months "+ms.String(), byMonth.Totals.Count(ms), parts)
			}
			for m := range nm {
				var parts []Value
				for o := range no {
					parts = append(parts, both.Rows[o*nm+m].Count(ms))
				}
				assertNotNarrowed(t, rule, name+" month "+ms.String(), byMonth.Rows[m].Count(ms), parts)
			}
			var parts []Value
			for _, r := range byOrg.Rows {
				parts = append(parts, r.Count(ms))
			}
			assertNotNarrowed(t, rule, name+" organisations "+ms.String(), byOrg.Totals.Count(ms), parts)
		}
	}
}

// assertNotNarrowed fails when a published total and the published
// counts that add up to it bound a suppressed count (taken to be at
// least 1) below SuppressMax: the total's largest possible value minus
// the others' smallest.
func assertNotNarrowed(tb testing.TB, rule Rule, what string, total Value, parts []Value) {
	tb.Helper()
	if total.Suppressed {
		return
	}
	half := rule.RoundTo / 2
	upper := 0
	if total.N > 0 {
		upper = total.N - half + rule.RoundTo - 1
	}
	n := 0
	for _, v := range parts {
		switch {
		case v.Suppressed:
			n++
		case v.N > 0:
			upper -= max(v.N-half, rule.SuppressMax+1)
		}
	}
	if n > 0 && upper-(n-1) < rule.SuppressMax {
		tb.Fatalf("%s: total %v and counts %v put each suppressed count at %d or less", what, published(total), parts, upper-(n-1))
	}
}
