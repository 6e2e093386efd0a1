package projections

import (
	"context"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/calendar"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/sqlite"
	"github.com/referral-ledger/ledger/ledger"
)

// testWait bounds how long a test waits for the runner.
const testWait = 30 * time.Second

// cutStore is a store whose subscriptions deliver no event after position
// cut, and end there with an error: the log cannot be read past the
// middle of a rebuild.
type cutStore struct {
	eventstore.Store
	cut eventstore.Position
}

func (s *cutStore) Subscribe(ctx context.Context, after eventstore.Position) eventstore.Subscription {
	inner := s.Store.Subscribe(ctx, after)
	out := &cutSub{inner: inner, events: make(chan eventstore.RecordedEvent)}
	go func() {
		defer close(out.events)
		for ev := range inner.Events() {
			if ev.Position > s.cut {
				out.err.Store(errors.New("the log cannot be read"))
				return
			}
			select {
			case out.events <- ev:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

type cutSub struct {
	inner  eventstore.Subscription
	events chan eventstore.RecordedEvent
	err    atomic.Value
}

func (s *cutSub) Events() <-chan eventstore.RecordedEvent { return s.events }
func (s *cutSub) Close()                                  { s.inner.Close() }
func (s *cutSub) Err() error {
	if err, ok := s.err.Load().(error); ok {
		return err
	}
	return s.inner.Err()
}

// failingReferrals is the referrals read model failing the first time it
// is fed the event at position fail.
type failingReferrals struct {
	*Referrals
	fail   eventstore.Position
	failed atomic.Bool
}

func (f *failingReferrals) ApplyIn(b *Batch, stored eventstore.RecordedEvent, rec domain.Recorded) error {
	if stored.Position == f.fail && !f.failed.Swap(true) {
		return errors.New("the views database fails")
	}
	return f.Referrals.ApplyIn(b, stored, rec)
}

// waitApplied waits until r has applied every event up to pos, through
// the failures it recovers from.
func waitApplied(t *testing.T, ctx context.Context, r *Runner, pos eventstore.Position) {
	t.Helper()
	for {
		r.mu.Lock()
		cur, ch := r.pos, r.changed
		r.mu.Unlock()
		if cur >= pos {
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("the runner reached %d, not %d: %v", cur, pos, r.Err())
		}
	}
}

// indexesOf lists the indexes of the views' schema present in db.
func indexesOf(t *testing.T, v *Views) []string {
	t.Helper()
	rows, err := v.DB().Query(`SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	return names
}

func rebuildFlag(t *testing.T, v *Views) bool {
	t.Helper()
	var n int
	if err := v.DB().QueryRow(`SELECT COUNT(*) FROM rebuilding`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// rebuildFixture is a log and the views rebuilt from it in one go, in a
// fresh file, to compare with.
func rebuildFixture(t *testing.T) (store eventstore.Store, head eventstore.Position, want map[string][]string, indexes []string) {
	t.Helper()
	dir := t.TempDir()
	s, err := sqlite.Open(filepath.Join(dir, "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	rng := rand.New(rand.NewPCG(11, 12))
	net := newBenchNetwork(rng, 5, 3)
	appendLives(t, s, benchLives(rng, net, 120, 0.6, func(int) uuid.UUID { return net.orgs[rng.IntN(len(net.orgs))] }))
	if head, err = s.Head(context.Background()); err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(dir, "fresh.db")
	runViews(t, s, fresh)
	want = dumpViews(t, fresh)
	v, err := OpenViews(fresh)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	indexes = indexesOf(t, v)
	for _, name := range new(Referrals).DeferredIndexes() {
		if !slices.Contains(indexes, name) {
			t.Fatalf("a rebuild left out the index %s: %v", name, indexes)
		}
	}
	return s, head, want, indexes
}

// startRunner starts a runner of the referrals read model p over store,
// checking chains, with small batches so a rebuild takes several, and
// several transactions, each held open across batches.
func startRunner(t *testing.T, store eventstore.Store, views *Views, p Persistent) (*Runner, context.CancelFunc, <-chan error) {
	t.Helper()
	r := NewRunner(store, ledger.NewPublicCodec(), p)
	r.CheckChains()
	r.UseViews(views)
	r.batchMax, r.catchUpMax, r.rebuildMax = 7, 50, 120
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	return r, stop, done
}

// TestRebuildCutShortIsStartedAgain_Issue14: a rebuild drops the
// referrals' indexes and marks views.db as being rebuilt; stopped in the
// middle (the log unreadable, then the process ended), the file is found
// marked at the next open, emptied, and rebuilt from the start of the
// log, ending with the same rows as a rebuild in one go and every index.
func TestRebuildCutShortIsStartedAgain_Issue14(t *testing.T) {
	store, head, want, indexes := rebuildFixture(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), ViewsFile)
	views, err := OpenViews(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := OpenReferrals(ctx, views, testCalendar(t), domain.DefaultTimescales())
	if err != nil {
		t.Fatal(err)
	}
	cut := head / 2
	r, stop, done := startRunner(t, &cutStore{Store: store, cut: cut}, views, p)
	waitCtx, cancel := context.WithTimeout(ctx, testWait)
	defer cancel()
	waitApplied(t, waitCtx, r, cut)
	stop()
	<-done
	if p.Checkpoint() != cut {
		t.Fatalf("the view reached %d before the cut, want %d", p.Checkpoint(), cut)
	}
	if !rebuildFlag(t, views) {
		t.Fatal("views.db is not marked as being rebuilt in the middle of a rebuild")
	}
	if got := indexesOf(t, views); slices.Contains(got, "referrals_inbox") {
		t.Fatalf("the rebuild kept the referrals' indexes: %v", got)
	}
	views.Close()

	rebuiltAfterCut(t, store, path, "a rebuild", want, indexes)
}

// rebuiltAfterCut runs the views at path, cut short in what, and checks
// they were rebuilt from the start into want, with every index and no
// rebuilding mark; it returns them opened.
func rebuiltAfterCut(t *testing.T, store eventstore.Store, path, what string, want map[string][]string, indexes []string) *Views {
	t.Helper()
	if from := runViews(t, store, path); from != eventstore.Start {
		t.Fatalf("the views cut short in %s were resumed after %d, not rebuilt", what, from)
	}
	if got := dumpViews(t, path); !reflect.DeepEqual(got, want) {
		t.Fatalf("views rebuilt after %s cut short differ from a rebuild in one go:\n%v\n%v", what, got, want)
	}
	views, err := OpenViews(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { views.Close() })
	if got := indexesOf(t, views); !reflect.DeepEqual(got, indexes) {
		t.Fatalf("indexes after the rebuild %v, want %v", got, indexes)
	}
	if rebuildFlag(t, views) {
		t.Fatal("views.db is still marked as being rebuilt")
	}
	return views
}

// TestRebuildRecoversFromAFailedBatch_Issue14: a batch of a rebuild that
// fails is rolled back; the runner retries from the last batch committed
// and finishes the rebuild: the same rows as a rebuild in one go, every
// index created again, the mark cleared.
func TestRebuildRecoversFromAFailedBatch_Issue14(t *testing.T) {
	store, head, want, indexes := rebuildFixture(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), ViewsFile)
	views, err := OpenViews(path)
	if err != nil {
		t.Fatal(err)
	}
	defer views.Close()
	p, err := OpenReferrals(ctx, views, testCalendar(t), domain.DefaultTimescales())
	if err != nil {
		t.Fatal(err)
	}
	f := &failingReferrals{Referrals: p, fail: head*2/3 + 1}
	r, stop, done := startRunner(t, store, views, f)
	waitCtx, cancel := context.WithTimeout(ctx, testWait)
	defer cancel()
	waitApplied(t, waitCtx, r, head)
	stop()
	<-done
	if !f.failed.Load() {
		t.Fatal("the batch did not fail")
	}
	d, err := views.Dump(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(d, want) {
		t.Fatalf("views rebuilt through a failed batch differ from a rebuild in one go:\n%v\n%v", d, want)
	}
	if got := indexesOf(t, views); !reflect.DeepEqual(got, indexes) {
		t.Fatalf("indexes after the rebuild %v, want %v", got, indexes)
	}
	if rebuildFlag(t, views) {
		t.Fatal("views.db is still marked as being rebuilt")
	}
}

// readLog returns every event of store, in order.
func readLog(t *testing.T, store eventstore.Store) []eventstore.RecordedEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	head, err := store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sub := store.Subscribe(ctx, eventstore.Start)
	defer sub.Close()
	var out []eventstore.RecordedEvent
	for ev := range sub.Events() {
		out = append(out, ev)
		if ev.Position >= head {
			break
		}
	}
	return out
}

// TestRebuildChecksEveryLink_LEDGER4: during a rebuild, when the chain
// heads skip reading the heads of streams they have not seen, an event
// that starts again a stream already checked (and no longer held in
// memory) is still refused, as is an event whose contents changed.
func TestRebuildChecksEveryLink_LEDGER4(t *testing.T) {
	store, _, _, _ := rebuildFixture(t)
	events := readLog(t, store)
	views, err := OpenViews(filepath.Join(t.TempDir(), ViewsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer views.Close()
	ctx := context.Background()
	heads := &chainHeads{views: views}
	heads.rebuilding(true)
	check := func(ev eventstore.RecordedEvent) error {
		b, err := views.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		hash := eventstore.ComputeHash(ev.Stream, ev.Revision, ev.ID, ev.Type, ev.SchemaVersion, ev.Data, ev.Metadata)
		if _, err := heads.check(b, ev, hash); err != nil {
			b.Rollback()
			return err
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		return nil
	}
	for _, ev := range events {
		if err := check(ev); err != nil {
			t.Fatalf("position %d: %v", ev.Position, err)
		}
	}
	var first eventstore.RecordedEvent
	for _, ev := range events {
		if ev.Revision == 0 {
			first = ev
			break
		}
	}
	heads.mu.Lock()
	clear(heads.cache) // as when the cache was full
	heads.mu.Unlock()
	again := first
	again.Position = events[len(events)-1].Position + 1
	var broken *eventstore.BrokenLinkError
	if err := check(again); !errors.As(err, &broken) {
		t.Fatalf("a stream started again was accepted: %v", err)
	}
	changed := events[len(events)-1]
	changed.Position += 2
	changed.Revision++
	changed.Metadata.PrevHash = changed.Metadata.Hash
	if err := check(changed); !errors.As(err, &broken) {
		t.Fatalf("an event whose contents do not match its hash was accepted: %v", err)
	}
}

// TestResetCutShortIsResetAgain_Issue14: a reset of the views marks the
// file as being rebuilt, then drops its tables one transaction at a time;
// cut short between two drops (some tables gone, others still full), the
// file is reset again at the next open and rebuilt from the start of the
// log, with the same rows and indexes as a rebuild in one go.
func TestResetCutShortIsResetAgain_Issue14(t *testing.T) {
	store, head, want, indexes := rebuildFixture(t)
	path := filepath.Join(t.TempDir(), ViewsFile)
	if from := runViews(t, store, path); from != eventstore.Start {
		t.Fatalf("a first build subscribed after %d", from)
	}
	views, err := OpenViews(path)
	if err != nil {
		t.Fatal(err)
	}
	// What reset does before a crash: the mark, then some of the drops.
	for _, q := range []string{`INSERT OR REPLACE INTO rebuilding (one, head) VALUES (1, 0)`, `DROP TABLE referrals`, `DROP TABLE checkpoints`} {
		if _, err := views.DB().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	views.Close()

	views = rebuiltAfterCut(t, store, path, "a reset", want, indexes)
	if p, err := views.Checkpoint(context.Background(), referralsView); err != nil || p != head {
		t.Fatalf("the referrals' checkpoint is %d (%v), want %d", p, err, head)
	}
}

// TestViewsRebuiltWhenSettingsChange_VIEW5_TIME5: the referrals' rows
// hold deadlines worked out with the timescales and the calendar (R-TIME-5
// makes both configuration). A start with other timescales, or another
// region's calendar, rebuilds the views from the start of the log, so
// they equal a rebuild under the new settings (R-VIEW-5) instead of
// keeping the old deadlines in the inbox and the overdue lists; a start
// with the same settings resumes from the checkpoint.
func TestViewsRebuiltWhenSettingsChange_VIEW5_TIME5(t *testing.T) {
	store, head, _, _ := rebuildFixture(t)
	scotland, err := calendar.New(calendar.Scotland, nil)
	if err != nil {
		t.Fatal(err)
	}
	quicker := domain.Timescales{AcknowledgeDays: 1, CloseDays: 10, UrgentDays: 1}
	for _, tc := range []struct {
		name string
		cal  *calendar.Calendar
		ts   domain.Timescales
	}{
		{"OtherTimescales", testCalendar(t), quicker},
		{"OtherCalendar", scotland, domain.DefaultTimescales()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			fresh := filepath.Join(dir, "fresh.db")
			runViewsWith(t, store, fresh, tc.cal, tc.ts)
			want := dumpViews(t, fresh)

			path := filepath.Join(dir, ViewsFile)
			runViews(t, store, path)
			if reflect.DeepEqual(dumpViews(t, path), want) {
				t.Fatal("the fixture's views are the same under both settings: the test proves nothing")
			}
			if from := runViewsWith(t, store, path, tc.cal, tc.ts); from != eventstore.Start {
				t.Fatalf("with other settings the views resumed after %d, not rebuilt", from)
			}
			if got := dumpViews(t, path); !reflect.DeepEqual(got, want) {
				t.Fatalf("views after the settings changed differ from a rebuild under them:\n%v\n%v", got, want)
			}
			if from := runViewsWith(t, store, path, tc.cal, tc.ts); from != head {
				t.Fatalf("with the same settings again the views started after %d, want their checkpoint %d", from, head)
			}
		})
	}
}
