//go:build unix

package sqlite_test

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// cpuTime returns the CPU time (user and system) the process has used;
// bench_cpu_other_test.go has the stub for systems without getrusage.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkWriterCPU measures the CPU the whole process spends per appended
// event at 256 writers (cpu-µs/event): the writer's sealing, SQL and
// commits plus the callers' side of Append. It is an upper bound on the
// writer goroutine's own cost per event, which the target is about.
func BenchmarkWriterCPU(b *testing.B) {
	s := openAt(b, filepath.Join(b.TempDir(), "ledger.db"))
	appendConcurrently(b, s, 256, 512) // warm: pages, statements, goroutines
	b.ResetTimer()
	before := cpuTime(b)
	appendConcurrently(b, s, 256, b.N)
	used := cpuTime(b) - before
	b.StopTimer()
	b.ReportMetric(float64(used.Microseconds())/float64(b.N), "cpu-µs/event")
}
