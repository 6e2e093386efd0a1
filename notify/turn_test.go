package notify

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/internal/pgtest"
	"github.com/referral-ledger/ledger/notify/notifytest"
	"github.com/referral-ledger/ledger/notify/postgres"
)

var _ Turn = (*postgres.Turn)(nil)

// turnNode is one node's notifier taking turns through PostgreSQL, with
// its own notifications.db and log, on the harness's event store and mail
// server.
type turnNode struct {
	name   string
	n      *Notifier
	logs   *syncBuffer
	cancel context.CancelFunc
	done   chan error
}

// openTurnNode opens a node's notifier, its turn on the database at url;
// its database starts at the log's head as it is now.
func (h *harness) openTurnNode(name, url string, sender Sender) *turnNode {
	h.tb.Helper()
	turn, err := postgres.Open(context.Background(), url, name)
	if err != nil {
		h.tb.Fatal(err)
	}
	node := &turnNode{name: name, logs: &syncBuffer{}}
	opts := h.opts
	opts.Turn, opts.Log = turn, zerolog.New(node.logs).Level(zerolog.DebugLevel)
	dir := filepath.Join(h.dir, name)
	if err := os.Mkdir(dir, 0o700); err != nil {
		h.tb.Fatal(err)
	}
	if node.n, err = Open(context.Background(), filepath.Join(dir, FileName), h.store, sender, opts); err != nil {
		turn.Close()
		h.tb.Fatal(err)
	}
	h.tb.Cleanup(func() { node.stop(h.tb) })
	return node
}

// run starts the node's notifier.
func (node *turnNode) run() {
	ctx, cancel := context.WithCancel(context.Background())
	node.cancel, node.done = cancel, make(chan error, 1)
	go func() { node.done <- node.n.Run(ctx) }()
}

// halt stops the notifier's Run as a node shutting down does, which gives
// the turn up; it may be called more than once.
func (node *turnNode) halt(tb testing.TB) {
	tb.Helper()
	if node.cancel != nil {
		node.cancel()
		if err := <-node.done; err != nil {
			tb.Errorf("%s: Run = %v", node.name, err)
		}
		node.cancel = nil
	}
}

// stop halts the notifier and closes it; it may be called more than once.
func (node *turnNode) stop(tb testing.TB) {
	tb.Helper()
	if node.n == nil {
		return
	}
	node.halt(tb)
	if err := node.n.Close(); err != nil {
		tb.Errorf("%s: Close = %v", node.name, err)
	}
	node.n = nil
}

// newTurnHarness is a harness on the real clock (nothing overdue, so no
// digest whenever a notifier first looks), with short retries.
func newTurnHarness(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t)
	h.opts.Clock, h.opts.RetryBackoff, h.opts.TurnRetry = nil, time.Millisecond, 20*time.Millisecond
	return h
}

// waitForNotice waits until a message of a notice not among seen arrives,
// and returns every message so far.
func waitForNotice(t *testing.T, mail *notifytest.Server, seen ...string) []notifytest.Message {
	t.Helper()
	return mail.WaitUntil(t, "a new notice", func(msgs []notifytest.Message, _ int) bool {
		for _, m := range msgs {
			fresh := true
			for _, s := range seen {
				fresh = fresh && m.NoticeID != s
			}
			if fresh {
				return true
			}
		}
		return false
	})
}

// TestTwoNodesSendEachNoticeOnce_OPS2_NOTE3: two nodes derive the same
// notices from one log, both with notices on, sharing one PostgreSQL.
// Only one sends; each notice reaches the mail server once. When that
// node stops, the other takes over: it sends what comes next, and none of
// what the first node sent again.
func TestTwoNodesSendEachNoticeOnce_OPS2_NOTE3(t *testing.T) {
	h := newTurnHarness(t)
	url := pgtest.URL(t)
	a := h.openTurnNode("node-a", url, h.smtpSender())
	b := h.openTurnNode("node-b", url, h.smtpSender())
	a.run()
	now := time.Now()
	nw := h.network(now)
	id, _ := h.makeReferral(nw, false, now)
	first := waitForNotice(t, h.mail) // node-a, alone, took the turn
	if !a.n.Sending() {
		t.Fatal("node-a sent a notice but does not say it sends")
	}

	b.run()
	h.acknowledge(nw, id, now)
	second := waitForNotice(t, h.mail, first[0].NoticeID)
	h.caughtUp(b.n)
	if b.n.Sending() {
		t.Fatal("node-b says it sends while node-a holds the turn")
	}
	seen := []string{first[0].NoticeID}
	for _, m := range second {
		seen = append(seen, m.NoticeID)
	}

	// node-b names the sender once it sees node-a's session holding the
	// turn; it looks again every TurnRetry, so a first look that saw no
	// holder ("unknown") is followed by one naming node-a.
	b.logs.waitFor(t, `"sender":"node-a"`)

	a.stop(t) // node-a shuts down and gives the turn up
	h.makeReferral(nw, true, now)
	msgs := waitForNotice(t, h.mail, seen...)
	wantEachOnce(t, msgs, 3)
	if !b.n.Sending() {
		t.Error("node-b sent the next notice but does not say it sends")
	}
	b.halt(t) // what node-b sent is recorded once it has stopped
	counts, err := b.n.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if counts[statusSent] != 3 || counts[statusPending] != 0 {
		t.Errorf("node-b's outbox %v, want 3 sent (2 by node-a) and none pending", counts)
	}
	if !strings.Contains(a.logs.String(), "this node now sends the email notices") ||
		!strings.Contains(b.logs.String(), `"sender":"node-a"`) ||
		!strings.Contains(b.logs.String(), "this node now sends the email notices") {
		t.Errorf("the logs do not say which node sends:\nnode-a: %s\nnode-b: %s", a.logs, b.logs)
	}
	for _, l := range []*syncBuffer{a.logs, b.logs} {
		if strings.Contains(l.String(), marker) {
			t.Errorf("client data in the log: %s", l)
		}
	}
}

// TestSenderDiesOtherTakesOver_OPS2_NOTE3: the sending node dies just as
// the mail server took a notice, before it recorded it; PostgreSQL ends
// its session and with it its turn. The other node takes over and sends
// the notices that follow; of those the first node sent, only the one in
// flight when it died goes out again.
func TestSenderDiesOtherTakesOver_OPS2_NOTE3(t *testing.T) {
	h := newTurnHarness(t)
	url := pgtest.URL(t)
	crash := newCrashAfter(h.smtpSender(), 2)
	a := h.openTurnNode("node-a", url, crash)
	b := h.openTurnNode("node-b", url, h.smtpSender())
	a.run()
	now := time.Now()
	nw := h.network(now)
	id, _ := h.makeReferral(nw, false, now)
	first := waitForNotice(t, h.mail)[0].NoticeID // node-a, alone, took the turn
	b.run()
	h.acknowledge(nw, id, now)
	<-crash.crashed // the server took node-a's second notice; node-a records nothing more
	if crash.last == first {
		t.Fatal("node-a's second notice is its first")
	}

	// node-a's process is gone as far as PostgreSQL can tell: its
	// session ends, and with it the advisory lock.
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var ended int
	if err := conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = 'ledger notices node-a'`).Scan(&ended); err != nil || ended != 1 {
		t.Fatalf("ending node-a's session: %d ended, %v", ended, err)
	}

	h.makeReferral(nw, true, now)
	msgs := waitForNotice(t, h.mail, first, crash.last)
	wantEachOnce(t, msgs, 3, crash.last)
	if c := byNoticeID(msgs)[first]; c != 1 {
		t.Errorf("node-a's first notice, recorded as sent, delivered %d times", c)
	}
	if !b.n.Sending() {
		t.Error("node-b sent the next notice but does not say it sends")
	}
}

// TestGivenUpStaysGivenUpAfterHandOver_OPS2_NOTE3: a notice the mail
// server refused for good, which the sending node gave up, is not tried
// again by the node that takes over: it is recorded as failed there too.
func TestGivenUpStaysGivenUpAfterHandOver_OPS2_NOTE3(t *testing.T) {
	h := newTurnHarness(t)
	h.opts.MaxAttempts = 1
	url := pgtest.URL(t)
	var refusedID string
	h.mail.SetRefuse(func(attempt int, id string) error {
		if attempt == 1 {
			refusedID = id
			return notifytest.PermFailure()
		}
		return nil
	})
	a := h.openTurnNode("node-a", url, h.smtpSender())
	b := h.openTurnNode("node-b", url, h.smtpSender())
	a.run()
	now := time.Now()
	nw := h.network(now)
	id, _ := h.makeReferral(nw, false, now) // refused for good: node-a gives it up
	h.acknowledge(nw, id, now)
	first := waitForNotice(t, h.mail)
	b.run()
	a.stop(t)
	h.makeReferral(nw, true, now)
	msgs := waitForNotice(t, h.mail, first[0].NoticeID)
	h.mail.WaitUntil(t, "the attempts so far", func(_ []notifytest.Message, attempts int) bool {
		if attempts != 3 {
			t.Errorf("%d attempts at the mail server, want 3: the notice given up was tried again", attempts)
		}
		return true
	})
	wantEachOnce(t, msgs, 2)
	for _, m := range msgs {
		if m.NoticeID == refusedID {
			t.Errorf("the notice given up by node-a was sent by node-b")
		}
	}
	b.halt(t)
	counts, err := b.n.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if counts[statusFailed] != 1 || counts[statusSent] != 2 || counts[statusPending] != 0 {
		t.Errorf("node-b's outbox %v, want 1 failed and 2 sent", counts)
	}
}
