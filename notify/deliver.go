package notify

import (
	"context"
	"errors"
	"time"

	gomail "github.com/wneessen/go-mail"

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
				break
			}
			if s, ok := n.deliverOne(ctx, m); ok {
				// Recorded before the next is sent: a crash repeats at
				// most the one notice in flight (R-NOTE-3).
				n.recordSent(ctx, s)
			}
		}
		if ctx.Err() != nil {
			return
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

// sentNotice is a notice sent (or sent before) whose sending is yet to be
// recorded.
type sentNotice struct {
	notice
	attempts int
	at       time.Time
	before   bool // sent by an earlier attempt whose recording failed
}

// deliverOne sends one notice and records the outcome of a failed attempt;
// a notice sent is returned, for recordSent to record before the next one
// is sent. Only a crash before that record can send it again (at least
// once, R-NOTE-3).
func (n *Notifier) deliverOne(ctx context.Context, m notice) (sentNotice, bool) {
	if at, ok := n.unrecorded(m.ID); ok {
		// Sent before, but the outbox could not record it (a full disk):
		// record it now instead of sending it again (R-OPS-4).
		return sentNotice{notice: m, attempts: m.Attempts + 1, at: at, before: true}, true
	}
	err := n.sender.Send(ctx, m.Message)
	if err != nil && ctx.Err() != nil {
		return sentNotice{}, false // stopping: not the notice's fault, and it stays due
	}
	attempts := m.Attempts + 1
	now := n.clock.Now()
	if err == nil {
		return sentNotice{notice: m, attempts: attempts, at: now}, true
	}
	record := context.WithoutCancel(ctx)
	log := n.log.With().Str("notice_id", m.ID).Str("kind", string(m.Kind)).Str("reference", m.Reference).
		Int("attempt", attempts).Logger()
	switch {
	case attempts >= n.opts.MaxAttempts && refusedForGood(err):
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
	return sentNotice{}, false
}

// refusedForGood reports whether err is the mail server's permanent
// refusal of this notice (a 5xx answer, such as an unknown recipient),
// the only failure that counts towards giving it up. A temporary answer
// (4xx), a server that cannot be reached or signed in to, or any other
// failure says nothing about the notice: it is retried, at most an hour
// apart, until the server takes it, so an outage loses no notice
// (R-NOTE-3: each notice is sent at least once).
func refusedForGood(err error) bool {
	var se *gomail.SendError
	if !errors.As(err, &se) || se.IsTemp() {
		return false
	}
	code := se.ErrorCode()
	return code >= 500 && code < 600
}

// recordSent records a notice as sent, in a transaction of its own: one
// small write (and fsync) per notice, next to an SMTP exchange per notice,
// so that a crash can repeat only the notice sent since the last record,
// never a batch of them (R-NOTE-3). It records it even when ctx has just
// ended, so a notice that was sent is not sent again by the next Run. When
// the outbox cannot record it, it is remembered, so this process records
// it later instead of sending it again; only a restart meanwhile can
// repeat it.
func (n *Notifier) recordSent(ctx context.Context, s sentNotice) {
	if err := n.outbox.markSent(context.WithoutCancel(ctx), s); err != nil {
		if !s.before { // else still remembered
			n.unrecordedSent(s.ID, s.at)
			n.log.Error().Err(err).Str("notice_id", s.ID).Str("kind", string(s.Kind)).Str("reference", s.Reference).
				Int("attempt", s.attempts).Msg("email notice sent but not yet recorded as sent; recording it again later")
		}
		return
	}
	if s.before {
		n.recorded(s.ID)
		return
	}
	metrics.NoticeSent()
	if e := n.log.Debug(); e.Enabled() {
		e.Str("notice_id", s.ID).Str("kind", string(s.Kind)).Str("reference", s.Reference).
			Int("attempt", s.attempts).Msg("email notice sent")
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
