package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/referral-ledger/ledger/config"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/projections"
	"github.com/referral-ledger/ledger/worker"
)

// retentionCommand lists, or carries out, the shredding of clients whose
// retention period has passed since their last referral closed (R-PRIV-5).
func retentionCommand(configFile *string, stdout io.Writer) *cobra.Command {
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "retention",
		Short: "Shred clients whose retention period has passed (--dry-run lists them and when each is due)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(*configFile)
			if err != nil {
				return err
			}
			if dryRun {
				return retentionDryRun(cmd.Context(), cfg, stdout)
			}
			return withCaughtUpApp(cmd.Context(), cfg, zerolog.Nop(), func(ctx context.Context, a *app) error {
				n, err := a.runRetention(ctx)
				fmt.Fprintf(stdout, "shredded %d clients\n", n)
				return err
			})
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "list the clients the retention rule applies to, and when, without shredding")
	return cmd
}

// retentionDryRun lists every client none of whose referrals is open,
// with when the retention rule shreds them (R-PRIV-5). It only reads, so
// it runs beside a running server or not, and creates and changes no file
// in the data directory (R-OPS-2): it opens the event log read-only, as
// `ledger history` does, and replays the log's public part into an index
// of clients of its own, in memory. It reads no key.
func retentionDryRun(ctx context.Context, cfg config.Config, stdout io.Writer) (err error) {
	var store eventstore.Store
	if cfg.Store == config.StoreSQLite {
		r, err := openReader(cfg)
		if err != nil {
			return err
		}
		defer closeInto(&err, r)
		if store, err = openEventsReadOnly(r); err != nil {
			return err
		}
	} else if store, err = openEventStore(cfg, zerolog.Nop()); err != nil {
		return err
	}
	defer store.Close()
	locks := projections.NewLocks()
	clients, err := replayClients(ctx, store, locks)
	if err != nil {
		return err
	}
	now := time.Now()
	due, err := clients.Due(now, cfg.Privacy.Retention, true)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "retention period %s; %d clients have every referral closed\n", cfg.Privacy.Retention, len(due))
	for _, d := range due {
		when := "due now"
		switch {
		case locks.LockOf(d.ClientID).HoldsForReview():
			when = "kept for a serious case review until it is recorded complete"
		case d.Due.After(now):
			when = "in " + d.Due.Sub(now).Round(time.Hour).String()
		}
		fmt.Fprintf(stdout, "%s\tlast closed %s\tshred on %s (%s)\n", d.ClientID,
			d.LastClosed.UTC().Format(time.RFC3339), d.Due.UTC().Format(time.RFC3339), when)
	}
	return nil
}

// runRetention shreds every client due now.
func (a *app) runRetention(ctx context.Context) (int, error) {
	due, err := a.clients.Due(a.service.Now(), a.cfg.Privacy.Retention, false)
	if err != nil {
		return 0, err
	}
	ids := make([]uuidT, len(due))
	for i, d := range due {
		ids[i] = d.ClientID
	}
	return a.service.ShredAll(ctx, ids, a.keyring)
}

// The background jobs' names, as /readyz reports them.
const (
	workerNotices   = "email notices"
	workerRetention = "retention"
	workerAuditTree = "audit tree"
)

// retentionLoop runs the retention rule at start and then every interval
// until ctx ends. A run that fails is retried with backoff rather than an
// interval later, and /readyz names it until a run succeeds (R-OPS-4).
func (a *app) retentionLoop(ctx context.Context, interval time.Duration) {
	a.health.Run(ctx, a.log, workerRetention, worker.DefaultBackoff, func(ctx context.Context, healthy func()) error {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			n, err := a.runRetention(ctx)
			if err != nil {
				return fmt.Errorf("retention: shredding failed: %w", err)
			}
			healthy()
			if n > 0 {
				a.log.Info().Int("clients", n).Msg("retention: shredded clients past their retention period")
			}
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
		}
	})
}

// withCaughtUpApp opens the node's stores, builds the projections up to
// the end of the log, runs fn, and closes everything.
func withCaughtUpApp(ctx context.Context, cfg configT, log zerolog.Logger, fn func(context.Context, *app) error) error {
	if err := requireLedger(cfg); err != nil {
		return err
	}
	a, err := openApp(cfg, log)
	if err != nil {
		return err
	}
	defer a.close()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.runner.Run(runCtx) }()
	defer func() {
		stop()
		<-done
	}()
	if err := a.waitReady(ctx); err != nil {
		return err
	}
	return fn(ctx, a)
}
