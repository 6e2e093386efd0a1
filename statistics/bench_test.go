package statistics

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// BenchmarkPublish publishes a year for 100 organisations with sparse
// counts, the worst case for secondary suppression.
func BenchmarkPublish(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	from := MonthOf(2026, time.January)
	tab := NewTable(from, MonthOf(2026, time.December))
	for o := range 100 {
		org := fmt.Sprintf("org-%03d", o)
		tab.AddOrganisation(org, org)
		for _, m := range tab.Months() {
			for _, ms := range Measures() {
				tab.Count(org, m, ms, max(0, rng.IntN(20)-8))
			}
			tab.Sample(org, m, DaysToAcknowledge, rng.IntN(5))
		}
	}
	for b.Loop() {
		Publish(tab, DefaultRule(), GroupBy{Organisation: true, Month: true})
	}
}
