package projections

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/sqlite"
	"github.com/referral-ledger/ledger/internal/cpuclock"
	"github.com/referral-ledger/ledger/ledger"
)

// accountsBenchLog appends a network's accounts, locks and messages to a
// new store, with referrals between them: orgs organisations of users
// accounts each, a lock requested and approved for locks clients, and
// messages recorded within the rate window.
func accountsBenchLog(b *testing.B, dir string, orgs, users, locks, messages, referrals int, now time.Time) eventstore.Store {
	b.Helper()
	store, err := sqlite.Open(filepath.Join(dir, "events.db"))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	codec := ledger.NewCodec(benchKeys{})
	rng := rand.New(rand.NewPCG(11, 12))
	ids := v7Minter{rng: rng} // event ids as the service mints them
	var pending []eventstore.EventData
	var stream string
	flush := func() {
		if len(pending) > 0 {
			if _, err := store.Append(ctx, stream, eventstore.Any(), pending...); err != nil {
				b.Fatal(err)
			}
		}
		pending = pending[:0]
	}
	add := func(s string, at time.Time, actor uuid.UUID, ev domain.Event) {
		if s != stream {
			flush()
			stream = s
		}
		meta := eventstore.Metadata{RecordedAt: at}
		if actor != uuid.Nil {
			meta.ActorUserID = actor.String()
		}
		data, err := codec.Encode(ctx, ids.at(at), ev, meta)
		if err != nil {
			b.Fatal(err)
		}
		pending = append(pending, data)
	}
	at := now.Add(-30 * time.Minute)
	coord := randomID(rng)
	net := benchNetwork{users: map[uuid.UUID][]uuid.UUID{}}
	for i := range orgs {
		org := randomID(rng)
		net.orgs = append(net.orgs, org)
		add(ledger.OrganisationStream(org), at, uuid.Nil, &domain.OrganisationRegistered{OrganisationID: org, Name: "Org " + org.String()[:8]})
		for j := range users {
			id := randomID(rng)
			if i == 0 && j == 0 {
				id = coord
			}
			net.users[org] = append(net.users[org], id)
			add(ledger.OrganisationStream(org), at, coord, &domain.OrganisationUserAdded{UserID: id, Username: id.String(),
				Roles: []domain.Role{domain.RoleAdviser, domain.RoleCoordinator}, PasswordHash: "hash"})
		}
	}
	for range locks {
		client, req := randomID(rng), randomID(rng)
		add(ledger.ClientStream(client), at, coord, &domain.LockRequested{RequestID: req, ClientID: client, ResponsibleUserID: coord})
		add(ledger.ClientStream(client), at, coord, &domain.LockApproved{RequestID: req})
	}
	client := randomID(rng)
	for range messages {
		add(ledger.MessagesStream(client), at, coord, &domain.MessageForResponsiblePerson{MessageID: randomID(rng), ClientID: client})
	}
	flush()
	for _, l := range benchLives(rng, net, referrals, 0.6, func(int) uuid.UUID { return net.orgs[rng.IntN(len(net.orgs))] }) {
		if err := appendLife(ctx, store, codec, l); err != nil {
			b.Fatal(err)
		}
	}
	return store
}

// BenchmarkIssue14AccountViewsRestart compares, on one log, what starting
// the organisations, locks and message rate read models costs: resumed
// from views.db at the head (what a restart does now), or built by
// replaying the whole log (what every restart did when they lived in
// memory).
func BenchmarkIssue14AccountViewsRestart(b *testing.B) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	dir := b.TempDir()
	store := accountsBenchLog(b, dir, 50, 20, 2000, 200, 5000, now)
	defer store.Close()
	ctx := context.Background()
	head, err := store.Head(ctx)
	if err != nil {
		b.Fatal(err)
	}
	start := func(b *testing.B, path string) {
		views, err := OpenViews(path)
		if err != nil {
			b.Fatal(err)
		}
		defer views.Close()
		orgs, err := OpenOrganisations(ctx, views)
		if err != nil {
			b.Fatal(err)
		}
		locks, err := OpenLocks(ctx, views)
		if err != nil {
			b.Fatal(err)
		}
		rate, err := OpenMessageRate(ctx, views, 3, time.Hour, clock)
		if err != nil {
			b.Fatal(err)
		}
		r := NewRunner(store, ledger.NewPublicCodec(), orgs, locks, rate)
		r.UseViews(views)
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- r.Run(runCtx) }()
		if err := r.WaitFor(ctx, head); err != nil {
			b.Fatal(err)
		}
		stop()
		<-done
	}
	resumed := filepath.Join(dir, "views.db")
	start(b, resumed)
	b.Run("resumed", func(b *testing.B) {
		cpu := processCPU()
		for b.Loop() {
			start(b, resumed)
		}
		b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
		b.ReportMetric(float64(head), "events")
	})
	b.Run("replayed", func(b *testing.B) {
		cpu := processCPU()
		for b.Loop() {
			start(b, filepath.Join(b.TempDir(), "views.db"))
		}
		b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
		b.ReportMetric(float64(head), "events")
	})
}

// processCPU is the CPU time, user and system, the process has used so far.
var processCPU = cpuclock.Process

// BenchmarkIssue14AccountViewsPerEvent is what the three read models add
// to each event the runner applies when the log is idle (one event per
// transaction of the views): the referrals alone, then with them.
func BenchmarkIssue14AccountViewsPerEvent(b *testing.B) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	dir := b.TempDir()
	store := accountsBenchLog(b, dir, 5, 5, 200, 50, 3000, now)
	defer store.Close()
	ctx := context.Background()
	var events []eventstore.RecordedEvent
	sctx, cancel := context.WithCancel(ctx)
	head, err := store.Head(ctx)
	if err != nil {
		b.Fatal(err)
	}
	sub := store.Subscribe(sctx, eventstore.Start)
	for ev := range sub.Events() {
		events = append(events, ev)
		if ev.Position == head {
			break
		}
	}
	cancel()
	sub.Close()
	for _, withAccounts := range []bool{false, true} {
		name := "referrals"
		if withAccounts {
			name = "referrals+accounts"
		}
		b.Run(name, func(b *testing.B) {
			var r *Runner
			next := len(events)
			cpu := processCPU()
			for b.Loop() {
				if next == len(events) {
					b.StopTimer()
					views, err := OpenViews(filepath.Join(b.TempDir(), "views.db"))
					if err != nil {
						b.Fatal(err)
					}
					b.Cleanup(func() { views.Close() })
					refs, err := OpenReferrals(ctx, views, testCalendar(b), domain.DefaultTimescales())
					if err != nil {
						b.Fatal(err)
					}
					models := []Projection{refs}
					if withAccounts {
						orgs, _ := OpenOrganisations(ctx, views)
						locks, _ := OpenLocks(ctx, views)
						rate, _ := OpenMessageRate(ctx, views, 3, time.Hour, func() time.Time { return now })
						models = append(models, orgs, locks, rate)
					}
					r = NewRunner(store, ledger.NewPublicCodec(), models...)
					r.UseViews(views)
					next = 0
					b.StartTimer()
				}
				if _, err := r.applyBatch(ctx, []prepared{r.prepareEvent(ctx, events[next])}); err != nil {
					b.Fatal(err)
				}
				next++
			}
			b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}
