package kurrentdb_test

import (
	"errors"
	"testing"

	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/kurrentdb/kurrentdbtest"
)

// An append whose answer is lost is retried with the same event ids: it
// succeeds, exactly one copy is stored, and the result is the one a later
// retry gets. When the lost append had been written, the adapter finds it
// in $all and sends nothing again; when it had not, it sends it again.
func TestAppendOutcomeUnknown(t *testing.T) {
	cases := []struct {
		name      string
		inject    func(*kurrentdbtest.Controller)
		wantSends int
	}{
		{"WrittenThenConnectionLost", (*kurrentdbtest.Controller).FailNextAppendAfterCommit, 1},
		{"LostBeforeWriting", (*kurrentdbtest.Controller).FailNextAppendBeforeCommit, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			url, ctl := kurrentdbtest.Start(t)
			s := open(t, url)
			stream := referral()
			mustAppend(t, s, stream, eventstore.NoStream(), event("referral.made"))
			evs := []eventstore.EventData{event("referral.acknowledged"), event("referral.assigned")}

			before := ctl.Appends()
			c.inject(ctl)
			res := mustAppend(t, s, stream, eventstore.Exact(0), evs...)

			if sends := ctl.Appends() - before; sends != c.wantSends {
				t.Errorf("the adapter sent the append %d times, want %d", sends, c.wantSends)
			}
			stored := ctl.Stream(stream)
			if len(stored) != 3 || stored[1].ID != evs[0].ID || stored[2].ID != evs[1].ID {
				t.Fatalf("the server holds %d events, want the first and exactly one copy of the retried two", len(stored))
			}
			if want := (eventstore.AppendResult{Revision: 2, Position: eventstore.Position(stored[2].Position)}); res != want {
				t.Errorf("Append = %+v, want %+v", res, want)
			}
			if again := mustAppend(t, s, stream, eventstore.Exact(0), evs...); again != res {
				t.Errorf("a later retry = %+v, want the original %+v", again, res)
			}
			if _, err := eventstore.VerifyAll(ctxFor(t), s); err != nil {
				t.Errorf("VerifyAll: %v", err)
			}
		})
	}
}

// KurrentDB's WrongExpectedVersion, met on the wire because another writer
// moved the stream between the adapter reading its head and appending: with
// an exact expectation it is a ConflictError naming the winner's revision;
// with Any the adapter looks again and appends after the winner. A spurious
// one (the stream did not move) is retried.
func TestWrongExpectedVersion(t *testing.T) {
	cases := []struct {
		name     string
		expected eventstore.ExpectedRevision
		race     bool // another writer appends while ours is held
		conflict bool
		wantRev  uint64
	}{
		{"ExactLosesRace", eventstore.Exact(0), true, true, 0},
		{"AnyAppendsAfterWinner", eventstore.Any(), true, false, 2},
		{"SpuriousIsRetried", eventstore.Exact(0), false, false, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			url, ctl := kurrentdbtest.Start(t)
			ours, theirs := open(t, url), open(t, url)
			stream := referral()
			mustAppend(t, ours, stream, eventstore.NoStream(), event("referral.made"))
			mustAppend(t, ours, referral(), eventstore.NoStream(), event("referral.made")) // ours has read the head

			before := ctl.Appends()
			var reached <-chan struct{}
			release := func() {}
			if c.race {
				reached, release = ctl.HoldNextAppend()
			} else {
				ctl.RejectNextAppend()
			}
			type outcome struct {
				res eventstore.AppendResult
				err error
			}
			done := make(chan outcome, 1)
			mine := event("referral.acknowledged")
			go func() {
				res, err := ours.Append(ctxFor(t), stream, c.expected, mine)
				done <- outcome{res, err}
			}()
			if c.race {
				<-reached
				mustAppend(t, theirs, stream, eventstore.Exact(0), event("referral.rejected"))
				release()
			}
			got := <-done

			var ce *eventstore.ConflictError
			switch {
			case c.conflict:
				if !errors.As(got.err, &ce) {
					t.Fatalf("Append error = %v, want *ConflictError", got.err)
				}
				if want := (eventstore.ConflictError{Stream: stream, Expected: c.expected, Actual: 1, Exists: true}); *ce != want {
					t.Errorf("ConflictError = %+v, want %+v", *ce, want)
				}
			case got.err != nil:
				t.Fatalf("Append: %v", got.err)
			case got.res.Revision != c.wantRev:
				t.Errorf("Append landed at revision %d, want %d", got.res.Revision, c.wantRev)
			}
			copies := 0
			for _, r := range ctl.Stream(stream) {
				if r.ID == mine.ID {
					copies++
				}
			}
			if want := map[bool]int{true: 0, false: 1}[c.conflict]; copies != want {
				t.Errorf("the server holds %d copies of the event, want %d", copies, want)
			}
			if sends := ctl.Appends() - before; c.race && sends < 2 {
				t.Errorf("%d appends reached the server, want ours and theirs at least", sends)
			}
			if _, err := eventstore.VerifyAll(ctxFor(t), ours); err != nil {
				t.Errorf("VerifyAll: %v", err)
			}
		})
	}
}
