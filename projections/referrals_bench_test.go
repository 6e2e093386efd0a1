package projections

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/ledger"
)

// benchNetwork is the network the benchmarks' referrals travel in.
type benchNetwork struct {
	orgs  []uuid.UUID
	users map[uuid.UUID][]uuid.UUID
}

func newBenchNetwork(rng *rand.Rand, orgs, usersPerOrg int) benchNetwork {
	n := benchNetwork{users: map[uuid.UUID][]uuid.UUID{}}
	for range orgs {
		org := randomID(rng)
		n.orgs = append(n.orgs, org)
		for range usersPerOrg {
			n.users[org] = append(n.users[org], randomID(rng))
		}
	}
	return n
}

// benchLife is one referral's events, in order.
type benchLife struct {
	stream string
	events []domain.Event
	at     []time.Time
	by     []uuid.UUID // the user who recorded each event
	org    []uuid.UUID // and their organisation
}

// benchLives makes referrals in net with realistic lives: made (a third
// urgent), assigned, acknowledged, noted (half with an agreed date) and,
// with probability closed, closed. to picks each receiver.
func benchLives(rng *rand.Rand, net benchNetwork, count int, closed float64, to func(i int) uuid.UUID) []benchLife {
	start := time.Date(2026, time.January, 5, 9, 0, 0, 0, time.UTC)
	lives := make([]benchLife, count)
	for i := range lives {
		id, client, from, receiver := randomID(rng), randomID(rng), net.orgs[rng.IntN(len(net.orgs))], to(i)
		for from == receiver {
			from = net.orgs[rng.IntN(len(net.orgs))]
		}
		t := start.Add(time.Duration(rng.IntN(365*24)) * time.Hour)
		l := benchLife{stream: ledger.ReferralStream(id)}
		by, org := net.users[from][i%len(net.users[from])], from
		add := func(ev domain.Event) {
			l.events, l.at = append(l.events, ev), append(l.at, t)
			l.by, l.org = append(l.by, by), append(l.org, org)
			t = t.Add(time.Duration(1+rng.IntN(72)) * time.Hour)
		}
		add(&domain.ReferralMade{ReferralID: id, FromOrganisationID: from, ToOrganisationID: receiver, ClientID: client,
			Urgent: rng.IntN(3) == 0, PrivacyNoticeGiven: true})
		by, org = net.users[receiver][i%len(net.users[receiver])], receiver
		assignee := net.users[receiver][rng.IntN(len(net.users[receiver]))]
		add(&domain.ReferralAssigned{UserID: assignee})
		by = assignee
		if rng.Float64() < 0.5+closed/2 {
			add(&domain.ReferralAcknowledged{})
			note := &domain.ReferralNoteAdded{NoteID: randomID(rng), ClientID: client}
			if rng.IntN(2) == 0 {
				note.AgreedCloseBy = t.AddDate(0, 0, 14).Format("2006-01-02")
			}
			add(note)
			if rng.Float64() < closed {
				add(&domain.ReferralClosed{ClientID: client, Outcome: domain.OutcomePositive})
			}
		}
		lives[i] = l
	}
	return lives
}

// interleave lays lives out in one global order, up to max events, as
// many cases progressing at once would: each event comes from one of a
// window of cases in progress.
func interleave(rng *rand.Rand, lives []benchLife, max int) *eventLog {
	total := 0
	for _, l := range lives {
		total += len(l.events)
	}
	log := newEventLog()
	log.events = make([]fedEvent, 0, min(max, total))
	const window = 256
	var active []benchLife
	for len(log.events) < max && (len(lives) > 0 || len(active) > 0) {
		for len(active) < window && len(lives) > 0 {
			active, lives = append(active, lives[0]), lives[1:]
		}
		i := rng.IntN(len(active))
		l := &active[i]
		log.add(l.stream, l.at[0], uuid.Nil, uuid.Nil, l.events[0])
		if l.events, l.at = l.events[1:], l.at[1:]; len(l.events) == 0 {
			active = slices.Delete(active, i, i+1)
		}
	}
	return log
}

// BenchmarkReferralsRebuild rebuilds the referrals read model from
// 100,000 events held in memory, fed to it in the runner's live batches
// (batchMax events a transaction): the cost of applying, without the
// store or the codec. (At 1,000,000 events one run took nearly three
// minutes of make bench.)
func BenchmarkReferralsRebuild(b *testing.B) {
	const events = 100_000
	rng := rand.New(rand.NewPCG(1, 2))
	net := newBenchNetwork(rng, 50, 10)
	lives := benchLives(rng, net, events/4, 0.7, func(int) uuid.UUID { return net.orgs[rng.IntN(len(net.orgs))] })
	log := interleave(rng, lives, events)
	cal := testCalendar(b)
	var p *Referrals
	for b.Loop() {
		p = NewReferrals(cal, domain.DefaultTimescales())
		feed(p, log.events)
	}
	b.ReportMetric(float64(len(log.events))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(noErr[int](b)(p.Len())), "referrals")
}

// benchKeys is a key store of one key, enough to seal events for a
// benchmark store.
type benchKeys struct{}

func (benchKeys) KeyForWrite(context.Context, uuid.UUID) (ledger.DataKey, error) {
	return ledger.DataKey{1}, nil
}
func (benchKeys) KeyForRead(context.Context, uuid.UUID) (ledger.DataKey, bool, error) {
	return ledger.DataKey{1}, false, nil
}

// appendLife stores one referral's events in its stream, under
// time-ordered (version 7) event ids as the service mints them.
func appendLife(ctx context.Context, store eventstore.Store, codec *ledger.Codec, l benchLife) error {
	data := make([]eventstore.EventData, len(l.events))
	for i, ev := range l.events {
		id, err := uuid.NewV7()
		if err != nil {
			return err
		}
		if data[i], err = codec.Encode(ctx, id, ev, eventstore.Metadata{RecordedAt: l.at[i]}); err != nil {
			return err
		}
	}
	_, err := store.Append(ctx, l.stream, eventstore.NoStream(), data...)
	return err
}

// BenchmarkReferralsRebuildThroughRunner rebuilds the read model through
// the Runner from a real SQLite store: reading, decoding with the public
// codec and applying.
func BenchmarkReferralsRebuildThroughRunner(b *testing.B) {
	store, head := benchStore(b, 12_500)
	ctx := context.Background()
	cal := testCalendar(b)
	cpu := time.Duration(0)
	for b.Loop() {
		start := processCPU()
		p := NewReferrals(cal, domain.DefaultTimescales())
		r := NewRunner(store, ledger.NewPublicCodec(), p)
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- r.Run(runCtx) }()
		if err := r.WaitFor(ctx, head); err != nil {
			b.Fatal(err)
		}
		stop()
		<-done
		cpu += processCPU() - start
		if p.Checkpoint() != head {
			b.Fatalf("checkpoint %d, head %d", p.Checkpoint(), head)
		}
	}
	reportRates(b, head, cpu)
}

// BenchmarkViewQueries measures the latency of the list queries on a read
// model of 100,000 open referrals, all to one organisation (the worst
// case: one inbox of 100,000), reporting the median and 99th percentile.
func BenchmarkViewQueries(b *testing.B) {
	const open = 100_000
	rng := rand.New(rand.NewPCG(5, 6))
	net := newBenchNetwork(rng, 20, 10)
	big := net.orgs[0]
	lives := benchLives(rng, net, open, 0, func(int) uuid.UUID { return big })
	log := interleave(rng, lives, 1<<30)
	p := NewReferrals(testCalendar(b), domain.DefaultTimescales())
	feed(p, log.events)
	now := time.Date(2026, time.July, 1, 12, 0, 0, 0, time.UTC) // about half overdue

	// Cursors all through the inbox, for pages read from anywhere.
	var cursors []string
	for after := ""; ; {
		page, err := p.Inbox(InboxQuery{Organisation: big, After: after}, now)
		if err != nil {
			b.Fatal(err)
		}
		if page.Next == "" {
			break
		}
		cursors = append(cursors, page.Next)
		after = page.Next
	}
	if len(cursors) < open/DefaultLimit-1 {
		b.Fatalf("%d pages of %d open referrals", len(cursors), open)
	}
	adviser := net.users[big][0]
	queries := []struct {
		name string
		run  func() (int, error)
	}{
		{"inbox-first-page", func() (int, error) {
			pg, err := p.Inbox(InboxQuery{Organisation: big}, now)
			return len(pg.Items), err
		}},
		{"inbox-any-page", func() (int, error) {
			pg, err := p.Inbox(InboxQuery{Organisation: big, After: cursors[rng.IntN(len(cursors))]}, now)
			return len(pg.Items), err
		}},
		{"inbox-max-page", func() (int, error) {
			pg, err := p.Inbox(InboxQuery{Organisation: big, Limit: MaxLimit}, now)
			return len(pg.Items), err
		}},
		{"inbox-assigned-me", func() (int, error) {
			pg, err := p.Inbox(InboxQuery{Organisation: big, Assignee: adviser}, now)
			return len(pg.Items), err
		}},
		{"inbox-status-made", func() (int, error) {
			pg, err := p.Inbox(InboxQuery{Organisation: big, Status: domain.StatusMade}, now)
			return len(pg.Items), err
		}},
		{"overdue-network", func() (int, error) {
			pg, err := p.Overdue(OverdueQuery{}, now)
			return len(pg.Items), err
		}},
		{"outbox", func() (int, error) {
			pg, err := p.Outbox(OutboxQuery{Organisation: net.orgs[1]}, now)
			return len(pg.Items), err
		}},
	}
	for _, q := range queries {
		b.Run(q.name, func(b *testing.B) {
			var took []time.Duration
			for b.Loop() {
				start := time.Now()
				n, err := q.run()
				took = append(took, time.Since(start))
				if err != nil || n == 0 {
					b.Fatalf("%d items, %v", n, err)
				}
			}
			slices.Sort(took)
			µs := func(q float64) float64 {
				return float64(took[min(len(took)-1, int(q*float64(len(took))))].Nanoseconds()) / 1e3
			}
			b.ReportMetric(µs(0.50), "p50-µs")
			b.ReportMetric(µs(0.99), "p99-µs")
		})
	}
}
