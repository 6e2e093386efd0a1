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
	// Issue 14, points 5 and 7: the server as ledger serve builds it
	// against a bare Gin handler answering 204, in the same run.
	{Name: "lifecycle vs bare Gin, 16 clients", Pkg: "http",
		Bench: "BenchmarkServer/lifecycle", Baseline: "BenchmarkServer/gin-204", Metric: "req/s",
		Means: "request rate of make/acknowledge/note/close per bare Gin request rate", Op: AtLeast, Target: 0.15},
	// Why the lifecycle's rate is where it is: the CPU per request it uses
	// against the most it may use to reach 0.15 of Gin's rate with every
	// core busy, and two parts of every write request's cost measured apart:
	// the least durable commit on this disk, and the views' work for one
	// event at four events a commit (what they gather under the lifecycle's
	// 16 clients; docs/views-and-scale.md).
	{Name: "lifecycle CPU per request", Pkg: "http",
		Bench: "BenchmarkServer/lifecycle", Metric: "cpu-µs/req",
		Means: "process CPU µs per lifecycle request, the benchmark's own HTTP client included"},
	{Name: "lifecycle CPU over its budget at 0.15 of Gin", Pkg: "http",
		Bench: "BenchmarkServer/lifecycle", Baseline: "BenchmarkServer/gin-204", Metric: "cpu-µs/req", Share: 0.15,
		Means: "CPU per request over the most that lets every core reach 0.15 of Gin's rate; above 1 out of reach",
		Op:    AtMost, Target: 1},
	{Name: "one 4 KiB write and fsync, CPU", Pkg: "eventstore/sqlite",
		Bench: "BenchmarkFsync", Metric: "cpu-µs/op",
		Means: "CPU µs (the kernel's) of the least durable commit on this disk"},
	{Name: "views, one event at four a commit, CPU", Pkg: "projections",
		Bench: "BenchmarkViewsLiveCommits_Issue14/per=4", Metric: "cpu-µs/event",
		Means: "CPU µs per event to apply four events to the referral, client and statistics views and commit"},
	{Name: "views at 16 events a commit vs four, CPU", Pkg: "projections",
		Bench: "BenchmarkViewsLiveCommits_Issue14/per=16", Baseline: "BenchmarkViewsLiveCommits_Issue14/per=4", Metric: "cpu-µs/event",
		Means: "CPU per event when the views commit every 16 events (the lifecycle's 16 clients at once) over every four (lower is better): what fewer commits could save"},
	{Name: "GET referral vs bare Gin, 16 clients", Pkg: "http",
		Bench: "BenchmarkServer/get-referral", Baseline: "BenchmarkServer/gin-204", Metric: "req/s",
		Means: "request rate of GET /v1/referrals/{id} per bare Gin request rate", Op: AtLeast, Target: 0.30},
	{Name: "make-referral p99 / acknowledge p99", Pkg: "http",
		Bench: "BenchmarkServer/lifecycle", Metric: "make/ack-p99",
		Means: "p99 latency of making a referral over that of acknowledging one", Op: AtMost, Target: 2},
	{Name: "command on a 500-event vs a 5-event referral", Pkg: "ledger",
		Bench: "BenchmarkCommandByStreamLength/events=500", Baseline: "BenchmarkCommandByStreamLength/events=5", Metric: "ns/op",
		Means: "cost of adding a note to a long case over a short one", Op: AtMost, Target: 1.2},
	// Issue 14, point 3: rebuilding the views through the real runner.
	{Name: "rebuild the referral views through the runner", Pkg: "projections",
		Bench: "BenchmarkReferralsRebuildThroughRunner", Metric: "events/s",
		Means: "events/s applied to the referral lists by the projection runner"},
	{Name: "rebuild every view through the runner", Pkg: "projections",
		Bench: "BenchmarkAllViewsRebuildThroughRunner", Metric: "events/s",
		Means: "events/s applied to every read model on views.db, hash links checked", Op: AtLeast, Target: 150_000},
	{Name: "rebuild every view, per CPU-second", Pkg: "projections",
		Bench: "BenchmarkAllViewsRebuildThroughRunner", Metric: "events/cpu-s",
		Means: "the same per second of CPU: 150k events/s on two cores needs 75k at least", Op: AtLeast, Target: 75_000},
	{Name: "rebuild: SQLite's own floor per event", Pkg: "projections",
		Bench: "BenchmarkRebuildSQLiteFloor_Issue14", Metric: "floor-µs/event",
		Means: "CPU µs per event SQLite needs at least to write a rebuild's rows and indexes on its one writing connection; 150k events/s leaves it 6.7"},
	{Name: "rebuild: its rows written from Go values", Pkg: "projections",
		Bench: "BenchmarkRebuildSQLiteFloor_Issue14", Metric: "values-µs/event",
		Means: "CPU µs per event to write the same rows from values already computed, one prepared INSERT a row, as the rebuild binds them (no decoding, no folding)", Op: AtMost, Target: 6.7},
	{Name: "rebuild: its rows written 32 to a statement", Pkg: "projections",
		Bench: "BenchmarkRebuildSQLiteFloor_Issue14", Metric: "values32-µs/event",
		Means: "the same with 32 rows to an INSERT, the least found through database/sql (256 to a statement costs the same)", Op: AtMost, Target: 6.7},
	{Name: "replay through a subscription", Pkg: "eventstore/sqlite",
		Bench: "BenchmarkReplaySubscribe", Metric: "events/s",
		Means: "events/s a subscription from the start delivers (what the runner reads)"},
	{Name: "verify the whole log (start-up check)", Pkg: "eventstore/sqlite",
		Bench: "BenchmarkVerify", Metric: "events/s",
		Means: "events/s whose hash chains sqlite.Verify recomputes (100k events)"},
	// Issue 14, point 2: a restart resumes instead of replaying.
	{Name: "restart of the account views: resumed vs replayed", Pkg: "projections",
		Bench: "BenchmarkIssue14AccountViewsRestart/resumed", Baseline: "BenchmarkIssue14AccountViewsRestart/replayed", Metric: "cpu-ns/op",
		Means: "CPU of a restart from views.db over that of replaying the log (lower is better)"},
	{Name: "notifier restart vs its rebuild", Pkg: "notify",
		Bench: "BenchmarkIssue14Notifier/restart", Baseline: "BenchmarkIssue14Notifier/rebuild", Metric: "cpu-ms/op",
		Means: "CPU of a notifier start from its checkpoint over a start from the log (lower is better)"},
	{Name: "start-up key check: one pass vs a Get per client", Pkg: "keystore/sqlite",
		Bench: "BenchmarkStartupKeyCheck/each", Baseline: "BenchmarkStartupKeyCheck/get", Metric: "ns/op",
		Means: "time to check 1,000 clients' keys in one pass over one query each (lower is better)"},
	// Issue 15, point 6: what the audit tree costs.
	{Name: "append with the audit tree vs without, 1 writer", Pkg: "eventstore/sqlite",
		Bench: "BenchmarkAppendAuditTree/tree=on/writers=1", Baseline: "BenchmarkAppendAuditTree/tree=off/writers=1", Metric: "events/s",
		Means: "append rate with the tree kept in the same transaction over the rate without", Op: AtLeast, Target: 0.9},
	{Name: "append with the audit tree vs without, 64 writers", Pkg: "eventstore/sqlite",
		Bench: "BenchmarkAppendAuditTree/tree=on/writers=64", Baseline: "BenchmarkAppendAuditTree/tree=off/writers=64", Metric: "events/s",
		Means: "append rate with the tree kept in the same transaction over the rate without", Op: AtLeast, Target: 0.9},
	{Name: "inclusion proof p99, embedded store", Pkg: "eventstore/sqlite",
		Bench: "BenchmarkAuditInclusionProof", Metric: "p99-ns/op",
		Means: "p99 time to prove an event is in the tree, in ns"},
	{Name: "checkpoint signing", Pkg: "audit",
		Bench: "BenchmarkSignCheckpoint", Metric: "ns/op",
		Means: "time to compute the root and sign a checkpoint, in ns"},
}
