package notify

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/internal/fulldisk"
	"github.com/referral-ledger/ledger/notify/notifytest"
	"github.com/referral-ledger/ledger/worker"
)

// TestNoticesRecoverFromAFullDisk: R-OPS-4. notifications.db lives on a
// real filesystem that fills up while referrals are made. The notifier
// fails, the supervisor restarts it with backoff and readiness names it
// meanwhile; once space is freed, every notice for the referrals made
// meanwhile is sent, each exactly once, without restarting the process.
func TestNoticesRecoverFromAFullDisk(t *testing.T) {
	disk := fulldisk.Mount(t, "2m")
	h := newHarness(t)
	h.dir = disk.Dir // notifications.db on the small disk; events.db elsewhere
	nw := h.network(monday0600)
	n := h.open(h.smtpSender())
	health := worker.NewHealth()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		health.Run(ctx, h.opts.Log, "email notices", worker.Backoff{Min: 10 * time.Millisecond, Max: 100 * time.Millisecond}, n.RunReporting)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		n.Close()
	})

	before := h.makeBatch(nw, 1)
	h.mail.WaitFor(t, before)

	disk.Fill(t)
	during := h.makeBatch(nw, 10)
	failing := func() bool { return slices.Contains(health.Failing(), "email notices") }
	waitUntil(t, "readiness names the notifier", failing)

	disk.Free(t)
	total := before + during
	h.mail.WaitFor(t, total)
	waitUntil(t, "the notifier is healthy again", func() bool { return !failing() })

	// No more than the notices called for, each once.
	h.caughtUp(n)
	msgs := h.mail.Messages()
	if len(msgs) != total {
		t.Errorf("%d messages sent, want %d", len(msgs), total)
	}
	seen := map[string]int{}
	for _, m := range msgs {
		seen[m.NoticeID]++
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("notice %s sent %d times", id, k)
		}
	}
	if len(seen) != total {
		t.Errorf("%d distinct notices sent, want %d", len(seen), total)
	}
}

// waitUntil polls cond until it holds, failing after the mail server's
// wait limit: it waits for a state, it does not time one.
func waitUntil(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.After(notifytest.WaitTimeout)
	for !cond() {
		select {
		case <-deadline:
			tb.Fatalf("timed out waiting until %s", what)
		case <-time.After(5 * time.Millisecond):
		}
	}
}
