package notify

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/eventstore/sqlite"
	"github.com/referral-ledger/ledger/notify/notifytest"
)

// stopAfter is a Sender that passes messages to inner and, after the n-th
// successful send, stops the notifier by cancelling its context.
type stopAfter struct {
	inner Sender
	n     int

	mu     sync.Mutex
	sent   int
	cancel context.CancelFunc
}

func (s *stopAfter) Send(ctx context.Context, m Message) error {
	if err := s.inner.Send(ctx, m); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent++
	if s.sent == s.n {
		s.cancel()
	}
	return nil
}

// crashAfter is a Sender that passes messages to inner until the server
// has taken the n-th, and then freezes the notifier as a process killed
// at that moment would be: that send, and any after it, returns only when
// the notifier is stopped, so the notifier records nothing more about its
// sending.
type crashAfter struct {
	inner   Sender
	n       int
	crashed chan struct{} // closed once the server has taken the n-th message

	mu   sync.Mutex
	sent int
	last string // id of the message in flight at the crash
}

func newCrashAfter(inner Sender, n int) *crashAfter {
	return &crashAfter{inner: inner, n: n, crashed: make(chan struct{})}
}

func (s *crashAfter) Send(ctx context.Context, m Message) error {
	s.mu.Lock()
	dead := s.sent >= s.n
	s.mu.Unlock()
	if !dead {
		if err := s.inner.Send(ctx, m); err != nil {
			return err
		}
		s.mu.Lock()
		s.sent++
		if dead = s.sent == s.n; dead {
			s.last = m.ID
			close(s.crashed)
		}
		s.mu.Unlock()
	}
	if dead {
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

// copyCrashed copies the SQLite database at from, with its WAL, into the
// directory to, as a process killed now leaves them on disk: every
// committed transaction, nothing of what was to follow. SQLite recovers
// the WAL when the copy is opened. Nothing may write to it meanwhile.
func copyCrashed(t *testing.T, from, to string) {
	t.Helper()
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(from + suffix)
		if errors.Is(err, fs.ErrNotExist) && suffix != "" {
			continue
		}
		if err == nil {
			err = os.WriteFile(filepath.Join(to, filepath.Base(from)+suffix), b, 0o600)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// runUntilStopped runs a notifier with sender until sender stops it.
func (h *harness) runUntilStopped(sender *stopAfter) {
	h.tb.Helper()
	n := h.open(sender)
	ctx, cancel := context.WithCancel(context.Background())
	sender.cancel = cancel
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			h.tb.Fatalf("Run = %v", err)
		}
	case <-time.After(15 * time.Second):
		cancel()
		<-done
		h.tb.Fatal("the notifier was not stopped by its sender")
	}
	if err := n.Close(); err != nil {
		h.tb.Fatal(err)
	}
}

// makeBatch writes k rounds of events calling for 4 notices each: a
// referral made, acknowledged and closed (3 notices) and an urgent one
// made (1). It returns how many notices they call for.
func (h *harness) makeBatch(nw network, k int) (notices int) {
	for range k {
		id, client := h.makeReferral(nw, false, monday0600)
		h.acknowledge(nw, id, monday0600)
		h.closeReferral(nw, id, client, monday0600)
		h.makeReferral(nw, true, monday0600)
	}
	return 4 * k
}

// wantEachOnce checks every notice arrived, and arrived once, except the
// ids in mayRepeat, which may arrive twice.
func wantEachOnce(tb testing.TB, msgs []notifytest.Message, want int, mayRepeat ...string) {
	tb.Helper()
	counts := byNoticeID(msgs)
	if len(counts) != want {
		tb.Errorf("%d distinct notices delivered, want %d", len(counts), want)
	}
	for id, c := range counts {
		limit := 1
		for _, r := range mayRepeat {
			if id == r {
				limit = 2
			}
		}
		if c > limit {
			tb.Errorf("notice %s delivered %d times", id, c)
		}
	}
}

// TestRestartMidBatch: a notifier stopped in the middle of a batch, with
// more events written while it is down, delivers every notice once after a
// restart on the same notifications.db (R-NOTE-3).
func TestRestartMidBatch(t *testing.T) {
	h := newHarness(t)
	// Start once on the empty store, so that its checkpoint is before
	// everything the test writes.
	first := h.start(h.smtpSender())
	first.stop(t)
	nw := h.network(monday0600)
	total := h.makeBatch(nw, 5)

	h.runUntilStopped(&stopAfter{inner: h.smtpSender(), n: 7})
	if got := len(h.mail.Messages()); got != 7 {
		t.Fatalf("%d messages before the stop, want 7", got)
	}
	total += h.makeBatch(nw, 2) // while the notifier is down

	h.start(h.smtpSender())
	msgs := h.mail.WaitFor(t, total)
	wantEachOnce(t, msgs, total)
}

// TestCrashRepeatsOnlyTheNoticeInFlight_NOTE3: a process killed after
// the SMTP server took a notice, in the middle of a batch of due notices,
// sends that one notice again after the restart and no other: each notice
// is recorded as sent before the next is sent, so at least once, never
// lost, and at most the notice in flight repeated (R-NOTE-3). The repeat
// carries the same Message-ID, so mail systems can drop it.
func TestCrashRepeatsOnlyTheNoticeInFlight_NOTE3(t *testing.T) {
	h := newHarness(t)
	first := h.start(h.smtpSender())
	first.stop(t)
	nw := h.network(monday0600)
	total := h.makeBatch(nw, 3) // 12 notices, all due at once

	crash := newCrashAfter(h.smtpSender(), 4)
	r := h.start(crash)
	select {
	case <-crash.crashed:
	case <-time.After(notifytest.WaitTimeout):
		t.Fatal("the notifier never sent 4 notices")
	}
	h.caughtUp(r.n) // every notice derived and committed: only the delivery loop could write, and it is frozen
	crashed := t.TempDir()
	copyCrashed(t, filepath.Join(h.dir, FileName), crashed)
	r.stop(t)
	if got := len(h.mail.Messages()); got != 4 {
		t.Fatalf("%d messages before the crash, want 4", got)
	}

	h.dir = crashed // restart on notifications.db as the crash left it
	r = h.start(h.smtpSender())
	h.caughtUp(r.n)
	waitUntil(t, "every notice recorded as sent", func() bool {
		counts, err := r.n.outbox.counts(context.Background())
		return err == nil && counts[statusSent] == total && counts[statusPending] == 0
	})
	r.stop(t)
	msgs := h.mail.Messages()
	wantEachOnce(t, msgs, total, crash.last)
	if c := byNoticeID(msgs)[crash.last]; c != 2 {
		t.Errorf("the notice in flight at the crash was delivered %d times, want 2 (at least once)", c)
	}
	if len(msgs) != total+1 {
		t.Errorf("%d messages, want %d: each notice once and the one in flight at the crash twice", len(msgs), total+1)
	}
}

// TestServerFailsMidBatch: the SMTP server starts refusing mail with 4xx
// after three messages; the notifier backs off, is restarted while the
// server is still down, and once the server recovers every notice is
// delivered once (R-NOTE-3).
func TestServerFailsMidBatch(t *testing.T) {
	h := newHarness(t)
	h.mail.SetRefuse(func(attempt int, _ string) error {
		if attempt > 3 {
			return notifytest.TempFailure()
		}
		return nil
	})
	r := h.start(h.smtpSender())
	nw := h.network(monday0600)
	total := h.makeBatch(nw, 3)
	h.caughtUp(r.n)
	h.mail.WaitUntil(t, "every notice tried", func(_ []notifytest.Message, attempts int) bool { return attempts >= total })
	r.stop(t)

	h.mail.SetRefuse(nil)
	r = h.start(h.smtpSender())
	h.caughtUp(r.n)
	h.clock.Set(monday0600.Add(h.opts.RetryBackoff)) // the backoff has passed
	msgs := h.mail.WaitFor(t, total)
	wantEachOnce(t, msgs, total)
}

// TestRetryWithBackoff: a notice refused with 4xx is retried after the
// backoff until the server takes it.
func TestRetryWithBackoff(t *testing.T) {
	h := newHarness(t)
	h.opts.Clock, h.opts.RetryBackoff = nil, time.Millisecond // real time, short waits
	now := time.Now()                                         // nothing overdue, so no digest whenever the notifier first looks (R-NOTE-1)
	refusals := map[string]int{}
	h.mail.SetRefuse(func(_ int, id string) error {
		if refusals[id] < 2 {
			refusals[id]++
			return notifytest.TempFailure()
		}
		return nil
	})
	r := h.start(h.smtpSender())
	nw := h.network(now)
	id, _ := h.makeReferral(nw, false, now)
	msgs := h.mail.WaitFor(t, 1)
	r.stop(t)
	if len(msgs) != 1 || refusals[msgs[0].NoticeID] != 2 {
		t.Fatalf("%d messages after %v refusals, want 1 after 2", len(msgs), refusals)
	}
	n := h.open(LogSender{})
	defer n.Close()
	var attempts int
	var status string
	if err := n.outbox.db.QueryRow(`SELECT attempts, status FROM outbox WHERE reference = ?`, Reference(id)).Scan(&attempts, &status); err != nil {
		t.Fatal(err)
	}
	if attempts != 3 || status != statusSent {
		t.Errorf("attempts %d, status %s; want 3, sent", attempts, status)
	}
}

// TestGivesUpAfterMaxAttempts: a notice the server refuses for good (5xx)
// is marked failed after the configured attempts, and the failure is
// logged.
func TestGivesUpAfterMaxAttempts(t *testing.T) {
	h := newHarness(t)
	h.opts.Clock, h.opts.RetryBackoff, h.opts.MaxAttempts = nil, time.Millisecond, 3
	now := time.Now() // nothing overdue, so no digest whenever the notifier first looks (R-NOTE-1)
	h.mail.SetRefuse(func(int, string) error { return notifytest.PermFailure() })
	r := h.start(h.smtpSender())
	nw := h.network(now)
	h.makeReferral(nw, false, now)
	h.mail.WaitUntil(t, "three attempts", func(_ []notifytest.Message, attempts int) bool { return attempts >= 3 })
	h.logs.waitFor(t, "giving up after the maximum number of attempts")
	counts, err := r.n.outbox.counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if counts[statusFailed] != 1 {
		t.Errorf("outbox %v, want 1 failed", counts)
	}
	r.stop(t)
	if a := len(h.mail.Messages()); a != 0 {
		t.Errorf("%d messages accepted", a)
	}
}

// TestOutageLosesNoNotice_NOTE3 proves R-NOTE-3 through a long outage:
// a notice the server only defers (4xx) is tried well past
// max_attempts and never marked failed, and is sent once the server takes
// mail again.
func TestOutageLosesNoNotice_NOTE3(t *testing.T) {
	h := newHarness(t)
	h.opts.Clock, h.opts.RetryBackoff, h.opts.MaxAttempts = nil, time.Millisecond, 3
	now := time.Now() // nothing overdue, so no digest whenever the notifier first looks (R-NOTE-1)
	var mu sync.Mutex
	down := true
	h.mail.SetRefuse(func(int, string) error {
		mu.Lock()
		defer mu.Unlock()
		if down {
			return notifytest.TempFailure()
		}
		return nil
	})
	r := h.start(h.smtpSender())
	nw := h.network(now)
	h.makeReferral(nw, false, now)
	h.mail.WaitUntil(t, "three times max_attempts", func(_ []notifytest.Message, attempts int) bool { return attempts >= 9 })
	counts, err := r.n.outbox.counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if counts[statusFailed] != 0 {
		t.Fatalf("outbox %v after an outage: a deferred notice was given up", counts)
	}
	mu.Lock()
	down = false
	mu.Unlock()
	msgs := h.mail.WaitFor(t, 1)
	r.stop(t)
	wantEachOnce(t, msgs, 1)
	if strings.Contains(h.logs.String(), "giving up") {
		t.Errorf("the notifier logged that it gave up during an outage")
	}
}

// attemptsSender passes messages to inner and counts the attempts on
// attempts, one value each.
type attemptsSender struct {
	inner    Sender
	attempts chan struct{}
}

func (a attemptsSender) Send(ctx context.Context, m Message) error {
	err := a.inner.Send(ctx, m)
	select {
	case a.attempts <- struct{}{}:
	default:
	}
	return err
}

// TestServerWantingSignInLosesNoNotice_NOTE3: a server that wants a
// sign-in the node is not configured for refuses the sender (530 at MAIL
// FROM) of every notice alike: like a server that cannot be signed in to,
// it is retried past max_attempts and never given up, so the notices are
// sent once the configuration is put right (docs/notices.md).
func TestServerWantingSignInLosesNoNotice_NOTE3(t *testing.T) {
	h := newHarness(t)
	h.mail = notifytest.Start(t, notifytest.Options{User: "ledger", Password: "secret"})
	h.opts.Clock, h.opts.RetryBackoff, h.opts.MaxAttempts = nil, time.Millisecond, 3
	now := time.Now() // nothing overdue, so no digest whenever the notifier first looks (R-NOTE-1)
	sender := attemptsSender{inner: h.smtpSender(), attempts: make(chan struct{})}
	r := h.start(sender)
	nw := h.network(now)
	h.makeReferral(nw, false, now)
	deadline := time.After(notifytest.WaitTimeout)
	for range 3 * h.opts.MaxAttempts {
		select {
		case <-sender.attempts:
		case <-deadline:
			r.stop(t)
			t.Fatal("the notice was not retried past max_attempts")
		}
	}
	r.stop(t)
	n := h.open(LogSender{})
	defer n.Close()
	counts, err := n.outbox.counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if counts[statusFailed] != 0 || counts[statusPending] != 1 {
		t.Errorf("outbox %v, want the notice still pending", counts)
	}
	if strings.Contains(h.logs.String(), "giving up") {
		t.Errorf("the notifier gave a notice up because the server wants a sign-in")
	}
}

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		name     string
		base     time.Duration
		attempts int
		want     time.Duration
	}{
		{"First", time.Minute, 1, time.Minute},
		{"Doubles", time.Minute, 3, 4 * time.Minute},
		{"Capped", time.Minute, 10, time.Hour},
		{"HugeAttempt", time.Minute, 1000, time.Hour},
		{"LongBase", 2 * time.Hour, 3, 2 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := backoff(tc.base, tc.attempts); got != tc.want {
				t.Errorf("backoff(%v, %d) = %v, want %v", tc.base, tc.attempts, got, tc.want)
			}
		})
	}
}

// TestCheckpointAheadOfStore: after the event log is restored from an
// older backup, notifications.db's checkpoint is past its end; it is wound
// back, so events written from then on are notified rather than skipped.
func TestCheckpointAheadOfStore(t *testing.T) {
	h := newHarness(t)
	r := h.start(h.smtpSender())
	nw := h.network(monday0600)
	h.mail.WaitFor(t, h.makeBatch(nw, 2))
	r.stop(t)

	restored, err := sqlite.Open(filepath.Join(t.TempDir(), "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { restored.Close() })
	h.store = restored
	r = h.start(h.smtpSender())
	nw = h.network(monday0600)
	id, _ := h.makeReferral(nw, false, monday0600)
	h.caughtUp(r.n)
	msgs := h.mail.WaitUntil(t, "the new referral's notice", func(msgs []notifytest.Message, _ int) bool {
		return len(findTo(msgs, toAdmin, Reference(id))) == 1
	})
	h.logs.waitFor(t, "was ahead of the event log")
	if len(msgs) != 9 {
		t.Errorf("%d messages, want 8 before the restore and 1 after", len(msgs))
	}
}
