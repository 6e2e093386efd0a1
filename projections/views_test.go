package projections

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/calendar"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/sqlite"
	"github.com/referral-ledger/ledger/ledger"
)

// subscribeLog is a store that records where each subscription starts.
type subscribeLog struct {
	eventstore.Store
	mu     sync.Mutex
	starts []eventstore.Position
}

func (s *subscribeLog) Subscribe(ctx context.Context, after eventstore.Position) eventstore.Subscription {
	s.mu.Lock()
	s.starts = append(s.starts, after)
	s.mu.Unlock()
	return s.Store.Subscribe(ctx, after)
}

// last returns where the last subscription started: the runner's own,
// after any it made to check the log.
func (s *subscribeLog) last() eventstore.Position {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.starts[len(s.starts)-1]
}

// runViews opens the views at path, runs the persistent read models over
// store until they hold every event, and closes them; it returns where
// the runner's first subscription started.
func runViews(t *testing.T, store eventstore.Store, path string) eventstore.Position {
	t.Helper()
	return runViewsWith(t, store, path, testCalendar(t), domain.DefaultTimescales())
}

// runViewsWith is runViews with the referrals' deadlines worked out with
// cal and ts.
func runViewsWith(t *testing.T, store eventstore.Store, path string, cal *calendar.Calendar, ts domain.Timescales) eventstore.Position {
	t.Helper()
	ctx := context.Background()
	views, err := OpenViews(path)
	if err != nil {
		t.Fatal(err)
	}
	defer views.Close()
	p, err := OpenReferrals(ctx, views, cal, ts)
	if err != nil {
		t.Fatal(err)
	}
	logged := &subscribeLog{Store: store}
	r := NewRunner(logged, ledger.NewPublicCodec(), p)
	r.CheckChains()
	r.UseViews(views)
	// Small batches: a rebuild (from the start, its indexes dropped until
	// it catches up) takes several, and several transactions, each held
	// open across batches.
	r.batchMax, r.catchUpMax, r.rebuildMax = 7, 50, 120
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
	if p.Checkpoint() != head {
		t.Fatalf("checkpoint %d, head %d", p.Checkpoint(), head)
	}
	return logged.last()
}

func dumpViews(t *testing.T, path string) map[string][]string {
	t.Helper()
	views, err := OpenViews(path)
	if err != nil {
		t.Fatal(err)
	}
	defer views.Close()
	d, err := views.Dump(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// schemaOf returns every table and index of the views at path, as
// created: a rebuild, which drops some indexes until it catches up, ends
// with the same schema as views kept up to date event by event.
func schemaOf(t *testing.T, path string) []string {
	t.Helper()
	views, err := OpenViews(path)
	if err != nil {
		t.Fatal(err)
	}
	defer views.Close()
	rows, err := views.DB().Query(`SELECT type || ' ' || name || ': ' || COALESCE(sql, '') FROM sqlite_master ORDER BY type, name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func appendLives(t *testing.T, store eventstore.Store, lives []benchLife) {
	t.Helper()
	codec := ledger.NewCodec(benchKeys{})
	for _, l := range lives {
		if err := appendLife(context.Background(), store, codec, l); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPersistentViewsRebuildEqualsIncremental is R-VIEW-5 on disk (issue
// 14, point 2): views built incrementally, the server restarting between
// batches of new events and resuming each time from its checkpoint, hold
// the same rows, byte for byte, as views rebuilt from the whole log at
// once, and as the same file reset and rebuilt (ledger rebuild-views).
func TestPersistentViewsRebuildEqualsIncremental_VIEW5(t *testing.T) {
	dir := t.TempDir()
	store, err := sqlite.Open(filepath.Join(dir, "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 8))
	net := newBenchNetwork(rng, 6, 3)
	incremental := filepath.Join(dir, "incremental.db")
	for round := range 4 {
		lives := benchLives(rng, net, 40+rng.IntN(40), 0.6, func(int) uuid.UUID { return net.orgs[rng.IntN(len(net.orgs))] })
		before, err := store.Head(ctx)
		if err != nil {
			t.Fatal(err)
		}
		appendLives(t, store, lives)
		if from := runViews(t, store, incremental); from != before {
			t.Fatalf("round %d: the restart subscribed after position %d, want its checkpoint %d", round, from, before)
		}
	}
	rebuilt := filepath.Join(dir, "rebuilt.db")
	runViews(t, store, rebuilt)
	want := dumpViews(t, rebuilt)
	if len(want["referrals"]) == 0 || len(want["chain_heads"]) == 0 {
		t.Fatalf("the rebuilt views are empty: %v", want)
	}
	if got := dumpViews(t, incremental); !reflect.DeepEqual(got, want) {
		t.Fatalf("incremental views differ from the rebuild:\n%v\n%v", got, want)
	}
	created := schemaOf(t, filepath.Join(dir, "created.db"))
	for name, path := range map[string]string{"incremental": incremental, "rebuilt": rebuilt} {
		if got := schemaOf(t, path); !reflect.DeepEqual(got, created) {
			t.Fatalf("the %s views' schema differs from the schema created:\n%v\n%v", name, got, created)
		}
	}
	views, err := OpenViews(incremental)
	if err != nil {
		t.Fatal(err)
	}
	if err := views.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	views.Close()
	if from := runViews(t, store, incremental); from != eventstore.Start {
		t.Fatalf("after a reset the runner subscribed after %d, want the start", from)
	}
	if got := dumpViews(t, incremental); !reflect.DeepEqual(got, want) {
		t.Fatal("views reset and rebuilt differ from the rebuild")
	}
}

// TestPersistentViewsOfAnotherLogAreRebuilt: views built from a longer
// log (events.db restored from an older backup, or replaced) are rebuilt
// from the start of the log they now run on, not resumed.
func TestPersistentViewsOfAnotherLogAreRebuilt(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(9, 10))
	net := newBenchNetwork(rng, 4, 2)
	to := func(int) uuid.UUID { return net.orgs[rng.IntN(len(net.orgs))] }
	older, err := sqlite.Open(filepath.Join(dir, "older.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer older.Close()
	newer, err := sqlite.Open(filepath.Join(dir, "newer.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer newer.Close()
	first := benchLives(rng, net, 20, 0.5, to)
	appendLives(t, older, first)
	appendLives(t, newer, first)
	appendLives(t, newer, benchLives(rng, net, 20, 0.5, to))
	// The same length, other events: a different log.
	other, err := sqlite.Open(filepath.Join(dir, "other.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	appendLives(t, other, benchLives(rng, net, 40, 0.5, to))

	views := filepath.Join(dir, "views.db")
	runViews(t, newer, views)
	for name, store := range map[string]eventstore.Store{"older": older, "other": other} {
		if from := runViews(t, store, views); from != eventstore.Start {
			t.Fatalf("%s log: the runner resumed after %d", name, from)
		}
		fresh := filepath.Join(t.TempDir(), "fresh.db")
		runViews(t, store, fresh)
		if !reflect.DeepEqual(dumpViews(t, views), dumpViews(t, fresh)) {
			t.Fatalf("%s log: the views were not rebuilt from it", name)
		}
	}
}
