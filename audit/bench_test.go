package audit

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/eventstore"
)

const benchLeaves = 1 << 15

// benchTree is a tree of benchLeaves leaves in files, as a KurrentDB node
// keeps it (the embedded store's is measured in eventstore/sqlite).
func benchTree(b *testing.B) *fixture {
	b.Helper()
	f := newFixture(b, 0)
	for i := range benchLeaves {
		hash := eventstore.ComputeHash("s", uint64(i), [16]byte{}, "T", 1, nil, eventstore.Metadata{})
		if err := f.tree.Append(eventstore.RecordedEvent{Position: eventstore.Position(i + 1), Metadata: eventstore.Metadata{Hash: hash}}); err != nil {
			b.Fatal(err)
		}
	}
	return f
}

// reportP99 reports the 99th percentile of the per-operation times.
func reportP99(b *testing.B, took []time.Duration) {
	slices.Sort(took)
	if len(took) > 0 {
		b.ReportMetric(float64(took[len(took)*99/100].Nanoseconds()), "p99-ns/op")
	}
}

// BenchmarkProveInclusion: an inclusion proof, as each event of a case
// bundle needs, in a tree of 32768 events (make bench: proof p99).
func BenchmarkProveInclusion(b *testing.B) {
	f := benchTree(b)
	ctx := context.Background()
	took := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		if _, err := ProveInclusion(ctx, f.tree, benchLeaves, int64(i*7919%benchLeaves)); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	reportP99(b, took)
}

// BenchmarkProveConsistency: a consistency proof between two sizes, as
// ledger audit check asks for.
func BenchmarkProveConsistency(b *testing.B) {
	f := benchTree(b)
	ctx := context.Background()
	took := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		if _, err := ProveConsistency(ctx, f.tree, int64(1+i*7919%(benchLeaves-1)), benchLeaves); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	reportP99(b, took)
}

// BenchmarkSignCheckpoint: the root of a 32768-event tree and its Ed25519
// signed note (make bench: checkpoint signing time).
func BenchmarkSignCheckpoint(b *testing.B) {
	f := benchTree(b)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		root, err := Root(ctx, f.tree, benchLeaves)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Sign(Checkpoint{Origin: testOrigin, Size: benchLeaves, Hash: root, Time: time.Unix(0, 0)}, f.signer); err != nil {
			b.Fatal(err)
		}
	}
}
