package notify

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/ledger"
)

// oneKey seals every client's data under one key: events of their real
// size and shape without a key per client.
type oneKey struct{}

func (oneKey) KeyForWrite(context.Context, uuid.UUID) (ledger.DataKey, error) {
	return ledger.DataKey{7}, nil
}
func (oneKey) KeyForRead(context.Context, uuid.UUID) (ledger.DataKey, bool, error) {
	return ledger.DataKey{7}, false, nil
}

// generateLedger appends about events events to store: 50 organisations
// of 10 users, and referrals with realistic lives (made, a third urgent;
// assigned; most acknowledged, with a note, half agreeing a date; 70% of
// those closed), each appended as its stream's events by one of 16
// concurrent writers, as the service does (node's scale test's shape).
func generateLedger(tb testing.TB, store eventstore.Store, events int) {
	rng := rand.New(rand.NewPCG(14, 8))
	id := func() uuid.UUID {
		var u uuid.UUID
		for i := range u {
			u[i] = byte(rng.Uint32())
		}
		u[6], u[8] = u[6]&0x0f|0x40, u[8]&0x3f|0x80
		return u
	}
	codec := ledger.NewCodec(oneKey{})
	ctx := context.Background()
	start := time.Date(2025, time.January, 6, 9, 0, 0, 0, time.UTC)
	type life struct {
		stream string
		evs    []domain.Event
		actor  uuid.UUID
		org    uuid.UUID
		at     time.Time
	}
	encode := func(l life) []eventstore.EventData {
		var out []eventstore.EventData
		for i, ev := range l.evs {
			d, err := codec.Encode(ctx, id(), ev, eventstore.Metadata{RecordedAt: l.at.Add(time.Duration(i) * 26 * time.Hour),
				ActorUserID: l.actor.String(), ActorOrganisationID: l.org.String(), CorrelationID: id().String()})
			if err != nil {
				tb.Fatal(err)
			}
			out = append(out, d)
		}
		return out
	}
	var orgs []uuid.UUID
	users := map[uuid.UUID][]uuid.UUID{}
	for o := range 50 {
		org := id()
		orgs = append(orgs, org)
		l := life{stream: ledger.OrganisationStream(org), at: start, org: org,
			evs: []domain.Event{&domain.OrganisationRegistered{OrganisationID: org, Name: fmt.Sprintf("Organisation %d", o),
				AdminEmail: fmt.Sprintf("admin@org%d.example", o), Services: []domain.Service{}}}}
		for u := range 10 {
			user := id()
			users[org] = append(users[org], user)
			role := domain.RoleAdviser
			if u == 0 {
				role = domain.RoleOrgLead
			}
			l.evs = append(l.evs, &domain.OrganisationUserAdded{UserID: user, Username: user.String()[:8],
				Email: fmt.Sprintf("u%d@org%d.example", u, o), Roles: []domain.Role{role}})
		}
		if _, err := store.Append(ctx, l.stream, eventstore.NoStream(), encode(l)...); err != nil {
			tb.Fatal(err)
		}
	}
	type batch struct {
		stream string
		data   []eventstore.EventData
	}
	work := make(chan batch, 64)
	var wg sync.WaitGroup
	var failed error
	var once sync.Once
	for range 16 {
		wg.Go(func() {
			for w := range work {
				if _, err := store.Append(ctx, w.stream, eventstore.NoStream(), w.data...); err != nil {
					once.Do(func() { failed = err })
				}
			}
		})
	}
	for made := 550; made < events; {
		ref, client := id(), id()
		from, to := orgs[rng.IntN(len(orgs))], orgs[rng.IntN(len(orgs))]
		for to == from {
			to = orgs[rng.IntN(len(orgs))]
		}
		at := start.Add(time.Duration(rng.IntN(700*24)) * time.Hour)
		l := life{stream: ledger.ReferralStream(ref), actor: users[from][rng.IntN(10)], org: from, at: at}
		l.evs = append(l.evs, &domain.ReferralMade{ReferralID: ref, FromOrganisationID: from, ToOrganisationID: to, ClientID: client,
			Urgent: rng.IntN(3) == 0, PrivacyNoticeGiven: true, Reason: "debt advice and help with a benefits appeal",
			Client: domain.Client{Name: fmt.Sprintf("Client %d", made), DateOfBirth: "1980-04-12"}})
		l.evs = append(l.evs, &domain.ReferralAssigned{UserID: users[to][rng.IntN(10)]})
		if rng.IntN(10) < 8 {
			l.evs = append(l.evs, &domain.ReferralAcknowledged{})
			note := &domain.ReferralNoteAdded{NoteID: id(), ClientID: client, Text: "called the client and agreed next steps"}
			if rng.IntN(2) == 0 {
				note.AgreedCloseBy = at.AddDate(0, 0, 14).Format("2006-01-02")
			}
			l.evs = append(l.evs, note)
			if rng.IntN(10) < 7 {
				l.evs = append(l.evs, &domain.ReferralClosed{ClientID: client, Outcome: domain.OutcomePositive, Comment: "housed"})
			}
		}
		made += len(l.evs)
		work <- batch{stream: l.stream, data: encode(l)}
	}
	close(work)
	wg.Wait()
	if failed != nil {
		tb.Fatal(failed)
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

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
	generateLedger(b, h.store, events)
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
