package notify

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/internal/cpuclock"
	"github.com/referral-ledger/ledger/internal/scaleledger"
	"github.com/referral-ledger/ledger/ledger"
)

// cpuTime is the CPU time, user and system, the process has used so far.
var cpuTime = cpuclock.Process

// BenchmarkIssue14Notifier measures a notifier's start on a ledger of
// NOTIFY_BENCH_EVENTS events (100,000 by default): Open and Run until it has
// caught up with the head, then stop. "restart" starts on a
// notifications.db that has processed the ledger; "rebuild" on a new one
// (as after the migration that added the stored state). It reports the CPU
// time per start and the heap in use once caught up. It uses only what the
// notifier offered before its state was kept on disk, so that it runs on
// both.
func BenchmarkIssue14Notifier(b *testing.B) {
	events := 100_000
	if v, err := strconv.Atoi(os.Getenv("NOTIFY_BENCH_EVENTS")); err == nil && v > 0 {
		events = v
	}
	h := newHarness(b)
	h.opts.Log = zerolog.Nop()
	scaleledger.Generate(b, h.store, ledger.NewCodec(scaleledger.OneKey{}), events)
	head, err := h.store.Head(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(h.dir, FileName)
	start := func(b *testing.B) (heap uint64) {
		n, err := Open(context.Background(), path, h.store, LogSender{Log: zerolog.Nop()}, h.opts)
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- n.Run(ctx) }()
		wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Minute)
		if err := n.WaitFor(wctx, head); err != nil {
			b.Fatal(err)
		}
		wcancel()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		if err := n.Close(); err != nil {
			b.Fatal(err)
		}
		return ms.HeapInuse
	}
	measure := func(b *testing.B, before func()) {
		var cpu time.Duration
		var heap uint64
		for range b.N {
			b.StopTimer()
			before()
			b.StartTimer()
			t0 := cpuTime()
			heap = max(heap, start(b))
			cpu += cpuTime() - t0
		}
		b.ReportMetric(float64(cpu)/float64(b.N)/1e6, "cpu-ms/op")
		b.ReportMetric(float64(heap)/(1<<20), "heap-MB")
		b.ReportMetric(float64(head), "events")
	}
	b.Run("restart", func(b *testing.B) {
		start(b) // processes the ledger once
		measure(b, func() {})
	})
	b.Run("rebuild", func(b *testing.B) {
		measure(b, func() {
			for _, suffix := range []string{"", "-wal", "-shm"} {
				if err := os.Remove(path + suffix); err != nil && !os.IsNotExist(err) {
					b.Fatal(err)
				}
			}
		})
	})
}
