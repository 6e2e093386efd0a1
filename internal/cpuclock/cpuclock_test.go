package cpuclock

import (
	"crypto/sha256"
	"testing"
)

// TestProcessCountsWork: the clock moves forward by at least the CPU a
// busy loop spends, and never backwards.
func TestProcessCountsWork(t *testing.T) {
	if !Supported {
		t.Skip("no process CPU clock on this system")
	}
	before := Process()
	if before <= 0 {
		t.Fatalf("process CPU %v, want > 0 for a running test", before)
	}
	sum := sha256.Sum256(nil)
	for range 200_000 {
		sum = sha256.Sum256(sum[:])
	}
	after := Process()
	if after <= before {
		t.Fatalf("CPU went from %v to %v over 200,000 hashes (%x)", before, after, sum[:2])
	}
}
