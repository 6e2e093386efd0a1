package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/config"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/sqlite"
)

// startupProgressEvery is how often a start that is still building its
// views says how far it has got.
const startupProgressEvery = 5 * time.Second

// headReader is the part of the event store the start-up wait reads.
type headReader interface {
	Head(ctx context.Context) (eventstore.Position, error)
}

// catchingUp is the part of the projection runner the start-up wait needs.
type catchingUp interface {
	Position() eventstore.Position
	WaitFor(ctx context.Context, pos eventstore.Position) error
}

// catchUp waits until the views have applied every event the store held
// when it was called, logging progress at every tick. It has no time limit
// of its own: a large log takes as long as it takes, and only ctx (a
// SIGTERM) or a failing runner ends the wait early. eventPositions says
// positions count events (the embedded store) rather than bytes
// (KurrentDB), so progress can be given in events.
func catchUp(ctx context.Context, store headReader, runner catchingUp, ticks <-chan time.Time,
	eventPositions bool, log zerolog.Logger) error {
	head, err := store.Head(ctx)
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	waitCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() { done <- runner.WaitFor(waitCtx, head) }()
	for {
		select {
		case err := <-done:
			if err == nil && head > 0 {
				logProgress(log.Info(), runner.Position(), head, eventPositions).Msg("views built")
			}
			return err
		case <-ticks:
			logProgress(log.Info(), runner.Position(), head, eventPositions).Msg("building the views")
		}
	}
}

func logProgress(ev *zerolog.Event, pos, head eventstore.Position, eventPositions bool) *zerolog.Event {
	if pos > head {
		pos = head
	}
	if eventPositions {
		ev = ev.Uint64("events_replayed", uint64(pos)).Uint64("events_total", uint64(head))
	} else {
		ev = ev.Uint64("position", uint64(pos)).Uint64("head", uint64(head))
	}
	if head > 0 {
		ev = ev.Int("percent", int(uint64(pos)*100/uint64(head)))
	}
	return ev
}

// unreadableEvent explains a start-up replay that stopped after applying
// every event up to last: the next could not be read, decoded or verified
// (R-OPS-4). The cause names no client data: the views never decrypt.
func unreadableEvent(last eventstore.Position, cause error) error {
	return fmt.Errorf("the views hold every event up to position %d and the next cannot be replayed: %w. "+
		"Run `ledger verify`: if it reports the log BROKEN, restore events.db from a backup (ledger restore); "+
		"if it reports OK, the log was written by a newer version of ledger than this one (ledger version)", last, cause)
}

// verifyLog recomputes every hash chain of the log as it stands at the
// start (R-LEDGER-4), as `ledger verify` does, so a changed, garbled or
// truncated events.db stops the start naming the first bad position
// (R-OPS-4) even when the views resume from their checkpoint and read
// none of the old events. It reads through its own read-only connection
// and runs beside the views' catch-up.
func (a *app) verifyLog(ctx context.Context) error {
	var err error
	if a.cfg.Store == config.StoreKurrentDB {
		_, err = eventstore.VerifyAll(ctx, a.store)
	} else {
		_, err = sqlite.Verify(ctx, filepath.Join(a.cfg.DataDir, eventsFile))
	}
	var broken *eventstore.BrokenLinkError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &broken), fileDamaged(err):
		return fmt.Errorf("the event log does not verify: %w. Run `ledger verify` for the report, "+
			"and restore events.db from a backup (ledger restore)", err)
	case ctx.Err() != nil:
		return ctx.Err()
	default:
		return fmt.Errorf("verifying the event log: %w", err)
	}
}
