package ledger

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
)

// gatedHead is a store whose Head answers, one read at a time, when the
// test lets it, with the number of reads begun so far.
type gatedHead struct {
	eventstore.Store
	begun   atomic.Int64
	started chan struct{}
	release chan struct{}
}

func (g *gatedHead) Head(ctx context.Context) (eventstore.Position, error) {
	n := g.begun.Add(1)
	g.started <- struct{}{}
	select {
	case <-g.release:
		return eventstore.Position(n), nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// TestHeadReadsShareAReadBegunAfterTheyAsked_Issue14 (point 6, R-OPS-4):
// callers asking for the head while a read is in flight are answered
// together by one read begun after they asked, never by the read already
// running (which might miss a write they saw complete).
func TestHeadReadsShareAReadBegunAfterTheyAsked_Issue14(t *testing.T) {
	g := &gatedHead{started: make(chan struct{}), release: make(chan struct{})}
	var joined sync.WaitGroup
	h := &headReads{store: g, joined: joined.Done}
	ctx := context.Background()

	joined.Add(1)
	first := make(chan eventstore.Position, 1)
	go func() { pos, _ := h.head(ctx); first <- pos }()
	<-g.started // read 1 is running

	const waiters = 8
	var wg sync.WaitGroup
	got := make([]eventstore.Position, waiters)
	joined.Wait()
	joined.Add(waiters)
	for i := range waiters {
		wg.Go(func() { got[i], _ = h.head(ctx) })
	}
	joined.Wait()           // every waiter has asked before read 1 ends
	g.release <- struct{}{} // read 1 answers
	if pos := <-first; pos != 1 {
		t.Fatalf("the first caller got head %d, want 1", pos)
	}
	<-g.started // read 2, for the waiters
	g.release <- struct{}{}
	wg.Wait()
	for i, pos := range got {
		if pos != 2 {
			t.Errorf("waiter %d got head %d, want 2 (from the read begun after it asked)", i, pos)
		}
	}
	if n := g.begun.Load(); n != 2 {
		t.Errorf("%d reads of the head for %d callers, want 2", n, waiters+1)
	}
}

// TestHeadReadsStalledStoreAnswersByTheCallersDeadline_Issue14 (R-OPS-4):
// a caller waiting on a stalled read gives up when its own context ends,
// with an error the ledger answers as Unavailable.
func TestHeadReadsStalledStoreAnswersByTheCallersDeadline_Issue14(t *testing.T) {
	g := &gatedHead{started: make(chan struct{}, 4), release: make(chan struct{})}
	defer close(g.release)
	h := &headReads{store: g}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := h.head(ctx)
	if !errors.Is(err, eventstore.ErrUnavailable) || domain.ErrorCode(storeError(err)) != domain.Unavailable {
		t.Fatalf("stalled head: %v, want unavailable", err)
	}
}

// TestFoldUnderHeadReadsItsOwnWrites_Issue14 (point 6, R-LEDGER-2): a read
// under a request's head answers from the cached fold only while nothing
// can have been written since; the request's own appends, and another
// node's seen through a later head, are read.
func TestFoldUnderHeadReadsItsOwnWrites_Issue14(t *testing.T) {
	n := newCacheNet(t)
	ctx := context.Background()
	id := n.referral.ID
	head, err := n.store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	req := WithHead(ctx, head)
	if _, err := n.a.Referral(req, n.receiver, id); err != nil {
		t.Fatal(err)
	}
	// Another node writes; a request whose head came before it may
	// answer without it, one whose head came after may not.
	if _, _, err := n.b.AddNote(ctx, n.referrer, id, domain.AddNote{Text: "from the other node"}); err != nil {
		t.Fatal(err)
	}
	later, err := n.store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r, err := n.a.Referral(WithHead(ctx, later), n.receiver, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Notes) != 1 {
		t.Fatalf("notes = %d after another node's note, want 1", len(r.Notes))
	}
	// The request's own write, made through this service, is seen by the
	// request's next read even though its head is older.
	own := WithHead(ctx, later)
	if _, _, err := n.a.AddNote(own, n.receiver, id, domain.AddNote{Text: "own"}); err != nil {
		t.Fatal(err)
	}
	if r, err = n.a.Referral(own, n.receiver, id); err != nil {
		t.Fatal(err)
	}
	if want := replayed(t, n.a, id); !reflect.DeepEqual(r, want) || len(r.Notes) != 2 {
		t.Fatalf("read after the request's own note differs from the replay:\n got %+v\nwant %+v", r, want)
	}
}

// TestHeadReadsLingeringReaderReadsAfresh_Issue14 (point 6): a caller
// handed to the reader that answered the callers before it still gets a
// read begun after it asked, never the answer of the read before.
func TestHeadReadsLingeringReaderReadsAfresh_Issue14(t *testing.T) {
	g := &gatedHead{started: make(chan struct{}), release: make(chan struct{})}
	h := &headReads{store: g}
	ctx := context.Background()
	for want := eventstore.Position(1); want <= 5; want++ {
		got := make(chan eventstore.Position, 1)
		go func() { pos, _ := h.head(ctx); got <- pos }()
		<-g.started
		g.release <- struct{}{}
		if pos := <-got; pos != want {
			t.Fatalf("call %d got head %d, want %d (a read of its own)", want, pos, want)
		}
	}
	if n := g.begun.Load(); n != 5 {
		t.Errorf("%d reads for 5 calls one after another, want 5", n)
	}
}
