package kurrentdb_test

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/kurrentdb"
	"github.com/referral-ledger/ledger/eventstore/kurrentdb/kurrentdbtest"
)

// Issue 18 point 1: after a leader election the node the Store is
// connected to is a follower whose $all lags (and stays lagging for the
// whole test). Every append still succeeds, exactly once, and no write
// that succeeded is reported failed; reads, Head and a subscription (what
// the projections follow) go to the new leader and catch up with every
// write.
func TestIssue18LeaderElectionAppendsExactlyOnceAndViewsCatchUp(t *testing.T) {
	url, ctl := kurrentdbtest.Start(t)
	s := open(t, url)
	sub := s.Subscribe(ctxFor(t), eventstore.Start)
	defer sub.Close()
	streams := []string{referral(), referral(), referral()}
	var want []eventstore.EventData
	for _, st := range streams {
		ev := event("referral.made")
		mustAppend(t, s, st, eventstore.NoStream(), ev)
		want = append(want, ev)
	}
	receive(t, sub, len(want))

	ctl.ElectNewLeader()

	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, st := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 4 {
				ev := event("referral.note_added")
				if _, err := s.Append(ctxFor(t), st, eventstore.Any(), ev); err != nil {
					t.Errorf("Append to %s after the election: %v (the write may have succeeded)", st, err)
					continue
				}
				mu.Lock()
				want = append(want, ev)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	count := map[uuid.UUID]int{}
	for _, r := range ctl.All() {
		count[r.ID]++
	}
	for _, ev := range want {
		if count[ev.ID] != 1 {
			t.Errorf("event %s is stored %d times, want exactly once", ev.ID, count[ev.ID])
		}
	}
	all := readAll(t, s)
	if len(all) != len(want) {
		t.Fatalf("ReadAll after the election = %d events, want %d", len(all), len(want))
	}
	if h, err := s.Head(ctxFor(t)); err != nil || h != all[len(all)-1].Position {
		t.Errorf("Head = %d, %v; want the last event's position %d", h, err, all[len(all)-1].Position)
	}
	got := receive(t, sub, len(want)-len(streams))
	sameOrder(t, got, all[len(streams):])
	if _, err := eventstore.VerifyAll(ctxFor(t), s); err != nil {
		t.Errorf("VerifyAll: %v", err)
	}
}

// Issue 18 point 1: WrongExpectedVersion answers are retried with backoff,
// a bounded number of times, and then reported as unavailable (never as a
// conflict the caller did not ask for).
func TestIssue18WrongExpectedVersionLoopIsBounded(t *testing.T) {
	url, ctl := kurrentdbtest.Start(t)
	s := open(t, url)
	st := referral()
	mustAppend(t, s, st, eventstore.NoStream(), event("referral.made"))

	for range 3 {
		ctl.RejectNextAppend()
	}
	before := ctl.Appends()
	mustAppend(t, s, st, eventstore.Any(), event("referral.note_added"))
	if n := ctl.Appends() - before; n != 4 {
		t.Errorf("three spurious WrongExpectedVersion answers took %d appends, want 4", n)
	}

	for range 100 {
		ctl.RejectNextAppend()
	}
	before = ctl.Appends()
	_, err := s.Append(ctxFor(t), st, eventstore.Any(), event("referral.note_added"))
	if !errors.Is(err, eventstore.ErrUnavailable) {
		t.Fatalf("Append against a stream that always moves = %v, want ErrUnavailable", err)
	}
	if n := ctl.Appends() - before; n >= 100 || n < 2 {
		t.Errorf("the WrongExpectedVersion loop sent %d appends, want a bound well under 100", n)
	}
}

// Issue 18 point 2: an append over KurrentDB's maximum append size is a
// definite refusal naming the limit, not an outage: it is sent once,
// nothing is written, and the error is ErrTooLarge (and ErrInvalid), never
// ErrUnavailable.
func TestIssue18OversizedAppendIsInvalidNamingTheLimit(t *testing.T) {
	url, ctl := kurrentdbtest.Start(t)
	ctl.SetMaxAppendSize(4096)
	s := open(t, url)
	st := referral()
	ev := event("referral.made")
	ev.Data = []byte(`"` + strings.Repeat("x", 8192) + `"`)
	before := ctl.Appends()
	_, err := s.Append(ctxFor(t), st, eventstore.NoStream(), ev)
	var tl *eventstore.TooLargeError
	switch {
	case errors.Is(err, eventstore.ErrUnavailable):
		t.Fatalf("oversized Append = %v, want a definite error, not ErrUnavailable", err)
	case !errors.As(err, &tl) || !errors.Is(err, eventstore.ErrTooLarge) || !errors.Is(err, eventstore.ErrInvalid):
		t.Fatalf("oversized Append = %v, want *eventstore.TooLargeError (ErrTooLarge, ErrInvalid)", err)
	case tl.Limit != 4096 || !strings.Contains(err.Error(), "4096"):
		t.Errorf("TooLargeError = %v (limit %d), want it to name the limit 4096", err, tl.Limit)
	}
	if n := ctl.Appends() - before; n != 1 {
		t.Errorf("the oversized append was sent %d times, want once", n)
	}
	if got := ctl.Stream(st); len(got) != 0 {
		t.Errorf("the refused append wrote %d events", len(got))
	}
	// A small one still goes through.
	mustAppend(t, s, st, eventstore.NoStream(), event("referral.made"))
}

// Issue 18 point 3: with another application's traffic in a shared
// KurrentDB, Head, an append and a read of the ledger receive only the
// ledger's records: what crosses the wire does not grow with the other
// application's records.
func TestIssue18SharedClusterCostsDoNotGrowWithForeignTraffic(t *testing.T) {
	url, ctl := kurrentdbtest.Start(t)
	s := open(t, url)
	st := referral()
	first := mustAppend(t, s, st, eventstore.NoStream(), event("referral.made"))
	ctl.SeedForeign("billing-", 20000)

	before := ctl.Sent()
	h, err := s.Head(ctxFor(t))
	if err != nil || h != first.Position {
		t.Fatalf("Head = %d, %v; want %d", h, err, first.Position)
	}
	res := mustAppend(t, s, st, eventstore.Exact(0), event("referral.note_added"))
	all := readAll(t, s)
	if len(all) != 2 || all[1].Position != res.Position {
		t.Fatalf("ReadAll = %d events, want the ledger's 2", len(all))
	}
	// Head reads one record from the end of $all; the append's catch-up
	// and read-back and ReadAll see only the ledger's events.
	if n := ctl.Sent() - before; n > 10 {
		t.Errorf("Head, an append and ReadAll received %d records with 20000 foreign ones in $all, want at most 10", n)
	}
	ctl.SeedForeign("billing-more-", 20000)
	before = ctl.Sent()
	if h, err := s.Head(ctxFor(t)); err != nil || h != res.Position {
		t.Fatalf("Head = %d, %v; want %d", h, err, res.Position)
	}
	if n := ctl.Sent() - before; n > 2 {
		t.Errorf("Head received %d records, want at most 2", n)
	}
}

// Issue 18 point 4: a user who cannot read $all is refused at Open with a
// message saying what to grant; access lost later makes Head (and so
// /readyz) fail with ErrAccessDenied, not ErrUnavailable, while the
// subscription keeps trying and catches up once access is back.
func TestIssue18AccessDenied(t *testing.T) {
	url, ctl := kurrentdbtest.Start(t)
	ctl.DenyAll(true)
	_, err := kurrentdb.Open(ctxFor(t), url)
	if !errors.Is(err, eventstore.ErrAccessDenied) || !strings.Contains(err.Error(), "$all") {
		t.Fatalf("Open without read on $all = %v, want ErrAccessDenied naming $all", err)
	}
	ctl.DenyAll(false)

	s := open(t, url)
	st := referral()
	mustAppend(t, s, st, eventstore.NoStream(), event("referral.made"))
	sub := s.Subscribe(ctxFor(t), eventstore.Start)
	defer sub.Close()
	receive(t, sub, 1)

	ctl.DenyAll(true)
	_, err = s.Head(ctxFor(t))
	if !errors.Is(err, eventstore.ErrAccessDenied) || errors.Is(err, eventstore.ErrUnavailable) {
		t.Fatalf("Head after access was revoked = %v, want ErrAccessDenied (not ErrUnavailable)", err)
	}
	if !strings.Contains(err.Error(), "$all") {
		t.Errorf("Head's error %q does not say what to grant", err)
	}
	if err := s.Ping(ctxFor(t)); !errors.Is(err, eventstore.ErrAccessDenied) {
		t.Errorf("Ping after access was revoked = %v, want ErrAccessDenied", err)
	}

	ctl.DenyAll(false)
	next := mustAppend(t, s, st, eventstore.Exact(0), event("referral.note_added"))
	if got := receive(t, sub, 1); got[0].Position != next.Position {
		t.Errorf("after access came back the subscription delivered %d, want %d", got[0].Position, next.Position)
	}
	if sub.Err() != nil {
		t.Errorf("subscription Err = %v", sub.Err())
	}
}
