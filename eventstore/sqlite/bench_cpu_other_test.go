//go:build !unix

package sqlite_test

import (
	"testing"
	"time"
)

// cpuTime is not measured where getrusage is missing: CPU figures read 0.
func cpuTime(testing.TB) time.Duration { return 0 }

// BenchmarkWriterCPU needs getrusage.
func BenchmarkWriterCPU(b *testing.B) { b.Skip("no getrusage on this system") }
