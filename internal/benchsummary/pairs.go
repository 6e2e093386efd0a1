package main

// pairs is what `make bench` summarises: each row compares a benchmark with
// its baseline measured in the same run, or, with no baseline, reports the
// benchmark's own figure. Add a row here for a new comparison; Bench and
// Baseline are benchmark names as `go test -bench` prints them, without the
// -GOMAXPROCS suffix, and Pkg (optional) the end of the import path of the
// package that runs them, for names that occur in more than one package.
var pairs = []Pair{
	// Issue 14, point 4: the embedded store against raw SQLite inserts of
	// rows of the same shape in transactions of the same size.
	{Name: "append vs raw SQLite, 1 writer", Pkg: "eventstore/sqlite",
		Bench: "BenchmarkAppend/writers=1", Baseline: "BenchmarkRawSQLite/writers=1", Metric: "events/s",
		Means: "store appends per raw insert (same rows, same tx sizes)"},
	{Name: "append vs raw SQLite, 16 writers", Pkg: "eventstore/sqlite",
		Bench: "BenchmarkAppend/writers=16", Baseline: "BenchmarkRawSQLite/writers=16", Metric: "events/s",
		Means: "store appends per raw insert (same rows, same tx sizes)"},
	{Name: "append vs raw SQLite, 256 writers", Pkg: "eventstore/sqlite",
		Bench: "BenchmarkAppend/writers=256", Baseline: "BenchmarkRawSQLite/writers=256", Metric: "events/s",
		Means: "store appends per raw insert (same rows, same tx sizes)", Op: AtLeast, Target: 0.6},
	{Name: "append CPU vs raw SQLite CPU, 256 writers", Pkg: "eventstore/sqlite",
		Bench: "BenchmarkAppend/writers=256", Baseline: "BenchmarkRawSQLite/writers=256", Metric: "cpu-µs/event",
		Means: "process CPU per event, store / raw (lower is better)"},
	// Issue 14, point 1: the store against the PostgreSQL events table a
	// team would build instead.
	{Name: "append vs PostgreSQL peer, 1 writer", Pkg: "eventstore/sqlite",
		Bench: "BenchmarkAppend/writers=1", Baseline: "BenchmarkPostgresPeer/writers=1", Metric: "events/s",
		Means: "store appends per PostgreSQL events-table append"},
	{Name: "append vs PostgreSQL peer, 16 writers", Pkg: "eventstore/sqlite",
		Bench: "BenchmarkAppend/writers=16", Baseline: "BenchmarkPostgresPeer/writers=16", Metric: "events/s",
		Means: "store appends per PostgreSQL events-table append"},
	{Name: "append vs PostgreSQL peer, 256 writers", Pkg: "eventstore/sqlite",
		Bench: "BenchmarkAppend/writers=256", Baseline: "BenchmarkPostgresPeer/writers=256", Metric: "events/s",
		Means: "store appends per PostgreSQL events-table append", Op: AtLeast, Target: 3},
	// Issue 14, points 3 and 4: absolute figures.
	{Name: "read-all", Pkg: "eventstore/sqlite",
		Bench: "BenchmarkReadAll", Metric: "events/s",
		Means: "events/s replayed through the store's ReadAll", Op: AtLeast, Target: 300_000},
	{Name: "read-all per CPU-second", Pkg: "eventstore/sqlite",
		Bench: "BenchmarkReadAll", Metric: "events/cpu-s",
		Means: "the same, per second of CPU (steady when the machine is shared)", Op: AtLeast, Target: 300_000},
	{Name: "writer CPU, 256 writers", Pkg: "eventstore/sqlite",
		Bench: "BenchmarkWriterCPU", Metric: "cpu-µs/event",
		Means: "process CPU µs per appended event", Op: AtMost, Target: 20},
}
