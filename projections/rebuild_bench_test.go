package projections

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/sqlite"
	"github.com/referral-ledger/ledger/keystore"
	"github.com/referral-ledger/ledger/ledger"
)

// benchStore returns a SQLite store in dir holding referrals' lives, as
// the service writes them (concurrent appends sharing group commits).
func benchStore(b *testing.B, referrals int) (eventstore.Store, eventstore.Position) {
	rng := rand.New(rand.NewPCG(3, 4))
	net := newBenchNetwork(rng, 20, 10)
	lives := benchLives(rng, net, referrals, 0.7, func(int) uuid.UUID { return net.orgs[rng.IntN(len(net.orgs))] })
	store, err := sqlite.Open(filepath.Join(b.TempDir(), "events.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	codec := ledger.NewCodec(benchKeys{})
	ctx := context.Background()
	work := make(chan benchLife)
	var wg sync.WaitGroup
	var failed error
	var failedOnce sync.Once
	for range 16 {
		wg.Go(func() {
			for l := range work {
				if err := appendLife(ctx, store, codec, l); err != nil {
					failedOnce.Do(func() { failed = err })
				}
			}
		})
	}
	for _, l := range lives {
		work <- l
	}
	close(work)
	wg.Wait()
	if failed != nil {
		b.Fatal(failed)
	}
	head, err := store.Head(ctx)
	if err != nil {
		b.Fatal(err)
	}
	return store, head
}

// runToHead runs r until it has applied every event up to head.
func runToHead(b *testing.B, r *Runner, head eventstore.Position) {
	ctx := context.Background()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(runCtx) }()
	if err := r.WaitFor(ctx, head); err != nil {
		b.Fatal(err)
	}
	stop()
	<-done
}

// reportRates reports events/s of wall time and of the process's CPU.
func reportRates(b *testing.B, events eventstore.Position, cpu time.Duration) {
	n := float64(events) * float64(b.N)
	b.ReportMetric(n/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(n/cpu.Seconds(), "events/cpu-s")
}

// BenchmarkViewsRebuildThroughRunner is `ledger rebuild-views` of the
// persistent views on disk: views.db reset, then rebuilt through the
// runner from a real SQLite store of 50,000 events, every hash link
// checked (R-LEDGER-4) and every event decoded with the public codec.
func BenchmarkViewsRebuildThroughRunner(b *testing.B) {
	store, head := benchStore(b, 12_500)
	ctx := context.Background()
	views, err := OpenViews(filepath.Join(b.TempDir(), ViewsFile))
	if err != nil {
		b.Fatal(err)
	}
	defer views.Close()
	cal := testCalendar(b)
	p, err := OpenReferrals(ctx, views, cal, domain.DefaultTimescales())
	if err != nil {
		b.Fatal(err)
	}
	cpu := time.Duration(0)
	for b.Loop() {
		start := processCPU()
		r := NewRunner(store, ledger.NewPublicCodec(), p)
		r.CheckChains()
		r.UseViews(views)
		if err := r.ResetViews(ctx); err != nil {
			b.Fatal(err)
		}
		runToHead(b, r, head)
		cpu += processCPU() - start
		if p.Checkpoint() != head {
			b.Fatalf("checkpoint %d, head %d", p.Checkpoint(), head)
		}
	}
	reportRates(b, head, cpu)
}

// BenchmarkAllViewsRebuildThroughRunner rebuilds every read model
// node.Build feeds (not the notifier), wired as it wires them: views.db on
// disk, hash links checked, the public codec, from 50,000 events.
func BenchmarkAllViewsRebuildThroughRunner(b *testing.B) {
	store, head := benchStore(b, 12_500)
	ctx := context.Background()
	views, err := OpenViews(filepath.Join(b.TempDir(), ViewsFile))
	if err != nil {
		b.Fatal(err)
	}
	defer views.Close()
	cal := testCalendar(b)
	ts := domain.DefaultTimescales()
	referrals, err := OpenReferrals(ctx, views, cal, ts)
	if err != nil {
		b.Fatal(err)
	}
	marker := ledger.NewIndexKey(keystore.GenerateMasterKey())
	// Every read model on the same views.db, as node.Build opens them.
	orgs, err := OpenOrganisations(ctx, views)
	if err != nil {
		b.Fatal(err)
	}
	clients, err := OpenClients(ctx, views)
	if err != nil {
		b.Fatal(err)
	}
	locks, err := OpenLocks(ctx, views)
	if err != nil {
		b.Fatal(err)
	}
	stats, err := OpenStatistics(ctx, views, cal, ts)
	if err != nil {
		b.Fatal(err)
	}
	rate, err := OpenMessageRate(ctx, views, 100, time.Hour, time.Now)
	if err != nil {
		b.Fatal(err)
	}
	known, err := OpenKnownClients(ctx, views, store, ledger.NewCodec(benchKeys{}), marker)
	if err != nil {
		b.Fatal(err)
	}
	cpu := time.Duration(0)
	for b.Loop() {
		start := processCPU()
		r := NewRunner(store, ledger.NewPublicCodec(), orgs, clients, locks, referrals, stats, rate, known)
		r.CheckChains()
		r.UseViews(views)
		if err := r.ResetViews(ctx); err != nil {
			b.Fatal(err)
		}
		runToHead(b, r, head)
		cpu += processCPU() - start
	}
	reportRates(b, head, cpu)
}
