package notify

import (
	"context"
	"time"

	"github.com/referral-ledger/ledger/metrics"
)

// maxBackoff caps the wait between attempts, unless RetryBackoff is longer.
const maxBackoff = time.Hour

// storeRetry is how long the delivery loop waits after its own database
// failed before trying again.
const storeRetry = 5 * time.Second

// deliver sends due notices until ctx ends, sleeping until the next one is
// due or new ones are enqueued.
func (n *Notifier) deliver(ctx context.Context) {
	for ctx.Err() == nil {
		batch, err := n.outbox.due(ctx, n.clock.Now(), deliveryBatch)
		if err != nil {
			if ctx.Err() == nil {
				n.log.Error().Err(err).Msg("notifications: cannot read the outbox")
			}
			n.sleep(ctx, n.clock.After(storeRetry))
			continue
		}
		for _, m := range batch {
			if ctx.Err() != nil {
				return
			}
			n.deliverOne(ctx, m)
		}
		if len(batch) == deliveryBatch {
			continue
		}
		var timer <-chan time.Time
		switch at, ok, err := n.outbox.nextDue(ctx); {
		case err != nil:
			timer = n.clock.After(storeRetry)
		case ok:
			timer = n.clock.After(at.Sub(n.clock.Now()))
		}
		n.sleep(ctx, timer)
	}
}

// sleep waits for timer, new notices or the end of ctx.
func (n *Notifier) sleep(ctx context.Context, timer <-chan time.Time) {
	select {
	case <-ctx.Done():
	case <-n.wake:
	case <-timer:
	}
}

// deliverOne sends one notice and records the outcome. The outcome is
// written even when ctx has just ended, so a notice that was sent is not
// sent again by the next Run; only a crash between the two can repeat it
// (at least once, R-NOTE-3).
func (n *Notifier) deliverOne(ctx context.Context, m notice) {
	if at, ok := n.unrecorded(m.ID); ok {
		// Sent before, but the outbox could not record it (a full disk):
		// record it now instead of sending it again (R-OPS-4).
		if err := n.outbox.markSent(context.WithoutCancel(ctx), m.ID, m.Attempts+1, at); err != nil {
			return
		}
		n.recorded(m.ID)
		return
	}
	err := n.sender.Send(ctx, m.Message)
	if err != nil && ctx.Err() != nil {
		return // stopping: not the notice's fault, and it stays due
	}
	record := context.WithoutCancel(ctx)
	attempts := m.Attempts + 1
	log := n.log.With().Str("notice_id", m.ID).Str("kind", string(m.Kind)).Str("reference", m.Reference).
		Int("attempt", attempts).Logger()
	now := n.clock.Now()
	switch {
	case err == nil:
		if err := n.outbox.markSent(record, m.ID, attempts, now); err != nil {
			// Remembered, so this process records it later instead of
			// sending it again; only a restart meanwhile can repeat it.
			n.unrecordedSent(m.ID, now)
			log.Error().Err(err).Msg("email notice sent but not yet recorded as sent; recording it again later")
			return
		}
		metrics.NoticeSent()
		log.Debug().Msg("email notice sent")
	case attempts >= n.opts.MaxAttempts:
		metrics.NoticeAttemptFailed()
		metrics.NoticeGaveUp()
		if err := n.outbox.markFailed(record, m.ID, attempts, err.Error()); err != nil {
			log.Error().Err(err).Msg("notifications: cannot record a failed notice")
		}
		log.Error().Err(err).Msg("email notice failed; giving up after the maximum number of attempts")
	default:
		metrics.NoticeAttemptFailed()
		wait := backoff(n.opts.RetryBackoff, attempts)
		if err := n.outbox.markRetry(record, m.ID, attempts, now.Add(wait), err.Error()); err != nil {
			log.Error().Err(err).Msg("notifications: cannot record a failed attempt")
		}
		log.Warn().Err(err).Dur("retry_in", wait).Msg("email notice not sent; will retry")
	}
}

// backoff returns the wait after the attempts-th failed attempt: base,
// then doubling, capped at maxBackoff (or base if that is longer).
func backoff(base time.Duration, attempts int) time.Duration {
	limit := max(maxBackoff, base)
	d := base
	for i := 1; i < attempts && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// unrecordedSent remembers a notice sent at at whose sending the outbox
// could not record.
func (n *Notifier) unrecordedSent(id string, at time.Time) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.sentUnrecorded == nil {
		n.sentUnrecorded = map[string]time.Time{}
	}
	n.sentUnrecorded[id] = at
}

// unrecorded says whether id was sent but not recorded, and when.
func (n *Notifier) unrecorded(id string) (time.Time, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	at, ok := n.sentUnrecorded[id]
	return at, ok
}

// recorded forgets id once the outbox has recorded it as sent.
func (n *Notifier) recorded(id string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.sentUnrecorded, id)
}
