// Command benchsummary reads `go test -bench` output and prints one table:
// for each declared pair (pairs.go), the benchmark's figure divided by its
// baseline's from the same run, what the ratio means, and whether it meets
// its target. `make bench` runs it after the benchmarks.
//
// Usage: go run ./internal/benchsummary [file ...] (standard input when no
// file is named). It exits 0 whatever the figures: it reports, the reader
// judges; a pair whose benchmarks did not run (skipped, or not selected)
// shows as "not run".
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Op is how a figure is held against its target.
type Op int

// The comparisons a target can ask for; NoTarget reports the figure alone.
const (
	NoTarget Op = iota
	AtLeast
	AtMost
)

// Pair is one row of the summary.
type Pair struct {
	Name     string  // what the row is about
	Pkg      string  // optional: the import path (or its end) of the package running both benchmarks
	Bench    string  // the benchmark measured, e.g. BenchmarkAppend/writers=256
	Baseline string  // the benchmark it is divided by; empty reports Bench's figure alone
	Metric   string  // the unit compared: ns/op, events/s, or any b.ReportMetric unit
	Means    string  // what the figure means, in words
	Op       Op      // how the figure is held against Target
	Target   float64 // the figure to reach
	// Share, when set, makes the row a CPU budget: Bench's Metric (CPU µs
	// per request) over the most it may be for the process to reach Share
	// of Baseline's request rate (req/s) with every core busy, that is
	// GOMAXPROCS seconds of CPU a second divided among Share × Baseline's
	// requests. Above 1, that share is out of reach however the waiting is
	// arranged.
	Share float64
}

// result is one benchmark line: its package, GOMAXPROCS (the name's
// suffix, 1 without one) and metrics by unit.
type result struct {
	pkg     string
	procs   int
	metrics map[string]float64
}

var procSuffix = regexp.MustCompile(`-(\d+)$`)

// parse reads go test -bench output: every result line, and the lines of
// each benchmark name.
func parse(r io.Reader) ([]result, map[string][]int, error) {
	var results []result
	byName := map[string][]int{}
	pkg := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimSpace(p)
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.ParseInt(f[1], 10, 64); err != nil {
			continue // a benchmark's log line, not its result
		}
		res := result{pkg: pkg, procs: 1, metrics: map[string]float64{}}
		if m := procSuffix.FindStringSubmatch(f[0]); m != nil {
			res.procs, _ = strconv.Atoi(m[1])
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				break
			}
			res.metrics[f[i+1]] = v
		}
		name := procSuffix.ReplaceAllString(f[0], "")
		byName[name] = append(byName[name], len(results))
		results = append(results, res)
	}
	return results, byName, sc.Err()
}

// lookup finds the figure of bench in unit metric, in a package whose path
// ends with pkg when pkg is set: the median of its results when the
// benchmarks ran more than once (-count), which a noisy run moves least.
func lookup(results []result, byName map[string][]int, pkg, bench, metric string) (float64, bool) {
	var vs []float64
	for _, r := range matching(results, byName, pkg, bench) {
		if v, ok := r.metrics[metric]; ok {
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return 0, false
	}
	slices.Sort(vs)
	if n := len(vs); n%2 == 0 {
		return (vs[n/2-1] + vs[n/2]) / 2, true
	}
	return vs[len(vs)/2], true
}

// matching is the results of bench in a package whose path ends with pkg
// when pkg is set.
func matching(results []result, byName map[string][]int, pkg, bench string) []result {
	var out []result
	for _, i := range byName[bench] {
		if r := results[i]; pkg == "" || r.pkg == pkg || strings.HasSuffix(r.pkg, "/"+pkg) {
			out = append(out, r)
		}
	}
	return out
}

// row computes the figure of p and whether it meets its target.
func row(p Pair, results []result, byName map[string][]int) (figure, verdict string) {
	v, ok := lookup(results, byName, p.Pkg, p.Bench, p.Metric)
	if !ok {
		return "not run", "-"
	}
	if p.Share > 0 {
		rate, ok := lookup(results, byName, p.Pkg, p.Baseline, "req/s")
		if !ok || rate == 0 {
			return "baseline not run", "-"
		}
		procs := matching(results, byName, p.Pkg, p.Bench)[0].procs
		budget := float64(procs) * 1e6 / (p.Share * rate)
		v /= budget
		figure = fmt.Sprintf("%.2fx (%s of %s µs)", v, number(v*budget), number(budget))
	} else if p.Baseline != "" {
		base, ok := lookup(results, byName, p.Pkg, p.Baseline, p.Metric)
		if !ok || base == 0 {
			return "baseline not run", "-"
		}
		v /= base
		figure = fmt.Sprintf("%.2fx", v)
	} else {
		figure = number(v) + " " + p.Metric
	}
	switch p.Op {
	case AtLeast:
		verdict = fmt.Sprintf(">= %g: %s", p.Target, pass(v >= p.Target))
	case AtMost:
		verdict = fmt.Sprintf("<= %g: %s", p.Target, pass(v <= p.Target))
	default:
		verdict = "-"
	}
	return figure, verdict
}

// number renders a figure with three significant digits, without an
// exponent.
func number(v float64) string {
	if v >= 1000 || v <= -1000 {
		return fmt.Sprintf("%.0f", v)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

func pass(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

func summarise(w io.Writer, ps []Pair, results []result, byName map[string][]int) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COMPARISON\tFIGURE\tTARGET\tMEANING")
	for _, p := range ps {
		figure, verdict := row(p, results, byName)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Name, figure, verdict, p.Means)
	}
	return tw.Flush()
}

func main() {
	var in io.Reader = os.Stdin
	if len(os.Args) > 1 {
		var readers []io.Reader
		for _, name := range os.Args[1:] {
			f, err := os.Open(name)
			if err != nil {
				fmt.Fprintln(os.Stderr, "benchsummary:", err)
				os.Exit(2)
			}
			defer f.Close()
			readers = append(readers, f)
		}
		in = io.MultiReader(readers...)
	}
	results, byName, err := parse(in)
	if err == nil {
		err = summarise(os.Stdout, pairs, results, byName)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchsummary:", err)
		os.Exit(1)
	}
}
