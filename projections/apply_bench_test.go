package projections

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// BenchmarkViewsApplyOneByOne applies events to the referrals read model
// on disk one at a time, each in a batch of its own, as a live runner does
// when the log is idle between writes.
func BenchmarkViewsApplyOneByOne(b *testing.B) {
	rng := rand.New(rand.NewPCG(13, 14))
	net := newBenchNetwork(rng, 20, 10)
	lives := benchLives(rng, net, 2_500, 0.7, func(int) uuid.UUID { return net.orgs[rng.IntN(len(net.orgs))] })
	log := interleave(rng, lives, 10_000)
	views, err := OpenViews(filepath.Join(b.TempDir(), ViewsFile))
	if err != nil {
		b.Fatal(err)
	}
	defer views.Close()
	p, err := OpenReferrals(context.Background(), views, testCalendar(b), domain.DefaultTimescales())
	if err != nil {
		b.Fatal(err)
	}
	start := processCPU()
	i := 0
	for b.Loop() {
		if i == len(log.events) {
			b.StopTimer()
			if err := views.Reset(context.Background()); err != nil {
				b.Fatal(err)
			}
			p.forget()
			i = 0
			b.StartTimer()
		}
		e := log.events[i]
		p.Apply(e.stored, e.rec)
		i++
	}
	b.ReportMetric(float64((processCPU()-start).Microseconds())/float64(b.N), "cpu-µs/event")
}
