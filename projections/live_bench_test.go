package projections

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// BenchmarkViewsLiveCommits_Issue14 applies referrals' events to the
// views a referral's event changes on disk (the referrals, the clients
// index, the statistics), as a runner caught up does: each batch of per
// events in a transaction of its own with the views' checkpoints: 1 when
// the log is idle between writes, 4 as the views gather under the server
// benchmark's 16 clients, 16 when all of those clients' writes would share
// a commit (the most they can: each waits for its write's views before it
// sends the next), 64 for views committing far less often than they are
// written. The differences tell what fewer commits could save.
func BenchmarkViewsLiveCommits_Issue14(b *testing.B) {
	for _, per := range []int{1, 4, 16, 64} {
		b.Run(fmt.Sprintf("per=%d", per), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(13, 14))
			net := newBenchNetwork(rng, 20, 10)
			lives := benchLives(rng, net, 2_500, 0.7, func(int) uuid.UUID { return net.orgs[rng.IntN(len(net.orgs))] })
			log := interleave(rng, lives, 10_000)
			ctx := context.Background()
			views, err := OpenViews(filepath.Join(b.TempDir(), ViewsFile))
			if err != nil {
				b.Fatal(err)
			}
			defer views.Close()
			cal, ts := testCalendar(b), domain.DefaultTimescales()
			refs, err := OpenReferrals(ctx, views, cal, ts)
			if err != nil {
				b.Fatal(err)
			}
			clients, err := OpenClients(ctx, views)
			if err != nil {
				b.Fatal(err)
			}
			stats, err := OpenStatistics(ctx, views, cal, ts)
			if err != nil {
				b.Fatal(err)
			}
			ps := []Persistent{refs, clients, stats}
			start := processCPU()
			i, events := 0, 0
			for b.Loop() {
				if i+per > len(log.events) {
					b.StopTimer()
					if err := views.Reset(ctx); err != nil {
						b.Fatal(err)
					}
					for _, p := range ps {
						p.forget()
					}
					i = 0
					b.StartTimer()
				}
				batch, err := views.Begin(ctx)
				if err != nil {
					b.Fatal(err)
				}
				for _, e := range log.events[i : i+per] {
					for _, p := range ps {
						if err := p.ApplyIn(batch, e.stored, e.rec); err != nil {
							b.Fatal(err)
						}
					}
				}
				if err := batch.Commit(); err != nil {
					b.Fatal(err)
				}
				i += per
				events += per
			}
			b.ReportMetric(float64((processCPU()-start).Microseconds())/float64(events), "cpu-µs/event")
		})
	}
}
