package notify

import (
	"context"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/metrics/metricstest"
	"github.com/referral-ledger/ledger/notify/notifytest"
)

// TestMetricsCountNotices: a notice sent moves ledger_notices_sent_total,
// one the server never takes moves the failed attempts and, at the last
// attempt, the notices given up; Counts reports the outbox by status
// (issue 16 point 6).
func TestMetricsCountNotices(t *testing.T) {
	t.Run("sent", func(t *testing.T) {
		h := newHarness(t)
		before := metricstest.Value(t, "ledger_notices_sent_total")
		r := h.start(h.smtpSender())
		nw := h.network(monday0600.Add(-time.Hour))
		h.makeReferral(nw, false, monday0600.Add(-time.Hour))
		h.logs.waitFor(t, "email notice sent") // logged after the count
		r.stop(t)
		if after := metricstest.Value(t, "ledger_notices_sent_total"); after < before+1 {
			t.Errorf("ledger_notices_sent_total went from %v to %v", before, after)
		}
	})
	t.Run("given up", func(t *testing.T) {
		h := newHarness(t)
		h.opts.Clock, h.opts.RetryBackoff, h.opts.MaxAttempts = nil, time.Millisecond, 3
		now := time.Now() // nothing overdue, so no digest whenever the notifier first looks (R-NOTE-1)
		h.mail.SetRefuse(func(int, string) error { return notifytest.PermFailure() })
		attempts, gaveUp := metricstest.Value(t, "ledger_notice_attempts_failed_total"), metricstest.Value(t, "ledger_notices_failed_total")
		r := h.start(h.smtpSender())
		nw := h.network(now)
		h.makeReferral(nw, false, now)
		h.logs.waitFor(t, "giving up after the maximum number of attempts")
		counts, err := r.n.Counts(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		r.stop(t)
		if counts["failed"] != 1 {
			t.Errorf("Counts = %v, want 1 failed", counts)
		}
		if got := metricstest.Value(t, "ledger_notice_attempts_failed_total"); got < attempts+3 {
			t.Errorf("ledger_notice_attempts_failed_total went from %v to %v, want 3 more", attempts, got)
		}
		if got := metricstest.Value(t, "ledger_notices_failed_total"); got < gaveUp+1 {
			t.Errorf("ledger_notices_failed_total went from %v to %v", gaveUp, got)
		}
	})
}
