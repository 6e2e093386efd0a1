package sqlite_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/internal/cpuclock"
)

// cpuTime returns the CPU time (user and system) the process has used; 0
// where the system cannot say (cpuclock.Supported).
func cpuTime(testing.TB) time.Duration { return cpuclock.Process() }

// BenchmarkWriterCPU measures the CPU the whole process spends per appended
// event at 256 writers (cpu-µs/event): the writer's sealing, SQL and
// commits plus the callers' side of Append. It is an upper bound on the
// writer goroutine's own cost per event, which the target is about.
func BenchmarkWriterCPU(b *testing.B) {
	if !cpuclock.Supported {
		b.Skip("no process CPU clock on this system")
	}
	s := openAt(b, filepath.Join(b.TempDir(), "ledger.db"))
	appendConcurrently(b, s, 256, 512) // warm: pages, statements, goroutines
	b.ResetTimer()
	before := cpuTime(b)
	appendConcurrently(b, s, 256, b.N)
	used := cpuTime(b) - before
	b.StopTimer()
	b.ReportMetric(float64(used.Microseconds())/float64(b.N), "cpu-µs/event")
}
