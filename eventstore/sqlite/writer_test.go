package sqlite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/eventstore"
)

// batchStore opens a store whose writer is not running, so a test can hand
// it one exact batch. The writer starts at cleanup so Close can finish.
func batchStore(t *testing.T) (*Store, *writer) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ledger.db")
	s, w, err := open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		go w.run()
		if err := s.Close(); err != nil {
			t.Error(err)
		}
		if _, err := Verify(context.Background(), path); err != nil {
			t.Errorf("Verify after the test: %v", err)
		}
	})
	return s, w
}

func req(ctx context.Context, stream string, expected eventstore.ExpectedRevision, evs ...eventstore.EventData) *request {
	return &request{ctx: ctx, stream: stream, expected: expected, events: evs, done: make(chan response, 1)}
}

func ev(typ string) eventstore.EventData {
	return eventstore.EventData{ID: uuid.New(), Type: typ, SchemaVersion: 1, Data: []byte{}}
}

// answer returns a request's response, failing if the writer gave none.
func answer(t *testing.T, r *request) response {
	t.Helper()
	select {
	case res := <-r.done:
		return res
	default:
		t.Fatal("request was not answered")
		return response{}
	}
}

// One batch holding several appends to the same stream checks each
// expectation against the appends before it in the batch, and a conflict or
// a retry answers only its own request.
func TestBatchKeepsEachExpectationExact(t *testing.T) {
	s, w := batchStore(t)
	ctx := context.Background()
	gone, cancel := context.WithCancel(ctx)
	cancel()
	first := ev("a")
	batch := []*request{
		req(ctx, "s", eventstore.NoStream(), first),
		req(ctx, "s", eventstore.Exact(0), ev("b")),
		req(ctx, "s", eventstore.Exact(0), ev("stale")),
		req(ctx, "s", eventstore.Exact(1), ev("c"), ev("d")),
		req(ctx, "s", eventstore.NoStream(), first), // a retry within the batch
		req(gone, "s", eventstore.Any(), ev("abandoned")),
		req(ctx, "t", eventstore.NoStream(), ev("e")),
	}
	w.commit(batch)

	want := []response{
		{res: eventstore.AppendResult{Revision: 0, Position: 1}},
		{res: eventstore.AppendResult{Revision: 1, Position: 2}},
		{err: &eventstore.ConflictError{Stream: "s", Expected: eventstore.Exact(0), Actual: 1, Exists: true}},
		{res: eventstore.AppendResult{Revision: 3, Position: 4}},
		{res: eventstore.AppendResult{Revision: 0, Position: 1}},
		{err: context.Canceled},
		{res: eventstore.AppendResult{Revision: 0, Position: 5}},
	}
	for i, r := range batch {
		got := answer(t, r)
		if got.res != want[i].res || !sameErr(got.err, want[i].err) {
			t.Errorf("request %d: got %+v, %v; want %+v, %v", i, got.res, got.err, want[i].res, want[i].err)
		}
	}
	if h, err := s.Head(ctx); err != nil || h != 5 {
		t.Errorf("Head = %d, %v; want 5", h, err)
	}
}

func sameErr(got, want error) bool {
	var gc, wc *eventstore.ConflictError
	if errors.As(want, &wc) {
		return errors.As(got, &gc) && *gc == *wc
	}
	return errors.Is(got, want)
}

// A request that fails part-way through its writes is rolled back to its
// savepoint alone: its first event is not kept, the others in the batch
// are, and positions stay contiguous.
func TestBatchRollsBackOnlyTheFailedRequest(t *testing.T) {
	_, w := batchStore(t)
	ctx := context.Background()
	if _, err := w.conn.ExecContext(ctx, `CREATE TEMP TRIGGER poison BEFORE INSERT ON events
		WHEN NEW.type = 'poison' BEGIN SELECT RAISE(ABORT, 'poisoned'); END`); err != nil {
		t.Fatal(err)
	}
	batch := []*request{
		req(ctx, "s", eventstore.NoStream(), ev("a")),
		req(ctx, "s", eventstore.Exact(0), ev("kept-only-if-whole"), ev("poison")),
		req(ctx, "s", eventstore.Exact(0), ev("b")),
	}
	w.commit(batch)
	if r := answer(t, batch[1]); !errors.Is(r.err, eventstore.ErrUnavailable) {
		t.Errorf("poisoned request: %v, want ErrUnavailable", r.err)
	}
	for _, i := range []int{0, 2} {
		if r := answer(t, batch[i]); r.err != nil || r.res.Position != eventstore.Position(i/2+1) {
			t.Errorf("request %d: %+v, %v; want position %d", i, r.res, r.err, i/2+1)
		}
	}
}

// When COMMIT itself fails, every request in the batch hears so, nothing of
// the batch is kept, and the next batch commits normally.
func TestBatchCommitFailureFailsEveryone(t *testing.T) {
	s, w := batchStore(t)
	ctx := context.Background()
	// A deferred foreign-key violation is only reported by COMMIT, and it
	// leaves the transaction open: the writer must roll it back.
	for _, stmt := range []string{
		`PRAGMA foreign_keys = ON`,
		`CREATE TEMP TABLE parent (id TEXT PRIMARY KEY)`,
		`CREATE TEMP TABLE child (p TEXT REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)`,
		`CREATE TEMP TRIGGER late_poison AFTER INSERT ON events WHEN NEW.type = 'late-poison'
			BEGIN INSERT INTO child VALUES ('missing'); END`,
	} {
		if _, err := w.conn.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	batch := []*request{
		req(ctx, "s", eventstore.NoStream(), ev("a")),
		req(ctx, "t", eventstore.NoStream(), ev("late-poison")),
		req(ctx, "s", eventstore.NoStream(), ev("conflict")),
	}
	w.commit(batch)
	for i, r := range batch {
		if got := answer(t, r); !errors.Is(got.err, eventstore.ErrUnavailable) {
			t.Errorf("request %d: %+v, %v; want ErrUnavailable", i, got.res, got.err)
		}
	}
	next := req(ctx, "s", eventstore.NoStream(), ev("a"))
	w.commit([]*request{next})
	if r := answer(t, next); r.err != nil || r.res.Position != 1 {
		t.Errorf("next batch: %+v, %v; want position 1", r.res, r.err)
	}
	if h, err := s.Head(ctx); err != nil || h != 1 {
		t.Errorf("Head = %d, %v; want 1", h, err)
	}
}

// Issue14: a batch's events go in several rows per INSERT; when one of
// them is refused (here event ids already stored, which only the insert
// finds when the expectation holds), the batch is applied again request by
// request, and every request gets the answer it would have had alone: a
// retry its original result, a reused id ErrInvalid, the rest their
// positions in order.
func TestBatchFallsBackToOneRequestAtATime_Issue14(t *testing.T) {
	s, w := batchStore(t)
	ctx := context.Background()
	stored := ev("stored")
	first := req(ctx, "t", eventstore.NoStream(), stored)
	w.commit([]*request{first})
	if r := answer(t, first); r.err != nil || r.res.Position != 1 || w.redone != 0 {
		t.Fatalf("first batch: %+v, %v, applied again %d times", r.res, r.err, w.redone)
	}
	batch := []*request{
		req(ctx, "s", eventstore.NoStream(), ev("a"), ev("b")),
		req(ctx, "t", eventstore.Any(), stored),               // a retry
		req(ctx, "u", eventstore.NoStream(), ev("c"), stored), // a reused id
		req(ctx, "s", eventstore.Exact(1), ev("d")),
	}
	w.commit(batch)
	if w.redone != 1 {
		t.Errorf("the batch was applied again %d times, want 1", w.redone)
	}
	want := []eventstore.AppendResult{{Revision: 1, Position: 3}, {Revision: 0, Position: 1}, {}, {Revision: 2, Position: 4}}
	for i, r := range batch {
		got := answer(t, r)
		if i == 2 {
			if !errors.Is(got.err, eventstore.ErrInvalid) {
				t.Errorf("request %d: %+v, %v; want ErrInvalid", i, got.res, got.err)
			}
			continue
		}
		if got.err != nil || got.res != want[i] {
			t.Errorf("request %d: %+v, %v; want %+v", i, got.res, got.err, want[i])
		}
	}
	evs, err := s.ReadAll(ctx, eventstore.Start, 0)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range evs {
		types = append(types, e.Type)
	}
	if fmt.Sprint(types) != "[stored a b d]" {
		t.Errorf("stored %v, want [stored a b d]", types)
	}
	sameTree(t, s)
}

// Issue14: the WAL is checkpointed by a connection beside the writer, not
// inside the writer's commits, and still stays bounded under a steady
// stream of appends: the writer's own checkpoint at walCeiling frames
// copies what is left so the WAL starts again from its beginning. Every
// event stays readable and the file verifies.
func TestWALCheckpointedBesideTheWriter_Issue14(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	data := bytes.Repeat([]byte("x"), 3000) // about a page per event
	const writers, each = 32, 200
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			for range each {
				e := ev("big")
				e.Data = data
				if _, err := s.Append(ctx, fmt.Sprintf("s-%d", g), eventstore.Any(), e); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	wal, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("WAL %d bytes = %d frames, checkpoints %d", wal.Size(), wal.Size()/4120, s.stats.checkpoints.Load())
	// A batch holds at most 512 appends, a few pages each.
	const frame = 24 + 4096
	if limit := int64(2*walCeiling+4*512) * frame; wal.Size() > limit {
		t.Errorf("WAL is %d bytes after %d appends, want at most %d", wal.Size(), writers*each, limit)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if n := s.stats.checkpoints.Load(); n == 0 {
		t.Error("the checkpointer never ran")
	}
	rep, err := Verify(ctx, path)
	if err != nil || rep.Events != writers*each {
		t.Errorf("Verify: %+v, %v; want %d events", rep, err, writers*each)
	}
}
