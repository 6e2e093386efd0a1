package notify

import (
	"context"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/notify/notifytest"
)

// TestRetryDueAfterTheHostSlept_NOTE3: a notice the mail server deferred
// is retried when its backoff has passed by the clock, even when the host
// slept meanwhile, so a timer set for the whole wait, which counts elapsed
// time, would fire that much later (R-NOTE-3, R-OPS-4: background work
// recovers by itself, in bounded time). The delivery loop looks at the
// clock again within a minute, as the digest does.
func TestRetryDueAfterTheHostSlept_NOTE3(t *testing.T) {
	h := newHarness(t)
	h.opts.RetryBackoff = time.Hour
	out := h.mailOutage()
	r := h.start(h.smtpSender())
	at := monday0600
	nw := h.network(at)
	id, _ := h.makeReferral(nw, false, at) // to the receiver's administrative contact
	h.mail.WaitUntil(t, "the notice tried once", func(_ []notifytest.Message, attempts int) bool { return attempts >= 1 })
	h.caughtUp(r.n)
	h.triedAll(t, r.n) // deferred until 07:00
	out.up()

	h.clock.Sleep(at.Add(59*time.Minute + 30*time.Second)) // the host sleeps until 06:59:30
	h.clock.Set(at.Add(time.Hour + 30*time.Second))        // then runs for a minute: 07:00:30
	msgs := h.waitAllSent(t, r.n)
	mustOne(t, msgs, toAdmin, "New referral "+Reference(id))
	counts, err := r.n.outbox.counts(context.Background())
	if err != nil || counts[statusSent] != 1 {
		t.Fatalf("outbox %v (%v), want the notice sent", counts, err)
	}
}
