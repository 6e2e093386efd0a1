package notify

import (
	"sync"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/notify/notifytest"
)

// TestOneRefusalAfterAnOutageIsNotGivenUp_NOTE3: notify.max_attempts is
// how many times the mail server may refuse a notice for good (5xx)
// before it is given up; deferrals (4xx, the server down) do not count
// towards it. The notifier counted every attempt: a notice deferred
// through an outage of max_attempts tries was given up at the first 5xx
// that followed (a directory lookup failing as the server came back, say),
// and lost. It is now given up only after max_attempts refusals, and sent
// once the server takes it.
func TestOneRefusalAfterAnOutageIsNotGivenUp_NOTE3(t *testing.T) {
	h := newHarness(t)
	h.opts.Clock, h.opts.RetryBackoff, h.opts.MaxAttempts = nil, time.Millisecond, 3
	now := time.Now() // nothing overdue, so no digest whenever the notifier first looks (R-NOTE-1)
	var mu sync.Mutex
	var answers []int
	h.mail.SetRefuse(func(attempt int, _ string) error {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case attempt <= 4: // an outage: deferred, more times than max_attempts
			answers = append(answers, 451)
			return notifytest.TempFailure()
		case attempt <= 6: // then refused, fewer times than max_attempts
			answers = append(answers, 550)
			return notifytest.PermFailure()
		}
		answers = append(answers, 250)
		return nil
	})
	r := h.start(h.smtpSender())
	nw := h.network(now)
	id, _ := h.makeReferral(nw, false, now)
	h.caughtUp(r.n)
	h.waitAllSent(t, r.n) // sent, or given up
	r.stop(t)
	mu.Lock()
	defer mu.Unlock()
	msgs := h.mail.Messages()
	if len(msgs) != 1 || len(answers) != 7 {
		t.Fatalf("answers %v, %d messages: want 4 deferrals, 2 refusals and the notice taken (max_attempts 3)", answers, len(msgs))
	}
	mustOne(t, msgs, toAdmin, "New referral "+Reference(id))
}

// TestGivesUpAfterMaxRefusalsAfterAnOutage_NOTE3: deferrals before the
// refusals do not stop a notice the server refuses max_attempts times
// from being given up.
func TestGivesUpAfterMaxRefusalsAfterAnOutage_NOTE3(t *testing.T) {
	h := newHarness(t)
	h.opts.Clock, h.opts.RetryBackoff, h.opts.MaxAttempts = nil, time.Millisecond, 3
	now := time.Now()
	h.mail.SetRefuse(func(attempt int, _ string) error {
		if attempt <= 4 {
			return notifytest.TempFailure()
		}
		return notifytest.PermFailure()
	})
	r := h.start(h.smtpSender())
	nw := h.network(now)
	h.makeReferral(nw, false, now)
	h.logs.waitFor(t, "giving up after the maximum number of attempts")
	r.stop(t)
	h.mail.WaitUntil(t, "the attempts so far", func(_ []notifytest.Message, attempts int) bool {
		if attempts != 7 {
			t.Errorf("%d attempts, want 4 deferred and 3 refused", attempts)
		}
		return true
	})
}
