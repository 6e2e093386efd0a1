package notify

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"
)

// Turn lets the notifiers of several nodes that derive the same notices
// from one event log take turns at sending them (R-OPS-2): only the node
// holding the turn sends, so each notice goes out once, not once per node.
// notify/postgres implements it with a PostgreSQL advisory lock and a
// shared record of the notices settled. A Notifier without one sends every
// notice it derives (a node on its own).
type Turn interface {
	// Node is the name this node goes by in the logs.
	Node() string
	// Take takes the turn if no node holds it, and reports whether this
	// node holds it now; while it does, Take checks that it still does.
	// An error means it does not hold it.
	Take(ctx context.Context) (bool, error)
	// Holder names the node holding the turn, "" if none (or unknown).
	Holder(ctx context.Context) (string, error)
	// Settled returns, of ids, those the holder recorded as sent and
	// those it recorded as given up.
	Settled(ctx context.Context, ids []string) (sent, failed []string, err error)
	// Settle records, while this node holds the turn, that it sent the
	// notice id (or gave it up, when failed); an error means the turn
	// may have been lost.
	Settle(ctx context.Context, id string, failed bool, at time.Time) error
	// Purge forgets the notices settled before before (the holder only).
	Purge(ctx context.Context, before time.Time) error
	// Release gives the turn up; Close also ends the connection.
	Release(ctx context.Context) error
	Close() error
}

// DefaultTurnRetry is how often a node without the turn tries to take it,
// and how often the holder checks it still holds it while idle: after the
// holder stops or dies, another node sends within about this long (plus,
// for a holder that died, the time PostgreSQL takes to end its session).
const DefaultTurnRetry = 10 * time.Second

// reconcileBatch is how many pending notices a node without the turn looks
// up at a time in the record of notices settled.
const reconcileBatch = 500

// errTurnLost ends delivery when this node no longer holds the turn.
var errTurnLost = errors.New("this node no longer holds the turn to send email notices")

// Sending reports whether this node sends the notices now: it holds the
// turn, or it has no turn to share (it sends alone).
func (n *Notifier) Sending() bool { return n.sending.Load() }

// deliverInTurn runs the delivery loop while this node holds the turn, and
// otherwise, every TurnRetry, tries to take it and marks in the outbox the
// notices the holder has settled, so that taking over later sends none of
// them again. It gives the turn up when ctx ends.
func (n *Notifier) deliverInTurn(ctx context.Context) {
	defer func() {
		stop, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := n.turn.Release(stop); err != nil {
			n.log.Warn().Err(err).Msg("could not give up the turn to send email notices; PostgreSQL ends it with this node's session")
		}
	}()
	var lastHolder string // the holder last logged
	var unreachable bool  // a failure to reach the database is logged
	for ctx.Err() == nil {
		held, err := n.turn.Take(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return
		case err != nil:
			if !unreachable {
				n.log.Warn().Err(err).Str("node", n.turn.Node()).
					Msg("cannot take the turn to send email notices: this node sends none until it can, and keeps deriving them")
			}
			unreachable, lastHolder = true, ""
		case held:
			unreachable, lastHolder = false, ""
			n.sending.Store(true)
			n.log.Info().Str("node", n.turn.Node()).Msg("this node now sends the email notices (it holds the turn)")
			if err := n.turn.Purge(ctx, n.clock.Now().Add(-keepFinished)); err != nil {
				n.log.Warn().Err(err).Msg("could not purge old records of notices sent")
			}
			err := n.deliverWhile(ctx)
			n.sending.Store(false)
			if ctx.Err() != nil {
				n.log.Info().Str("node", n.turn.Node()).
					Msg("this node stops sending email notices (it is stopping); another node takes the turn over")
				return
			}
			n.log.Warn().Err(err).Str("node", n.turn.Node()).
				Msg("this node stopped sending email notices: it lost the turn; it keeps deriving them and tries again")
		default:
			if unreachable {
				n.log.Info().Msg("the turn to send email notices can be checked again")
			}
			unreachable = false
			if holder, err := n.turn.Holder(ctx); err == nil {
				if holder == "" {
					holder = "unknown"
				}
				if holder != lastHolder {
					n.log.Info().Str("node", n.turn.Node()).Str("sender", holder).
						Msg("another node sends the email notices; this node derives them and takes over if that node stops")
					lastHolder = holder
				}
			}
			if err := n.reconcile(ctx); err != nil && ctx.Err() == nil {
				n.log.Warn().Err(err).Msg("could not mark the notices another node sent")
			}
		}
		select {
		case <-ctx.Done():
		case <-n.clock.After(n.turnRetry()):
		}
	}
}

func (n *Notifier) turnRetry() time.Duration {
	if n.opts.TurnRetry > 0 {
		return n.opts.TurnRetry
	}
	return DefaultTurnRetry
}

// reconcile marks in the outbox, as the holder recorded them, the pending
// notices the holder has sent or given up.
func (n *Notifier) reconcile(ctx context.Context) error {
	var after int64
	for {
		ids, last, err := n.outbox.pendingAfter(ctx, after, reconcileBatch)
		if err != nil || len(ids) == 0 {
			return err
		}
		if _, turnErr, storeErr := n.settledElsewhere(ctx, ids); turnErr != nil || storeErr != nil {
			return errors.Join(turnErr, storeErr)
		}
		if len(ids) < reconcileBatch {
			return nil
		}
		after = last
	}
}

// settledElsewhere marks those of ids the turn's record says were sent or
// given up, and returns them. A failure to read the record is returned as
// turnErr, one to write the outbox as storeErr.
func (n *Notifier) settledElsewhere(ctx context.Context, ids []string) (done map[string]bool, turnErr, storeErr error) {
	sent, failed, err := n.turn.Settled(ctx, ids)
	if err != nil {
		return nil, err, nil
	}
	done = make(map[string]bool, len(sent)+len(failed))
	now := n.clock.Now()
	for status, ids := range map[string][]string{statusSent: sent, statusFailed: failed} {
		for _, id := range ids {
			if err := n.outbox.markSettled(ctx, id, status, now); err != nil {
				return nil, nil, fmt.Errorf("notifications: %w", err)
			}
			done[id] = true
		}
	}
	return done, nil, nil
}

// leftUnsettled remembers that this node sent the notice id (or gave it
// up, when failed) but could not record it in the turn's record.
func (n *Notifier) leftUnsettled(id string, failed bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.unsettled == nil {
		n.unsettled = map[string]bool{}
	}
	n.unsettled[id] = failed
}

// settleLeftOver records, holding the turn again, the notices this node
// settled while the record of them failed: otherwise whichever node took
// the turn over later, however much later, would send them again
// (R-NOTE-3). An error means the turn may be lost; those not recorded
// are kept for the next time.
func (n *Notifier) settleLeftOver(ctx context.Context) error {
	n.mu.Lock()
	left := maps.Clone(n.unsettled)
	n.mu.Unlock()
	for id, failed := range left {
		settle, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeRetry)
		err := n.turn.Settle(settle, id, failed, n.clock.Now())
		cancel()
		if err != nil {
			return err
		}
		n.mu.Lock()
		delete(n.unsettled, id)
		n.mu.Unlock()
	}
	return nil
}
