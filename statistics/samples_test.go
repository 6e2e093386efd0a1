package statistics

import (
	"testing"
	"time"
)

func TestSamplesMedian(t *testing.T) {
	for _, tc := range []struct {
		name    string
		samples []int
		want    float64
		ok      bool
	}{
		{name: "Empty"},
		{name: "One", samples: []int{4}, want: 4, ok: true},
		{name: "Odd", samples: []int{5, 0, 2}, want: 2, ok: true},
		{name: "EvenHalves", samples: []int{1, 2, 3, 4}, want: 2.5, ok: true},
		{name: "Repeats", samples: []int{0, 0, 0, 9}, want: 0, ok: true},
		{name: "NegativeIsZero", samples: []int{-3, 1, 1}, want: 1, ok: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s Samples
			for _, d := range tc.samples {
				s.Add(d)
			}
			got, ok := s.Median()
			if got != tc.want || ok != tc.ok || s.Len() != len(tc.samples) {
				t.Fatalf("Median() = %v, %v with Len %d; want %v, %v with %d", got, ok, s.Len(), tc.want, tc.ok, len(tc.samples))
			}
		})
	}
}

func TestSamplesMerge(t *testing.T) {
	var a, b Samples
	a.Add(1)
	a.Add(2)
	b.Add(10)
	b.Add(10)
	b.Add(0)
	a.Merge(b)
	if got, _ := a.Median(); got != 2 || a.Len() != 5 {
		t.Fatalf("merged median %v of %d, want 2 of 5", got, a.Len())
	}
	if got, _ := b.Median(); got != 10 || b.Len() != 3 {
		t.Fatalf("merging changed its source: median %v of %d", got, b.Len())
	}
}

func TestMonths(t *testing.T) {
	got := MonthsBetween(MonthOf(2025, time.November), MonthOf(2026, time.February))
	want := []string{"2025-11", "2025-12", "2026-01", "2026-02"}
	if len(got) != len(want) {
		t.Fatalf("MonthsBetween = %v", got)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Fatalf("MonthsBetween = %v, want %v", got, want)
		}
	}
	if MonthsBetween(MonthOf(2026, 2), MonthOf(2026, 1)) != nil {
		t.Fatal("a backwards range has months")
	}
	if (Month{}).String() != "" || MonthOf(2026, 13) != MonthOf(2027, 1) {
		t.Fatal("zero or normalised month")
	}
}

func TestParseGroupBy(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    GroupBy
		wantErr bool
	}{
		{in: "", want: GroupBy{Organisation: true, Month: true}},
		{in: "organisation,month", want: GroupBy{Organisation: true, Month: true}},
		{in: "month, organisation", want: GroupBy{Organisation: true, Month: true}},
		{in: "organisation", want: GroupBy{Organisation: true}},
		{in: "month", want: GroupBy{Month: true}},
		{in: "client", wantErr: true},
		{in: "month,", wantErr: true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseGroupBy(tc.in)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Fatalf("ParseGroupBy(%q) = %+v, %v", tc.in, got, err)
			}
		})
	}
}
