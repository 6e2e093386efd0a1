package notify

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/internal/pgtest"
	"github.com/referral-ledger/ledger/notify/postgres"
)

// settleFailsOnce is a turn on PostgreSQL whose first record of a notice
// settled fails as a query cut short does: nothing is written, and the
// connection, with the turn, is dropped.
type settleFailsOnce struct {
	*postgres.Turn
	mu     sync.Mutex
	failed string        // the id whose record failed
	done   chan struct{} // closed once it failed
}

func (s *settleFailsOnce) Settle(ctx context.Context, id string, failed bool, at time.Time) error {
	s.mu.Lock()
	first := s.failed == ""
	if first {
		s.failed = id
	}
	s.mu.Unlock()
	if first {
		s.Turn.Close()
		close(s.done)
		return errors.New("notices sender lock: recording a notice settled: timeout: context deadline exceeded")
	}
	return s.Turn.Settle(ctx, id, failed, at)
}

// TestNoticeWhoseRecordFailedIsRecordedWhenTheTurnIsBack_OPS2_NOTE3: the
// sending node sent a notice, but recording it in the turn's record failed
// (PostgreSQL slow for a moment), so it lost the turn; it took the turn
// back at its next try and went on sending, and the notice stayed missing
// from the record. Whichever node took the turn over later, hours or days
// on, sent that notice again. A node that takes the turn back now first
// records the notices it could not, so the next holder does not send them
// again (R-NOTE-3).
func TestNoticeWhoseRecordFailedIsRecordedWhenTheTurnIsBack_OPS2_NOTE3(t *testing.T) {
	h := newTurnHarness(t)
	url := pgtest.URL(t)
	inner, err := postgres.Open(context.Background(), url, "node-a")
	if err != nil {
		t.Fatal(err)
	}
	turn := &settleFailsOnce{Turn: inner, done: make(chan struct{})}
	a := &turnNode{name: "node-a", logs: &syncBuffer{}}
	opts := h.opts
	opts.Turn, opts.Log = turn, zerolog.New(a.logs).Level(zerolog.DebugLevel)
	dir := filepath.Join(h.dir, "node-a")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if a.n, err = Open(context.Background(), filepath.Join(dir, FileName), h.store, h.smtpSender(), opts); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.stop(t) })
	b := h.openTurnNode("node-b", url, h.smtpSender())

	a.run()
	now := time.Now()
	nw := h.network(now)
	h.makeReferral(nw, false, now)
	first := waitForNotice(t, h.mail)[0].NoticeID
	<-turn.done // sent, but not recorded: node-a lost the turn
	waitUntil(t, "node-a sending again", func() bool {
		return strings.Count(a.logs.String(), "this node now sends the email notices") >= 2
	})
	h.makeReferral(nw, false, now)
	second := waitForNotice(t, h.mail, first)

	b.run()
	a.stop(t) // node-b takes the turn over
	h.makeReferral(nw, true, now)
	seen := []string{first}
	for _, m := range second {
		seen = append(seen, m.NoticeID)
	}
	msgs := waitForNotice(t, h.mail, seen...)
	wantEachOnce(t, msgs, 3)
	if c := byNoticeID(msgs)[first]; c != 1 {
		t.Errorf("the notice whose record failed was delivered %d times", c)
	}
}
