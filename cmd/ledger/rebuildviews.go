package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/referral-ledger/ledger/projections"
)

// rebuildViewsCommand drops the persistent views (views.db, damaged or
// not) and rebuilds them from the whole event log (R-VIEW-5), offline: it takes the data
// directory's lock, so it refuses while the server runs on it (R-OPS-2).
func rebuildViewsCommand(configFile *string, stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "rebuild-views",
		Short: "Drop the views (views.db) and rebuild them from the event log; the server must be stopped",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(*configFile)
			if err != nil {
				return err
			}
			// The directory and its log must exist already; openApp
			// takes its lock and holds it until the views are rebuilt.
			if err := requireLedger(cfg); err != nil {
				return err
			}
			lock, err := lockExistingDataDir(cfg.DataDir)
			if err != nil {
				return err
			}
			// Refused before the views go, as openApp would refuse it.
			if err := leftoverKeyStore(cfg); err != nil {
				_ = lock.Release()
				return err
			}
			// The views are derived from the log: the file goes whole, so
			// that a damaged views.db, which would not even open, is
			// rebuilt too (R-OPS-4).
			if err := removeDatabase(cfg.DataDir, projections.ViewsFile); err != nil {
				_ = lock.Release()
				return fmt.Errorf("views: %w", err)
			}
			if err := lock.Release(); err != nil {
				return err
			}
			return rebuildViews(cmd.Context(), cfg, stdout)
		},
	}
}

func rebuildViews(ctx context.Context, cfg configT, stdout io.Writer) error {
	a, err := openApp(cfg, zerolog.Nop())
	if err != nil {
		return err
	}
	defer a.close()
	if err := a.runner.ResetViews(ctx); err != nil {
		return fmt.Errorf("views: %w", err)
	}
	head, err := a.store.Head(ctx)
	if err != nil {
		return err
	}
	start := time.Now()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.runner.Run(runCtx) }()
	err = a.runner.WaitFor(ctx, head)
	stop()
	<-done
	if err != nil {
		return fmt.Errorf("views: %w", err)
	}
	took := time.Since(start)
	rate := 0.0
	if took > 0 {
		rate = float64(head) / took.Seconds()
	}
	_, err = fmt.Fprintf(stdout, "rebuilt the views from the start of the log to position %d in %s (%.0f positions/s)\n",
		head, took.Round(time.Millisecond), rate)
	return err
}
