package projections

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/calendar"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/sqlite"
	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/statistics"
)

// statsViewMarker is planted in the free text of the client events the
// histories below make.
const statsViewMarker = "QQSTATVIEWMARKERQQ"

// statsHistory is randomHistory's referrals with, interleaved, the
// erasure and lock requests of about half their clients: erasure requests
// refused, carried out, or asked again under the same id (the first
// sighting counts); lock requests approved, lifted or not, refused,
// withdrawn, left pending or replaced by a newer request; unlock requests
// approved, refused or withdrawn.
func statsHistory(rng *rand.Rand, w world, cal *calendar.Calendar, referrals int) *eventLog {
	base := randomHistory(rng, w, cal, referrals)
	type pending struct {
		stream string
		at     time.Time
		org    uuid.UUID
		ev     domain.Event
	}
	org := func() uuid.UUID { return w.orgs[rng.IntN(len(w.orgs))] }
	var lives [][]pending
	for _, e := range base.events {
		made, ok := e.rec.Event.(*domain.ReferralMade)
		if !ok || rng.IntN(2) == 0 {
			continue
		}
		client, stream := made.ClientID, ledger.ClientStream(made.ClientID)
		t := e.rec.At.Add(time.Duration(rng.IntN(20*24*60)) * time.Minute)
		var life []pending
		add := func(org uuid.UUID, ev domain.Event) {
			life = append(life, pending{stream: stream, at: t, org: org, ev: ev})
			t = t.Add(time.Duration(rng.IntN(6*24*60)) * time.Minute)
		}
		for range 1 + rng.IntN(4) {
			req := randomID(rng)
			if rng.IntN(3) == 0 {
				add(org(), &domain.ClientErasureRequested{RequestID: req, ClientID: client, Reason: statsViewMarker})
				switch rng.IntN(4) {
				case 0:
					add(org(), &domain.ClientErasureRefused{RequestID: req, ClientID: client, Reason: statsViewMarker})
				case 1:
					add(org(), &domain.ClientErasureStarted{RequestID: req})
					add(org(), &domain.ClientErased{RequestID: req})
				case 2:
					add(org(), &domain.ClientErasureRequested{RequestID: req, ClientID: client, Reason: statsViewMarker})
				}
				continue
			}
			add(org(), &domain.LockRequested{RequestID: req, ClientID: client, ResponsibleUserID: randomID(rng),
				Reason: statsViewMarker, Allow: []domain.Party{{Team: statsViewMarker}}})
			switch rng.IntN(4) {
			case 0:
				add(org(), &domain.LockRefused{RequestID: req, ClientID: client, Reason: statsViewMarker})
			case 1, 2:
				add(org(), &domain.LockApproved{RequestID: req})
				if rng.IntN(2) == 0 {
					unlock := randomID(rng)
					add(org(), &domain.UnlockRequested{RequestID: unlock, ClientID: client, Reason: statsViewMarker})
					switch rng.IntN(4) {
					case 0:
						add(org(), &domain.UnlockRefused{RequestID: unlock, ClientID: client, Reason: statsViewMarker})
					case 1:
						add(org(), &domain.LockRequestWithdrawn{RequestID: unlock, ClientID: client, Reason: statsViewMarker})
					default:
						add(org(), &domain.UnlockApproved{RequestID: unlock})
					}
				}
			case 3:
				if rng.IntN(2) == 0 {
					add(org(), &domain.LockRequestWithdrawn{RequestID: req, ClientID: client, Reason: statsViewMarker})
				}
			} // otherwise left pending: the next request, if any, replaces it
		}
		lives = append(lives, life)
	}
	out := newEventLog()
	rest := base.events
	for len(rest) > 0 || len(lives) > 0 {
		if len(lives) == 0 || (len(rest) > 0 && rng.IntN(3) > 0) {
			e := rest[0]
			rest = rest[1:]
			out.add(e.stored.Stream, e.rec.At, e.rec.ActorUserID, e.rec.ActorOrganisationID, e.rec.Event)
			continue
		}
		i := rng.IntN(len(lives))
		p := lives[i][0]
		out.add(p.stream, p.at, randomID(rng), p.org, p.ev)
		if lives[i] = lives[i][1:]; len(lives[i]) == 0 {
			lives = slices.Delete(lives, i, i+1)
		}
	}
	return out
}

// statsPeriods are the periods the tests compare: the whole history, one
// month, and one that starts and ends mid-month.
var statsPeriods = [][2]calendar.Date{
	{calendar.MustParseDate("2026-11-01"), calendar.MustParseDate("2027-04-30")},
	{calendar.MustParseDate("2027-01-01"), calendar.MustParseDate("2027-01-31")},
	{calendar.MustParseDate("2026-12-15"), calendar.MustParseDate("2027-01-10")},
}

var statsNows = []time.Time{at(2026, 12, 20, 9), at(2027, 1, 15, 12), at(2027, 6, 1, 0)}

// statsReport renders every table the tests compare; it checks the
// history counted lock and erasure requests, so a comparison proves
// something.
func statsReport(tb testing.TB, table func(from, to calendar.Date, now time.Time) *statistics.Table, orgs []uuid.UUID) string {
	tb.Helper()
	var b strings.Builder
	for _, p := range statsPeriods {
		for _, now := range statsNows {
			fmt.Fprintf(&b, "%s..%s at %s\n%s", p[0], p[1], stamp(now), renderTable(table(p[0], p[1], now), orgs))
		}
	}
	return b.String()
}

// statsCounted checks a report of the whole history counts made
// referrals, erasure requests and locks, and cases locked at some month's
// end.
func statsCounted(tb testing.TB, table func(from, to calendar.Date, now time.Time) *statistics.Table) {
	tb.Helper()
	rep := statistics.Publish(table(statsPeriods[0][0], statsPeriods[0][1], statsNows[0]), statistics.Rule{RoundTo: 1}, statistics.GroupBy{})
	for _, m := range []statistics.Measure{statistics.Made, statistics.ErasureRequests, statistics.LockRequests, statistics.LockedCases} {
		if rep.Totals.Count(m).N == 0 {
			tb.Fatalf("the history counts no %s: the test proves nothing", m)
		}
	}
	// A stock's total is one month's: some month must count one.
	byMonth := statistics.Publish(table(statsPeriods[0][0], statsPeriods[0][1], statsNows[len(statsNows)-1]), statistics.Rule{RoundTo: 1},
		statistics.GroupBy{Month: true})
	if !slices.ContainsFunc(byMonth.Rows, func(r statistics.Row) bool { return r.Count(statistics.LockedAtMonthEnd).N > 0 }) {
		tb.Fatalf("the history counts no %s in any month: the test proves nothing", statistics.LockedAtMonthEnd)
	}
}

// TestStatisticsPersistentEqualsInMemory_Issue14 (R-STAT-1, R-VIEW-5):
// over random histories of referrals, erasure and lock requests, the
// statistics kept in the views database, fed in batches of random sizes,
// some rolled back and fed again, and reopened between batches as at a
// restart, give the same tables as the in-memory read model they replace,
// whether read by the instance that applied the events (its cache) or by
// one opened afresh on the same database (its rows alone). Every other
// run feeds its batches as a rebuild does (Batch.Rebuilding) until the
// first reopening.
func TestStatisticsPersistentEqualsInMemory_Issue14(t *testing.T) {
	seed := *viewsSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (repeat with -args -views.seed=%d)", seed, seed)
	cal := testCalendar(t)
	ts := domain.DefaultTimescales()
	ctx := context.Background()
	for run := range 6 {
		s := seed + uint64(run)
		rng := rand.New(rand.NewPCG(s, s^0x5747a75))
		w := newWorld(rng)
		events := statsHistory(rng, w, cal, 30+rng.IntN(60)).events

		mem := newMemStatistics(cal, ts)
		for _, e := range events {
			mem.Apply(e.stored, e.rec)
		}
		want := statsReport(t, mem.Table, w.orgs)

		p := NewStatistics(cal, ts)
		statsCounted(t, mem.Table)
		views := p.ViewsDB()
		rebuilding := run%2 == 1
		for fed := 0; fed < len(events); {
			n := min(len(events)-fed, 1+rng.IntN(len(events)/5+1))
			if rng.IntN(4) == 0 {
				// A batch that fails is forgotten: the same events come again.
				b, err := views.Begin(ctx)
				if err != nil {
					t.Fatal(err)
				}
				b.rebuild = rebuilding
				for _, e := range events[fed : fed+n] {
					if err := p.ApplyIn(b, e.stored, e.rec); err != nil {
						t.Fatal(err)
					}
				}
				b.Rollback()
			}
			if rebuilding {
				feedRebuilding(t, p, events[fed:fed+n])
			} else {
				feed(p, events[fed:fed+n])
			}
			fed += n
			if rng.IntN(3) == 0 {
				rebuilding = false // a restart resumes: no longer a rebuild
				var err error
				if p, err = OpenStatistics(ctx, views, cal, ts); err != nil {
					t.Fatal(err)
				}
			}
		}
		if got := statsReport(t, p.Table, w.orgs); got != want {
			t.Fatalf("seed %d: the persistent statistics differ from the in-memory ones:\n%s\nwant\n%s", s, got, want)
		}
		fresh, err := OpenStatistics(ctx, views, cal, ts)
		if err != nil {
			t.Fatal(err)
		}
		if fresh.Checkpoint() != events[len(events)-1].stored.Position {
			t.Fatalf("seed %d: checkpoint %d, want %d", s, fresh.Checkpoint(), len(events))
		}
		if got := statsReport(t, fresh.Table, w.orgs); got != want {
			t.Fatalf("seed %d: the statistics read from their rows alone differ from the in-memory ones:\n%s\nwant\n%s", s, got, want)
		}
	}
}

// feedRebuilding applies events to p in one batch of a rebuild.
func feedRebuilding(t *testing.T, p Persistent, events []fedEvent) {
	t.Helper()
	b, err := p.ViewsDB().Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b.rebuild = true
	for _, e := range events {
		if err := p.ApplyIn(b, e.stored, e.rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
}

// recordingStatistics is the statistics read model, recording the
// position of every event the runner hands it.
type recordingStatistics struct {
	*Statistics
	mu      sync.Mutex
	applied []eventstore.Position
}

func (r *recordingStatistics) ApplyIn(b *Batch, stored eventstore.RecordedEvent, rec domain.Recorded) error {
	r.mu.Lock()
	r.applied = append(r.applied, stored.Position)
	r.mu.Unlock()
	return r.Statistics.ApplyIn(b, stored, rec)
}

// referralClients maps each referral's stream to its client.
func referralClients(events []fedEvent) map[string]uuid.UUID {
	clients := map[string]uuid.UUID{}
	for _, e := range events {
		if made, ok := e.rec.Event.(*domain.ReferralMade); ok {
			clients[e.stored.Stream] = made.ClientID
		}
	}
	return clients
}

// appendEvents stores events in their streams, in their order, each
// referral's naming its client (clients, by stream).
func appendEvents(t *testing.T, store eventstore.Store, events []fedEvent, clients map[string]uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	codec := ledger.NewCodec(benchKeys{})
	for i := 0; i < len(events); {
		// Consecutive events of one stream go in one append.
		j := i + 1
		for j < len(events) && events[j].stored.Stream == events[i].stored.Stream {
			j++
		}
		var data []eventstore.EventData
		for _, e := range events[i:j] {
			d, err := codec.Encode(ctx, uuid.New(), withClient(e.rec.Event, clients[e.stored.Stream]), eventstore.Metadata{RecordedAt: e.rec.At,
				ActorUserID: e.rec.ActorUserID.String(), ActorOrganisationID: e.rec.ActorOrganisationID.String()})
			if err != nil {
				t.Fatal(err)
			}
			data = append(data, d)
		}
		if _, err := store.Append(ctx, events[i].stored.Stream, eventstore.Any(), data...); err != nil {
			t.Fatal(err)
		}
		i = j
	}
}

// withClient returns a copy of ev naming client as its data subject, as
// the ledger records it, when ev has a ClientID left unset.
func withClient(ev domain.Event, client uuid.UUID) domain.Event {
	v := reflect.ValueOf(ev).Elem()
	f := v.FieldByName("ClientID")
	if !f.IsValid() || f.Interface().(uuid.UUID) != uuid.Nil {
		return ev
	}
	c := reflect.New(v.Type())
	c.Elem().Set(v)
	c.Elem().FieldByName("ClientID").Set(reflect.ValueOf(client))
	return c.Interface().(domain.Event)
}

// runStatistics opens the views at path and the statistics in them,
// renders the statistics as the last run left them, runs the runner over
// store until they hold every event, renders them again and closes the
// views. It returns both renderings, where the runner's subscription
// started and the positions of the events the statistics were given.
func runStatistics(t *testing.T, store eventstore.Store, path string, orgs []uuid.UUID) (before, after string,
	from eventstore.Position, applied []eventstore.Position) {
	t.Helper()
	ctx := context.Background()
	views, err := OpenViews(path)
	if err != nil {
		t.Fatal(err)
	}
	defer views.Close()
	st, err := OpenStatistics(ctx, views, testCalendar(t), domain.DefaultTimescales())
	if err != nil {
		t.Fatal(err)
	}
	before = statsReport(t, st.Table, orgs)
	p := &recordingStatistics{Statistics: st}
	logged := &subscribeLog{Store: store}
	r := NewRunner(logged, ledger.NewPublicCodec(), p)
	r.CheckChains()
	r.UseViews(views)
	head, err := store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(runCtx) }()
	if err := r.WaitFor(ctx, head); err != nil {
		t.Fatal(err)
	}
	stop()
	<-done
	if st.Checkpoint() != head {
		t.Fatalf("checkpoint %d, head %d", st.Checkpoint(), head)
	}
	return before, statsReport(t, st.Table, orgs), logged.last(), p.applied
}

// TestStatisticsResumeFromCheckpoint_Issue14_VIEW5 (R-VIEW-5, R-STAT-1):
// the statistics kept in views.db survive a restart. Reopened on the
// same file, they answer every query as before the restart, and the
// runner resumes after their checkpoint: no event already applied is
// given to them again. Built so, restart after restart, their rows equal,
// byte for byte, those of views rebuilt from the whole log at once, and
// their tables those of the in-memory read model of the same events.
func TestStatisticsResumeFromCheckpoint_Issue14_VIEW5(t *testing.T) {
	dir := t.TempDir()
	store, err := sqlite.Open(filepath.Join(dir, "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(14, 5))
	w := newWorld(rng)
	cal := testCalendar(t)
	events := statsHistory(rng, w, cal, 120).events
	clients := referralClients(events)
	incremental := filepath.Join(dir, "incremental.db")
	var last string
	for round, fed := 0, 0; fed < len(events); round++ {
		n := min(len(events)-fed, len(events)/3+1)
		checkpoint, err := store.Head(ctx)
		if err != nil {
			t.Fatal(err)
		}
		appendEvents(t, store, events[fed:fed+n], clients)
		fed += n
		before, after, from, applied := runStatistics(t, store, incremental, w.orgs)
		if round > 0 && before != last {
			t.Fatalf("round %d: after the restart the statistics answer\n%s\nbefore it\n%s", round, before, last)
		}
		if from != checkpoint {
			t.Fatalf("round %d: the runner subscribed after %d, want the checkpoint %d", round, from, checkpoint)
		}
		if len(applied) == 0 || slices.Min(applied) <= checkpoint {
			t.Fatalf("round %d: events at or before the checkpoint %d given again (first %v)", round, checkpoint, applied[:min(3, len(applied))])
		}
		last = after
	}
	rebuilt := filepath.Join(dir, "rebuilt.db")
	if _, _, from, _ := runStatistics(t, store, rebuilt, w.orgs); from != eventstore.Start {
		t.Fatalf("a new views file: the runner subscribed after %d", from)
	}
	want := dumpViews(t, rebuilt)
	for _, table := range []string{"stat_referrals", "stat_erasures", "stat_lock_requests", "stat_client_locks"} {
		if len(want[table]) == 0 {
			t.Fatalf("the rebuilt %s is empty: the test proves nothing", table)
		}
	}
	if got := dumpViews(t, incremental); !reflect.DeepEqual(got, want) {
		t.Fatalf("the statistics built restart after restart differ from the rebuild:\n%v\nwant\n%v", got, want)
	}
	mem := newMemStatistics(cal, domain.DefaultTimescales())
	for _, e := range events {
		mem.Apply(e.stored, e.rec)
	}
	statsCounted(t, mem.Table)
	if want := statsReport(t, mem.Table, w.orgs); last != want {
		t.Fatalf("the persistent statistics differ from the in-memory ones:\n%s\nwant\n%s", last, want)
	}
}

// TestStatisticsRowsHoldNoText_STAT2 (R-STAT-2): fed events whose free
// text carries a marker, the statistics' tables hold numbers and ids
// only, every column declared INTEGER or BLOB, every blob a 16-byte id,
// and the views file holds no trace of the marker.
func TestStatisticsRowsHoldNoText_STAT2(t *testing.T) {
	path := filepath.Join(t.TempDir(), ViewsFile)
	views, err := OpenViews(path)
	if err != nil {
		t.Fatal(err)
	}
	defer views.Close()
	ctx := context.Background()
	cal := testCalendar(t)
	p, err := OpenStatistics(ctx, views, cal, domain.DefaultTimescales())
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(2, 14))
	events := statsHistory(rng, newWorld(rng), cal, 60).events
	marked := 0
	for _, e := range events {
		if strings.Contains(fmt.Sprintf("%+v", e.rec.Event), statsViewMarker) {
			marked++
		}
	}
	if marked < 10 {
		t.Fatalf("only %d events carry the marker: the test proves nothing", marked)
	}
	feed(p, events)
	rows := 0
	for _, table := range []string{"stat_referrals", "stat_erasures", "stat_lock_requests", "stat_client_locks"} {
		cols, err := views.db.QueryContext(ctx, `SELECT name, type FROM pragma_table_info(?)`, table)
		if err != nil {
			t.Fatal(err)
		}
		for cols.Next() {
			var name, typ string
			if err := cols.Scan(&name, &typ); err != nil {
				t.Fatal(err)
			}
			if typ != "INTEGER" && typ != "BLOB" {
				t.Errorf("%s.%s is declared %s", table, name, typ)
			}
		}
		cols.Close()
		data, err := views.db.QueryContext(ctx, `SELECT * FROM `+table)
		if err != nil {
			t.Fatal(err)
		}
		names, _ := data.Columns()
		for data.Next() {
			rows++
			vals := make([]any, len(names))
			ptrs := make([]any, len(names))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := data.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				switch v := v.(type) {
				case nil, int64:
				case []byte:
					if len(v) != 16 {
						t.Errorf("%s.%s holds %d bytes, not an id", table, names[i], len(v))
					}
				default:
					t.Errorf("%s.%s holds a %T", table, names[i], v)
				}
			}
		}
		data.Close()
	}
	if rows == 0 {
		t.Fatal("the statistics hold no rows: the test proves nothing")
	}
	if _, err := views.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{path, path + "-wal"} {
		data, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte(statsViewMarker)) {
			t.Fatalf("%s holds the marker", filepath.Base(f))
		}
	}
}

// BenchmarkStatisticsMonth reads the statistics of one month holding
// 1,000 referrals, in a read model of 1,000 and of 50,000 referrals (the
// others made in the eleven other months of the year), kept in a views
// file, read by an instance opened afresh (no cache), beside the
// in-memory read model it replaced. It reports the referrals held in
// memory after the load.
func BenchmarkStatisticsMonth(b *testing.B) {
	const month = 1_000
	cal := testCalendar(b)
	ts := domain.DefaultTimescales()
	from, to := calendar.MustParseDate("2026-06-01"), calendar.MustParseDate("2026-06-30")
	now := time.Date(2026, time.August, 1, 12, 0, 0, 0, time.UTC)
	for _, total := range []int{1_000, 50_000} {
		rng := rand.New(rand.NewPCG(uint64(total), 14))
		net := newBenchNetwork(rng, 20, 5)
		lives := benchLives(rng, net, total, 0.7, func(int) uuid.UUID { return net.orgs[rng.IntN(len(net.orgs))] })
		for i := range lives {
			// The first month's worth in June, the rest in other months.
			day := time.Date(2026, time.June, 1+rng.IntN(30), 9, 0, 0, 0, time.UTC)
			if i >= month {
				day = time.Date(2026, time.Month(1+rng.IntN(11)), 1+rng.IntN(28), 9, 0, 0, 0, time.UTC)
				if day.Month() >= time.June {
					day = day.AddDate(0, 1, 0)
				}
			}
			shift := day.Sub(lives[i].at[0])
			for j := range lives[i].at {
				lives[i].at[j] = lives[i].at[j].Add(shift)
			}
		}
		log := interleave(rng, lives, 1<<30)
		views, err := OpenViews(filepath.Join(b.TempDir(), ViewsFile))
		if err != nil {
			b.Fatal(err)
		}
		p, err := OpenStatistics(context.Background(), views, cal, ts)
		if err != nil {
			b.Fatal(err)
		}
		feed(p, log.events)
		mem := newMemStatistics(cal, ts)
		for _, e := range log.events {
			mem.Apply(e.stored, e.rec)
		}
		fresh, err := OpenStatistics(context.Background(), views, cal, ts)
		if err != nil {
			b.Fatal(err)
		}
		check := func(t *statistics.Table) {
			n := statistics.Publish(t, statistics.Rule{RoundTo: 1}, statistics.GroupBy{}).Totals.Count(statistics.Made).N
			if n != month {
				b.Fatalf("%d made in June, want %d", n, month)
			}
		}
		b.Run(fmt.Sprintf("referrals=%d/views", total), func(b *testing.B) {
			cpu := cpuSince()
			for b.Loop() {
				t, err := fresh.Query(context.Background(), from, to, now)
				if err != nil {
					b.Fatal(err)
				}
				check(t)
			}
			b.ReportMetric(cpu()/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(len(p.referrals)), "cached-referrals")
		})
		b.Run(fmt.Sprintf("referrals=%d/memory", total), func(b *testing.B) {
			cpu := cpuSince()
			for b.Loop() {
				check(mem.Table(from, to, now))
			}
			b.ReportMetric(cpu()/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(len(mem.referrals)), "cached-referrals")
		})
		views.Close()
	}
}

// BenchmarkStatisticsRebuild applies 200,000 events to the statistics
// kept in a views file, in the runner's batches, beside the referrals
// view kept the same way and the in-memory statistics read model the
// persistent one replaced: the statistics' share of a rebuild. The
// referrals are made in the order of the log, as the ledger records them.
func BenchmarkStatisticsRebuild(b *testing.B) {
	const events = 200_000
	rng := rand.New(rand.NewPCG(1, 14))
	net := newBenchNetwork(rng, 50, 10)
	lives := benchLives(rng, net, events/4, 0.7, func(int) uuid.UUID { return net.orgs[rng.IntN(len(net.orgs))] })
	slices.SortFunc(lives, func(a, b benchLife) int { return a.at[0].Compare(b.at[0]) })
	log := interleave(rng, lives, events)
	cal := testCalendar(b)
	ts := domain.DefaultTimescales()
	open := func(b *testing.B) *Views {
		views, err := OpenViews(filepath.Join(b.TempDir(), ViewsFile))
		if err != nil {
			b.Fatal(err)
		}
		return views
	}
	b.Run("statistics-views", func(b *testing.B) {
		cpu := cpuSince()
		for b.Loop() {
			views := open(b)
			p, err := OpenStatistics(context.Background(), views, cal, ts)
			if err != nil {
				b.Fatal(err)
			}
			feed(p, log.events)
			views.Close()
		}
		b.ReportMetric(float64(len(log.events))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		b.ReportMetric(cpu()/float64(len(log.events)*b.N), "cpu-ns/event")
	})
	b.Run("referrals-views", func(b *testing.B) {
		cpu := cpuSince()
		for b.Loop() {
			views := open(b)
			p, err := OpenReferrals(context.Background(), views, cal, ts)
			if err != nil {
				b.Fatal(err)
			}
			feed(p, log.events)
			views.Close()
		}
		b.ReportMetric(float64(len(log.events))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		b.ReportMetric(cpu()/float64(len(log.events)*b.N), "cpu-ns/event")
	})
	b.Run("statistics-memory", func(b *testing.B) {
		cpu := cpuSince()
		for b.Loop() {
			mem := newMemStatistics(cal, ts)
			for _, e := range log.events {
				mem.Apply(e.stored, e.rec)
			}
		}
		b.ReportMetric(float64(len(log.events))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		b.ReportMetric(cpu()/float64(len(log.events)*b.N), "cpu-ns/event")
	})
}

// TestStatisticsReferralMadeAgain_Issue14: a referral's stream that
// records referral.made again, at another time (no ledger does; the fold
// allows it), leaves one row for the referral, at its new time, in
// separate batches as in one, as the in-memory read model counted it.
func TestStatisticsReferralMadeAgain_Issue14(t *testing.T) {
	cal := testCalendar(t)
	ts := domain.DefaultTimescales()
	id, from, to := uuid.New(), uuid.New(), uuid.New()
	made := &domain.ReferralMade{ReferralID: id, FromOrganisationID: from, ToOrganisationID: to, ClientID: uuid.New()}
	log := newEventLog()
	log.referral(id, at(2026, 12, 7, 10), made)
	log.referral(id, at(2026, 12, 8, 10), &domain.ReferralAcknowledged{})
	log.referral(id, at(2027, 1, 11, 10), made)
	mem := newMemStatistics(cal, ts)
	for _, e := range log.events {
		mem.Apply(e.stored, e.rec)
	}
	orgs := []uuid.UUID{from, to}
	want := statsReport(t, mem.Table, orgs)
	for _, split := range []int{1, 2, 3} {
		p := NewStatistics(cal, ts)
		feed(p, log.events[:split])
		feed(p, log.events[split:])
		fresh, err := OpenStatistics(context.Background(), p.ViewsDB(), cal, ts)
		if err != nil {
			t.Fatal(err)
		}
		if got := statsReport(t, fresh.Table, orgs); got != want {
			t.Fatalf("fed in batches of %d and %d:\n%s\nwant\n%s", split, len(log.events)-split, got, want)
		}
		d, err := p.ViewsDB().Dump(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(d["stat_referrals"]) != 1 {
			t.Fatalf("fed in batches of %d and %d: rows %v", split, len(log.events)-split, d["stat_referrals"])
		}
	}
}

// cpuSince returns a function giving the CPU time (user and system) the
// process has used since, in nanoseconds: on a loaded machine, a fairer
// measure than wall time.
func cpuSince() func() float64 {
	start := processCPU()
	return func() float64 { return float64(processCPU() - start) }
}

// TestStatisticsPeriodBounds_Issue14 (R-STAT-1): read from their rows, the
// statistics count a referral made at the first instant of the period's
// first London day and at the last of its last day, and none made just
// outside, in winter (GMT) and summer (BST) alike, as the in-memory read
// model did.
func TestStatisticsPeriodBounds_Issue14(t *testing.T) {
	cal := testCalendar(t)
	ts := domain.DefaultTimescales()
	from, to := uuid.New(), uuid.New()
	log := newEventLog()
	for _, p := range [][2]calendar.Date{
		{calendar.MustParseDate("2027-01-01"), calendar.MustParseDate("2027-01-31")},
		{calendar.MustParseDate("2027-06-15"), calendar.MustParseDate("2027-07-15")},
	} {
		first, last := cal.StartOfDay(p[0]), cal.StartOfDay(p[1].AddDays(1))
		for _, made := range []time.Time{first.Add(-time.Nanosecond), first, last.Add(-time.Nanosecond), last} {
			id := uuid.New()
			log.referral(id, made, &domain.ReferralMade{ReferralID: id, FromOrganisationID: from, ToOrganisationID: to, ClientID: uuid.New()})
		}
	}
	mem := newMemStatistics(cal, ts)
	p := NewStatistics(cal, ts)
	for _, e := range log.events {
		mem.Apply(e.stored, e.rec)
	}
	feed(p, log.events)
	fresh, err := OpenStatistics(context.Background(), p.ViewsDB(), cal, ts)
	if err != nil {
		t.Fatal(err)
	}
	now := at(2027, 8, 1, 12)
	for _, period := range [][2]string{{"2027-01-01", "2027-01-31"}, {"2027-06-15", "2027-07-15"}} {
		lo, hi := calendar.MustParseDate(period[0]), calendar.MustParseDate(period[1])
		got := statistics.Publish(fresh.Table(lo, hi, now), statistics.Rule{RoundTo: 1}, statistics.GroupBy{})
		want := statistics.Publish(mem.Table(lo, hi, now), statistics.Rule{RoundTo: 1}, statistics.GroupBy{})
		if n := got.Totals.Count(statistics.Made).N; n != 2 || !reflect.DeepEqual(got, want) {
			t.Fatalf("%s..%s: %d made, want 2; report %+v, want %+v", lo, hi, n, got.Totals, want.Totals)
		}
	}
}

// TestStatisticsQueriesWhileApplying_Issue14: statistics queried while
// batches are applied answer without error, and once every batch is in,
// as the in-memory read model does (run with -race, it checks the read
// model's locking).
func TestStatisticsQueriesWhileApplying_Issue14(t *testing.T) {
	cal := testCalendar(t)
	ts := domain.DefaultTimescales()
	rng := rand.New(rand.NewPCG(14, 14))
	w := newWorld(rng)
	events := statsHistory(rng, w, cal, 80).events
	p := NewStatistics(cal, ts)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for fed := 0; fed < len(events); fed += 10 {
			feed(p, events[fed:min(fed+10, len(events))])
		}
	}()
	queried := 0
	for running := true; running; queried++ {
		select {
		case <-done:
			running = false
		default:
		}
		if _, err := p.Query(context.Background(), statsPeriods[0][0], statsPeriods[0][1], statsNows[0]); err != nil {
			t.Fatal(err)
		}
	}
	mem := newMemStatistics(cal, ts)
	for _, e := range events {
		mem.Apply(e.stored, e.rec)
	}
	if got, want := statsReport(t, p.Table, w.orgs), statsReport(t, mem.Table, w.orgs); got != want {
		t.Fatalf("after %d queries during the feed:\n%s\nwant\n%s", queried, got, want)
	}
}
