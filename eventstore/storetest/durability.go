package storetest

import (
	"errors"
	"testing"

	"github.com/referral-ledger/ledger/eventstore"
)

// After Close every call reports ErrClosed, and Close itself may be
// repeated.
func testClosedStore(t *testing.T, newStore Factory) {
	s, _ := newStore(t)
	mustAppend(t, s, "s", eventstore.Any(), event("x"))
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	ctx := ctxFor(t)
	calls := map[string]func() error{
		"Append":     func() error { _, err := s.Append(ctx, "s", eventstore.Any(), event("x")); return err },
		"ReadStream": func() error { _, err := s.ReadStream(ctx, "s", 0, 10); return err },
		"ReadAll":    func() error { _, err := s.ReadAll(ctx, eventstore.Start, 10); return err },
		"Head":       func() error { _, err := s.Head(ctx); return err },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, eventstore.ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", name, err)
		}
	}
	if err := ended(t, s.Subscribe(ctx, eventstore.Start)); err != nil && !errors.Is(err, eventstore.ErrClosed) {
		t.Errorf("Subscribe after Close ended with %v, want nil or ErrClosed", err)
	}
}

// A reopened store holds exactly what was acknowledged before Close, goes on
// from the same revisions and positions, and still recognises retries.
func testReopen(t *testing.T, newStore Factory) {
	s, reopen := newStore(t)
	if reopen == nil {
		t.Skip("backend keeps nothing across reopening")
	}
	kept := events(2, "kept")
	res := mustAppend(t, s, "a", eventstore.NoStream(), kept...)
	mustAppend(t, s, "b", eventstore.NoStream(), events(3, "x")...)
	mustAppend(t, s, "a", eventstore.Exact(1), event("y"))
	before := readAll(t, s)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = reopen()
	t.Cleanup(func() { _ = s.Close() })
	sameEvents(t, readAll(t, s), before)
	if h, err := s.Head(ctxFor(t)); err != nil || h != before[len(before)-1].Position {
		t.Errorf("Head after reopen = %d, %v; want %d", h, err, before[len(before)-1].Position)
	}
	if got, err := s.Append(ctxFor(t), "a", eventstore.NoStream(), kept...); err != nil || got != res {
		t.Errorf("retry after reopen = %+v, %v; want %+v", got, err, res)
	}
	next := mustAppend(t, s, "a", eventstore.Exact(2), event("z"))
	if next.Revision != 3 || next.Position <= before[len(before)-1].Position {
		t.Errorf("append after reopen landed at %+v, want revision 3 after position %d", next, before[len(before)-1].Position)
	}
	if _, err := eventstore.VerifyAll(ctxFor(t), s); err != nil {
		t.Errorf("VerifyAll after reopen: %v", err)
	}
}
