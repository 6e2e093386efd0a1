package notify

import (
	"context"
	"errors"
	"slices"
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
// due or new ones are enqueued; with a turn to share, only while this node
// holds it.
func (n *Notifier) deliver(ctx context.Context) {
	if n.turn != nil {
		n.deliverInTurn(ctx)
		return
	}
	n.sending.Store(true)
	defer n.sending.Store(false)
	_ = n.deliverWhile(ctx)
}

// deliverWhile sends due notices until ctx ends, or, with a turn, until
// this node no longer holds it, which it returns as an error. Each batch
// of due notices is first looked up in the turn's record: one sent or
// given up while another node held the turn is marked so, not sent again.
func (n *Notifier) deliverWhile(ctx context.Context) error {
	for ctx.Err() == nil {
		if n.turn != nil {
			if held, err := n.turn.Take(ctx); !held {
				return errors.Join(errTurnLost, err)
			}
			// Those this node settled while the record of them failed
			// are recorded first, before the turn is lost again.
			if err := n.settleLeftOver(ctx); err != nil {
				return errors.Join(errTurnLost, err)
			}
		}
		batch, err := n.outbox.due(ctx, n.clock.Now(), deliveryBatch)
		if err != nil {
			if ctx.Err() == nil {
				n.log.Error().Err(err).Msg("notifications: cannot read the outbox")
			}
			n.sleep(ctx, n.clock.After(storeRetry), nil)
			continue
		}
		full := len(batch) == deliveryBatch
		if n.turn != nil && len(batch) > 0 {
			// A notice rerouted from one the holder settled (sent before
			// the holder read the closure that rerouted it here) is not
			// sent either.
			ids := make([]string, 0, len(batch))
			for _, m := range batch {
				ids = append(ids, m.ID)
				if m.ReroutedFrom != "" {
					ids = append(ids, m.ReroutedFrom)
				}
			}
			done, turnErr, storeErr := n.settledElsewhere(ctx, ids)
			if turnErr != nil {
				return errors.Join(errTurnLost, turnErr)
			}
			if storeErr != nil {
				if ctx.Err() == nil {
					n.log.Error().Err(storeErr).Msg("notifications: cannot mark the notices another node sent")
				}
				n.sleep(ctx, n.clock.After(storeRetry), nil)
				continue
			}
			for _, m := range batch {
				if !done[m.ID] && done[m.ReroutedFrom] {
					if storeErr = n.outbox.cancelRerouted(ctx, m.ReroutedFrom); storeErr != nil {
						break
					}
				}
			}
			if storeErr != nil {
				if ctx.Err() == nil {
					n.log.Error().Err(storeErr).Msg("notifications: cannot mark the notices another node sent")
				}
				n.sleep(ctx, n.clock.After(storeRetry), nil)
				continue
			}
			batch = slices.DeleteFunc(batch, func(m notice) bool { return done[m.ID] || done[m.ReroutedFrom] })
		}
		var readErr error
		for _, m := range batch {
			if ctx.Err() != nil {
				break
			}
			// Read again as it is now: sending those before it may have
			// taken long (a slow mail server), and events read meanwhile
			// may have readdressed, rerouted or cancelled it (R-NOTE-1,
			// R-LOCK-12).
			m, ok, err := n.outbox.pending(ctx, m.ID)
			if err != nil {
				readErr = err
				break
			}
			if !ok {
				continue
			}
			s, outcome := n.deliverOne(ctx, m)
			if outcome == attemptSent {
				// Recorded before the next is sent: a crash repeats at
				// most the one notice in flight (R-NOTE-3).
				n.recordSent(ctx, s)
			}
			if n.turn != nil && outcome != attemptRetry {
				// Recorded for the next holder too, on the turn's own
				// connection: an error means the turn may be lost.
				settle, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeRetry)
				err := n.turn.Settle(settle, m.ID, outcome == attemptFailed, n.clock.Now())
				cancel()
				if err != nil {
					// Sent (or given up) all the same: recorded when this
					// node holds the turn again, or else sent again by the
					// next holder, as the notice in flight at a crash is.
					n.leftUnsettled(m.ID, outcome == attemptFailed)
					return errors.Join(errTurnLost, err)
				}
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if readErr != nil {
			n.log.Error().Err(readErr).Msg("notifications: cannot read the outbox")
			n.sleep(ctx, n.clock.After(storeRetry), nil)
			continue
		}
		if full {
			continue
		}
		var timer <-chan time.Time
		switch at, ok, err := n.outbox.nextDue(ctx); {
		case err != nil:
			timer = n.clock.After(storeRetry)
		case ok:
			// Looked at again within digestRecheck, as the digest is: a
			// timer counts elapsed time, so after the host slept, one
			// set for the whole wait would send the notice that much
			// late.
			timer = n.clock.After(min(at.Sub(n.clock.Now()), digestRecheck))
		}
		var check <-chan time.Time
		if n.turn != nil {
			// Idle, the holder checks now and then that it still
			// holds the turn, so it says so truly.
			check = n.clock.After(n.turnRetry())
		}
		n.sleep(ctx, timer, check)
	}
	return ctx.Err()
}

// sleep waits for timer or check (either may be nil), new notices or the
// end of ctx.
func (n *Notifier) sleep(ctx context.Context, timer, check <-chan time.Time) {
	select {
	case <-ctx.Done():
	case <-n.wake:
	case <-timer:
	case <-check:
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

// The outcomes of an attempt to send a notice.
type attemptOutcome int

const (
	attemptRetry  attemptOutcome = iota // not sent; it stays due (or is retried later)
	attemptSent                         // sent, or sent before
	attemptFailed                       // given up for good
)

// deliverOne sends one notice and records the outcome of a failed attempt;
// a notice sent is returned, for recordSent to record before the next one
// is sent. Only a crash before that record can send it again (at least
// once, R-NOTE-3).
func (n *Notifier) deliverOne(ctx context.Context, m notice) (sentNotice, attemptOutcome) {
	if at, ok := n.unrecorded(m.ID); ok {
		// Sent before, but the outbox could not record it (a full disk):
		// record it now instead of sending it again (R-OPS-4).
		return sentNotice{notice: m, attempts: m.Attempts + 1, at: at, before: true}, attemptSent
	}
	err := n.sender.Send(ctx, m.Message)
	if err != nil && ctx.Err() != nil {
		return sentNotice{}, attemptRetry // stopping: not the notice's fault, and it stays due
	}
	attempts := m.Attempts + 1
	now := n.clock.Now()
	if err == nil {
		return sentNotice{notice: m, attempts: attempts, at: now}, attemptSent
	}
	record := context.WithoutCancel(ctx)
	log := n.log.With().Str("notice_id", m.ID).Str("kind", string(m.Kind)).Str("reference", m.Reference).
		Int("attempt", attempts).Logger()
	refusals := m.Refusals
	if refusedForGood(err) {
		refusals++
	}
	log = log.With().Int("refusals", refusals).Logger()
	switch {
	case refusals >= n.opts.MaxAttempts:
		metrics.NoticeAttemptFailed()
		metrics.NoticeGaveUp()
		if err := n.outbox.markFailed(record, m.ID, attempts, refusals, err.Error()); err != nil {
			log.Error().Err(err).Msg("notifications: cannot record a failed notice")
		}
		log.Error().Err(err).Msg("email notice failed; giving up after the maximum number of attempts")
		return sentNotice{}, attemptFailed
	default:
		metrics.NoticeAttemptFailed()
		wait := backoff(n.opts.RetryBackoff, attempts)
		if err := n.outbox.markRetry(record, m.ID, attempts, refusals, now.Add(wait), err.Error()); err != nil {
			log.Error().Err(err).Msg("notifications: cannot record a failed attempt")
		}
		log.Warn().Err(err).Dur("retry_in", wait).Msg("email notice not sent; will retry")
	}
	return sentNotice{}, attemptRetry
}

// refusedForGood reports whether err is the mail server's permanent
// refusal of this notice (a 5xx answer, such as an unknown recipient),
// the only failure that counts towards giving it up: after MaxAttempts
// of them, however many deferrals came before or between. A temporary answer
// (4xx), a server that cannot be reached or signed in to, or any other
// failure says nothing about the notice: it is retried, at most an hour
// apart, until the server takes it, so an outage loses no notice
// (R-NOTE-3: each notice is sent at least once). A refusal of the sender
// (MAIL FROM, such as 530 "authentication required" from a server that
// wants a sign-in) refuses every notice alike: it is the server's or its
// configuration's, and retried like an outage.
func refusedForGood(err error) bool {
	var se *gomail.SendError
	if !errors.As(err, &se) || se.IsTemp() {
		return false
	}
	switch se.Reason {
	case gomail.ErrSMTPRcptTo, gomail.ErrSMTPData, gomail.ErrSMTPDataClose, gomail.ErrWriteContent:
	default:
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
