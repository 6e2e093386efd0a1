package sqlite_test

import (
	"os"
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

// BenchmarkFsync measures the least a durable commit costs on the disk the
// benchmarks write to: one 4 KiB page written to a file and fsynced, as
// each commit of the store (synchronous=FULL) and of the key store does at
// least once. It reports the process CPU per fsync (cpu-µs/op, kernel time
// almost all of it) besides the time: on a virtual machine's disk an fsync
// uses the CPU as well as waiting, and that CPU is part of every durable
// write request's cost, below anything the service itself can trim
// (issue 14's CPU budget for the lifecycle; docs/views-and-scale.md).
func BenchmarkFsync(b *testing.B) {
	if !cpuclock.Supported {
		b.Skip("no process CPU clock on this system")
	}
	f, err := os.OpenFile(filepath.Join(b.TempDir(), "fsync"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	page := make([]byte, 4096)
	const pages = 64 // a WAL's worth of pages, rewritten in turn
	before, n := cpuTime(b), 0
	for b.Loop() {
		if _, err := f.WriteAt(page, int64(n%pages)*int64(len(page))); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64((cpuTime(b)-before).Microseconds())/float64(n), "cpu-µs/op")
}
