package ledger

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/sqlite"
	"github.com/referral-ledger/ledger/internal/cpuclock"
)

// cacheNet is two services on one store, as two nodes on one ledger, with
// a referral between two organisations.
type cacheNet struct {
	store              eventstore.Store
	keys               *memKeys
	a, b               *Service
	referrer, receiver domain.Actor
	referral           domain.Referral
}

func newCacheNet(t testing.TB) *cacheNet {
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	n := &cacheNet{store: store, keys: newMemKeys()}
	n.a = NewService(store, NewCodec(n.keys), time.Now, uuid.New)
	n.b = NewService(store, NewCodec(n.keys), time.Now, uuid.New)
	ctx := context.Background()
	coordinator := domain.Actor{UserID: uuid.New(), OrganisationID: uuid.New(), Roles: []domain.Role{domain.RoleCoordinator}}
	var orgs []uuid.UUID
	for _, name := range []string{"Advice Centre", "Housing Trust"} {
		o, _, err := n.a.RegisterOrganisation(ctx, coordinator, domain.RegisterOrganisation{Name: name, AdminEmail: "a@example.org"})
		if err != nil {
			t.Fatal(err)
		}
		orgs = append(orgs, o.ID)
	}
	n.referrer = domain.Actor{UserID: uuid.New(), OrganisationID: orgs[0], Roles: []domain.Role{domain.RoleAdviser}}
	n.receiver = domain.Actor{UserID: uuid.New(), OrganisationID: orgs[1], Roles: []domain.Role{domain.RoleAdviser}}
	n.referral, _, err = n.a.MakeReferral(ctx, n.referrer, domain.MakeReferral{ToOrganisationID: orgs[1],
		Client: domain.Client{Name: "Client Person", DateOfBirth: "1980-03-27"}, Reason: "Debt",
		Consent: &domain.Consent{Method: domain.ConsentWritten, Confirmed: true}, PrivacyNoticeGiven: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// replayed is the referral folded from its whole stream, as before the cache.
func replayed(t *testing.T, s *Service, id uuid.UUID) domain.Referral {
	t.Helper()
	history, err := s.load(context.Background(), ReferralStream(id))
	if err != nil {
		t.Fatal(err)
	}
	return domain.ReplayReferral(history)
}

// TestCommandStateCacheIsTheReplay_Issue14 (point 5, R-LEDGER-2): commands
// decide on the cached fold, and whatever writes the stream meanwhile —
// this service, or another one on the same store, like another node — the
// state a command and a read answer is the state a full replay gives.
func TestCommandStateCacheIsTheReplay_Issue14(t *testing.T) {
	n := newCacheNet(t)
	ctx := context.Background()
	id := n.referral.ID
	check := func(what string, got domain.Referral) {
		t.Helper()
		if want := replayed(t, n.a, id); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: the state answered differs from the replay:\n got %+v\nwant %+v", what, got, want)
		}
	}
	r, _, err := n.a.Acknowledge(ctx, n.receiver, id)
	if err != nil {
		t.Fatal(err)
	}
	check("acknowledge", r)
	if r, _, err = n.a.AddNote(ctx, n.receiver, id, domain.AddNote{Text: "rang the client"}); err != nil {
		t.Fatal(err)
	}
	check("note", r)
	// The other service writes; this one's cached fold is now behind.
	if _, _, err := n.b.AddNote(ctx, n.referrer, id, domain.AddNote{Text: "client asked to be called back"}); err != nil {
		t.Fatal(err)
	}
	if r, _, err = n.a.AddNote(ctx, n.receiver, id, domain.AddNote{Text: "called back"}); err != nil {
		t.Fatal(err)
	}
	check("note after another writer", r)
	if len(r.Notes) != 3 {
		t.Fatalf("notes = %d, want 3: a write was lost", len(r.Notes))
	}
	// A refusal decided on a stale cache is decided again on the stream.
	if _, _, err := n.b.Close(ctx, n.receiver, id, "positive", "done"); err != nil {
		t.Fatal(err)
	}
	_, _, err = n.a.AddNote(ctx, n.receiver, id, domain.AddNote{Text: "too late"})
	if domain.ErrorCode(err) != domain.Conflict {
		t.Fatalf("note on a referral closed elsewhere: %v, want conflict", err)
	}
	read, err := n.a.Referral(ctx, n.receiver, id)
	if err != nil {
		t.Fatal(err)
	}
	check("read", read)
	if read.Status != domain.StatusClosed {
		t.Fatalf("status %s, want closed", read.Status)
	}
	// If-Match with the current revision passes on a stale cache; with an
	// old one it is refused.
	rev := read.Revision
	if _, _, err := n.b.Reopen(ctx, n.receiver, id, "client came back"); err != nil {
		t.Fatal(err)
	}
	old := rev
	if _, _, err := n.a.AddNote(WithRequest(ctx, Request{Match: At(&old)}), n.receiver, id, domain.AddNote{Text: "stale"}); domain.ErrorCode(err) != domain.PreconditionFailed {
		t.Fatalf("If-Match of an old revision: %v, want precondition failed", err)
	}
	current := replayed(t, n.a, id).Revision
	if r, _, err = n.a.AddNote(WithRequest(ctx, Request{Match: At(&current)}), n.receiver, id, domain.AddNote{Text: "fresh"}); err != nil {
		t.Fatalf("If-Match of the current revision on a stale cache: %v", err)
	}
	check("note with If-Match", r)
}

// TestCachedStateDroppedWhenKeyDestroyed_PRIV3 (issue 14 point 5): a
// referral's cached fold holds its client's data; once the client's key is
// gone (erased on this node or another), reads and commands answer as
// erased, and the fold with the data is no longer kept.
func TestCachedStateDroppedWhenKeyDestroyed_PRIV3(t *testing.T) {
	n := newCacheNet(t)
	ctx := context.Background()
	id := n.referral.ID
	r, err := n.a.Referral(ctx, n.receiver, id)
	if err != nil || r.Client.Name != "Client Person" {
		t.Fatalf("before erasure: %q %v", r.Client.Name, err)
	}
	if _, _, _, ok := n.a.states.get(ReferralStream(id)); !ok {
		t.Fatal("the referral's fold is not cached")
	}
	n.keys.erase(r.ClientID)
	r, err = n.a.Referral(ctx, n.receiver, id)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Erased || r.Client.Name != "" || r.Reason != "" {
		t.Fatalf("after erasure the read shows erased=%v name=%q reason=%q", r.Erased, r.Client.Name, r.Reason)
	}
	if v, _, _, ok := n.a.states.get(ReferralStream(id)); ok && v.(domain.Referral).Client.Name != "" {
		t.Fatal("the cache still holds the erased client's name")
	}
}

// TestFinishErasureEmptiesTheStateCache_PRIV3: carrying out an erasure on
// this node drops every cached fold.
func TestFinishErasureEmptiesTheStateCache_PRIV3(t *testing.T) {
	n := newCacheNet(t)
	ctx := context.Background()
	if _, err := n.a.Referral(ctx, n.receiver, n.referral.ID); err != nil {
		t.Fatal(err)
	}
	if n.a.states.len() == 0 {
		t.Fatal("nothing cached")
	}
	if _, err := n.a.finishErasure(ctx, domain.Actor{}, n.referral.ClientID, shredFunc(func(uuid.UUID) error { return nil })); err != nil {
		t.Fatal(err)
	}
	if got := n.a.states.len(); got != 0 {
		t.Fatalf("%d folds cached after an erasure, want 0", got)
	}
}

type shredFunc func(uuid.UUID) error

func (f shredFunc) Destroy(_ context.Context, c uuid.UUID) error { return f(c) }

// BenchmarkCommandByStreamLength (issue 14 point 5): the cost of a command
// (a note) on a referral of 5 events and of 500; with the fold cached they
// cost the same within 20%. The referral is rebuilt every 100 notes, off
// the clock, so its length stays within 100 of the named one.
func BenchmarkCommandByStreamLength(b *testing.B) {
	for _, length := range []int{5, 500} {
		b.Run("events="+strconv.Itoa(length), func(b *testing.B) {
			n := newCacheNet(b)
			ctx := context.Background()
			// notes appends count notes to a new referral, in one append.
			notes := func(count int) domain.Referral {
				r, _, err := n.a.MakeReferral(ctx, n.referrer, domain.MakeReferral{ToOrganisationID: n.receiver.OrganisationID,
					Client: domain.Client{Name: "Client Person"}, Reason: "Debt",
					Consent: &domain.Consent{Method: domain.ConsentWritten, Confirmed: true}, PrivacyNoticeGiven: true}, nil)
				if err != nil {
					b.Fatal(err)
				}
				var batch []domain.Event
				for range count {
					batch = append(batch, &domain.ReferralNoteAdded{NoteID: uuid.New(), ClientID: r.ClientID, Text: "rang the client"})
				}
				data, err := n.a.encode(ctx, n.receiver, Request{}, batch, nil)
				if err != nil {
					b.Fatal(err)
				}
				if len(data) > 0 {
					if _, err := n.store.Append(ctx, ReferralStream(r.ID), eventstore.Any(), data...); err != nil {
						b.Fatal(err)
					}
				}
				return r
			}
			fresh := func() uuid.UUID {
				r := notes(length - 2)
				// Both lengths write the same events off the clock (the rest
				// to another referral), so the store's upkeep of them (WAL
				// checkpoints) weighs the same on the timed notes.
				pad := notes(500 - length)
				if _, _, err := n.a.AddNote(ctx, n.receiver, pad.ID, domain.AddNote{Text: "warm"}); err != nil {
					b.Fatal(err) // decoded off the clock alike, so its garbage is alike too
				}
				runtime.GC()
				// The first command folds the stream once; the rest use it.
				if _, _, err := n.a.AddNote(ctx, n.receiver, r.ID, domain.AddNote{Text: "warm"}); err != nil {
					b.Fatal(err)
				}
				return r.ID
			}
			id := fresh()
			// CPU as well as wall time: on a shared machine the fsync of
			// each note and other work make wall time noisy.
			var cpu time.Duration
			b.ResetTimer()
			cpuStart := processCPU()
			for i := 0; i < b.N; i++ {
				if i > 0 && i%100 == 0 {
					b.StopTimer()
					cpu += processCPU() - cpuStart
					id = fresh()
					cpuStart = processCPU()
					b.StartTimer()
				}
				if _, _, err := n.a.AddNote(ctx, n.receiver, id, domain.AddNote{Text: "called"}); err != nil {
					b.Fatal(err)
				}
			}
			cpu += processCPU() - cpuStart
			b.ReportMetric(float64(cpu)/float64(time.Microsecond)/float64(b.N), "cpu-µs/op")
		})
	}
}

// processCPU is the CPU time, user and system, the process has used so far.
var processCPU = cpuclock.Process

// TestConcurrentNotesAndReadsShareTheCachedFold_Issue14 (point 5,
// R-LEDGER-1, R-LEDGER-2): commands on two nodes and reads on both fold on
// from the same cached state at once; under -race this proves that adding
// notes in place to the cached fold's notes writes nothing a reader reads,
// and at the end every node answers the replay, each note once, in the
// stream's order.
func TestConcurrentNotesAndReadsShareTheCachedFold_Issue14(t *testing.T) {
	n := newCacheNet(t)
	ctx := context.Background()
	id := n.referral.ID
	if _, _, err := n.a.Acknowledge(ctx, n.receiver, id); err != nil {
		t.Fatal(err)
	}
	const writers, notes, readers, reads = 4, 5, 4, 10
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, writers*notes+readers*reads)
	for w := range writers {
		node, actor := n.a, n.receiver
		if w%2 == 1 {
			node, actor = n.b, n.referrer
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for i := range notes {
				if _, _, err := node.AddNote(ctx, actor, id, domain.AddNote{Text: fmt.Sprint("writer ", w, " note ", i)}); err != nil {
					errs <- err
				}
			}
		}()
	}
	for r := range readers {
		node := n.a
		if r%2 == 1 {
			node = n.b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for range reads {
				got, err := node.Referral(ctx, n.receiver, id)
				if err != nil {
					errs <- err
					continue
				}
				// Whatever a read answers is a prefix of the stream: its
				// notes are in the order each writer wrote them.
				next := map[string]int{}
				for _, note := range got.Notes {
					var w, i int
					if _, err := fmt.Sscanf(note.Text, "writer %d note %d", &w, &i); err != nil || i != next[fmt.Sprint(w)] {
						errs <- fmt.Errorf("a read saw note %q out of order", note.Text)
						break
					}
					next[fmt.Sprint(w)]++
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := len(replayed(t, n.a, id).Notes); got != writers*notes {
		t.Fatalf("the stream holds %d notes, want %d", got, writers*notes)
	}
	for _, node := range []*Service{n.a, n.b} {
		want := replayed(t, n.a, id)
		got, err := node.Referral(ctx, n.receiver, id)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("a node answers other than the replay:\n got %v\nwant %v", got.Notes, want.Notes)
		}
		// A command folds on from the cached state again.
		r, _, err := node.AddNote(ctx, n.receiver, id, domain.AddNote{Text: "last"})
		if err != nil {
			t.Fatal(err)
		}
		if want = replayed(t, n.a, id); !reflect.DeepEqual(r, want) {
			t.Fatalf("a note after the race answers other than the replay:\n got %v\nwant %v", r.Notes, want.Notes)
		}
	}
}

// TestKeyedCommandsFoldOnFromTheCache_Issue14 (point 5, R-OPS-1,
// R-LEDGER-2): a command under an Idempotency-Key still reads the whole
// stream, for an earlier run's events, but folds on from the cached state
// rather than decoding every event; whatever else writes meanwhile, it
// answers the replay, a rerun of the same request appends nothing and
// answers where the first run's note landed, and the state it leaves
// cached is the replay at its revision.
func TestKeyedCommandsFoldOnFromTheCache_Issue14(t *testing.T) {
	n := newCacheNet(t)
	ctx := context.Background()
	id := n.referral.ID
	stream := ReferralStream(id)
	keyed := func(key string) context.Context { return WithIdempotencyKey(ctx, []byte("receiver\x00"+key)) }
	if _, _, err := n.a.Acknowledge(keyed("ack"), n.receiver, id); err != nil {
		t.Fatal(err)
	}
	var first Written
	for i, who := range []string{"a", "b", "a", "a"} {
		if who == "b" { // another node writes: this node's cache is behind
			if _, _, err := n.b.AddNote(ctx, n.referrer, id, domain.AddNote{Text: "from the other node"}); err != nil {
				t.Fatal(err)
			}
			continue
		}
		r, w, err := n.a.AddNote(keyed(fmt.Sprint("note ", i)), n.receiver, id, domain.AddNote{Text: fmt.Sprint("keyed ", i)})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = w
		}
		if want := replayed(t, n.a, id); !reflect.DeepEqual(r, want) {
			t.Fatalf("keyed note %d answers other than the replay:\n got %+v\nwant %+v", i, r, want)
		}
		v, rev, _, ok := n.a.states.get(stream)
		if !ok {
			t.Fatalf("after keyed note %d nothing is cached", i)
		}
		history, err := n.a.load(ctx, stream)
		if err != nil {
			t.Fatal(err)
		}
		if want := domain.ReplayReferral(history[:rev+1]); !reflect.DeepEqual(v, want) {
			t.Fatalf("after keyed note %d the cache at revision %d is not the replay", i, rev)
		}
	}
	before := replayed(t, n.a, id)
	r, w, err := n.a.AddNote(keyed("note 0"), n.receiver, id, domain.AddNote{Text: "keyed 0"})
	if err != nil {
		t.Fatal(err)
	}
	if w.Revision != first.Revision || w.Position != first.Position {
		t.Fatalf("the rerun answers %+v, want the first run's %+v", w, first)
	}
	if after := replayed(t, n.a, id); !reflect.DeepEqual(after, before) || !reflect.DeepEqual(r, after) {
		t.Fatalf("the rerun changed the referral or answers other than it:\n got %+v\nwant %+v", r, before)
	}
}

// racedStore is a store on which another node gets a write in just before
// each of the first races appends to stream, so each of them conflicts.
type racedStore struct {
	eventstore.Store
	stream string
	races  int
	other  func() error
}

func (s *racedStore) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if stream == s.stream && s.races > 0 {
		s.races--
		if err := s.other(); err != nil {
			return eventstore.AppendResult{}, err
		}
	}
	return s.Store.Append(ctx, stream, expected, events...)
}

// TestConflictRetriesPauseLongerEachTime_LEDGER2 (R-LEDGER-2): a command
// that keeps losing its stream to another node's writes decides again on
// fresh state each time, pausing before each retry with a ceiling that
// grows (so two colliding nodes draw apart instead of one starving the
// other); it gives up with 409 only after maxConflictRetries, and a
// request cancelled while it pauses appends nothing.
func TestConflictRetriesPauseLongerEachTime_LEDGER2(t *testing.T) {
	n := newCacheNet(t)
	ctx := context.Background()
	id := n.referral.ID
	if _, _, err := n.a.Acknowledge(ctx, n.receiver, id); err != nil {
		t.Fatal(err)
	}
	others := 0
	raced := &racedStore{Store: n.store, stream: ReferralStream(id), other: func() error {
		others++
		_, _, err := n.b.AddNote(ctx, n.referrer, id, domain.AddNote{Text: fmt.Sprint("elsewhere ", others)})
		return err
	}}
	c := NewService(raced, NewCodec(n.keys), time.Now, uuid.New)
	var pauses []int
	c.pause = func(ctx context.Context, attempt int) error {
		pauses = append(pauses, attempt)
		return ctx.Err()
	}

	// Three losses, then a win: every note is kept, in order.
	raced.races = 3
	r, _, err := c.AddNote(ctx, n.receiver, id, domain.AddNote{Text: "here"})
	if err != nil {
		t.Fatalf("a note that lost three races: %v", err)
	}
	if want := replayed(t, n.a, id); !reflect.DeepEqual(r, want) || len(r.Notes) != 4 || r.Notes[3].Text != "here" {
		t.Fatalf("after three lost races the note answers %v, want the replay %v with it last", r.Notes, want.Notes)
	}
	if !reflect.DeepEqual(pauses, []int{0, 1, 2}) {
		t.Fatalf("pauses before retries %v, want one before each retry, at attempts 0, 1, 2", pauses)
	}

	// Losing every race ends in a conflict after the last retry.
	// (The first try decides on the cached fold of the note above; its
	// conflict is retried at once, on the stream as stored.)
	pauses, raced.races = nil, 100
	_, _, err = c.AddNote(ctx, n.receiver, id, domain.AddNote{Text: "never"})
	if domain.ErrorCode(err) != domain.Conflict {
		t.Fatalf("a note that lost every race: %v, want conflict", err)
	}
	if len(pauses) != maxConflictRetries {
		t.Fatalf("%d pauses, want %d (one before each retry)", len(pauses), maxConflictRetries)
	}
	if lost := 100 - raced.races; lost != maxConflictRetries+2 {
		t.Fatalf("%d appends tried, want %d: the cached try and one per read", lost, maxConflictRetries+2)
	}

	// A request cancelled during its pause stops there and writes nothing.
	cctx, cancel := context.WithCancel(ctx)
	c.pause = func(ctx context.Context, attempt int) error {
		cancel()
		return conflictPause(ctx, attempt)
	}
	raced.races = 100
	if _, _, err := c.AddNote(cctx, n.receiver, id, domain.AddNote{Text: "cancelled"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("a note cancelled during its pause answered %v, want the cancellation", err)
	}
	for _, note := range replayed(t, n.a, id).Notes {
		if note.Text == "cancelled" {
			t.Fatal("a note cancelled during its pause was written")
		}
	}
}
