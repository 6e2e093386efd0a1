package main

import (
	"strings"
	"testing"
)

const sample = `goos: linux
pkg: github.com/referral-ledger/ledger/eventstore/sqlite
BenchmarkAppend/writers=256-2         	   50000	     10000 ns/op	    100000 events/s	       140.0 events/commit
BenchmarkRawSQLite/writers=256-2      	  100000	      5000 ns/op	    200000 events/s
BenchmarkReadAll-2                    	      10	  30000000 ns/op	    400000 events/s
BenchmarkReadAll-2                    	      10	  30000000 ns/op	    100000 events/s
BenchmarkReadAll-2                    	      10	  30000000 ns/op	    900000 events/s
BenchmarkWriterCPU-2                  	   50000	     25000 ns/op	        25.00 cpu-µs/event
    bench_test.go:1: a log line
pkg: github.com/referral-ledger/ledger/other
BenchmarkAppend/writers=256-2         	   50000	     10000 ns/op	        1.000 events/s
pkg: github.com/referral-ledger/ledger/http
BenchmarkServer/gin-204-2             	  100000	     25000 ns/op	     40000 req/s	        40.00 cpu-µs/req
BenchmarkServer/lifecycle-2           	    1000	   2000000 ns/op	      2000 req/s	       500.0 cpu-µs/req
`

// Each pair divides its benchmark by its baseline from the same run, in the
// package named, taking the median of repeated results, and holds the
// figure against its target.
func TestSummaryRatiosAndTargets(t *testing.T) {
	results, byName, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	ps := []Pair{
		{Name: "ratio", Pkg: "eventstore/sqlite", Bench: "BenchmarkAppend/writers=256", Baseline: "BenchmarkRawSQLite/writers=256",
			Metric: "events/s", Op: AtLeast, Target: 0.6},
		{Name: "absolute", Bench: "BenchmarkReadAll", Metric: "events/s", Op: AtLeast, Target: 300000},
		{Name: "cpu", Bench: "BenchmarkWriterCPU", Metric: "cpu-µs/event", Op: AtMost, Target: 20},
		{Name: "missing", Bench: "BenchmarkAbsent", Metric: "ns/op"},
		{Name: "nobase", Bench: "BenchmarkReadAll", Baseline: "BenchmarkAbsent", Metric: "events/s"},
		// 2 cores at 0.15 of 40,000 requests a second leave 333 µs of CPU
		// a request: 500 µs is 1.5 times that.
		{Name: "budget", Pkg: "http", Bench: "BenchmarkServer/lifecycle", Baseline: "BenchmarkServer/gin-204",
			Metric: "cpu-µs/req", Share: 0.15, Op: AtMost, Target: 1},
	}
	want := [][2]string{
		{"0.50x", ">= 0.6: MISSED"},
		{"400000 events/s", ">= 300000: met"},
		{"25 cpu-µs/event", "<= 20: MISSED"},
		{"not run", "-"},
		{"baseline not run", "-"},
		{"1.50x (500 of 333 µs)", "<= 1: MISSED"},
	}
	for i, p := range ps {
		fig, verdict := row(p, results, byName)
		if fig != want[i][0] || verdict != want[i][1] {
			t.Errorf("%s: %q, %q; want %q, %q", p.Name, fig, verdict, want[i][0], want[i][1])
		}
	}
	var out strings.Builder
	if err := summarise(&out, pairs, results, byName); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(out.String(), "\n"); got != len(pairs)+1 {
		t.Errorf("summary has %d lines, want a header and one per pair (%d):\n%s", got, len(pairs)+1, out.String())
	}
}
