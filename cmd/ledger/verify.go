package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/referral-ledger/ledger/config"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/sqlite"
	"github.com/referral-ledger/ledger/logging"
)

// eventsFile is the event log's file name inside the data directory.
const eventsFile = "events.db"

func loadConfig(configFile string) (config.Config, error) {
	cfg, err := config.Load(config.LoadOptions{ConfigFile: configFile})
	if err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

// loadConfigAndLog loads the configuration and builds the logger it asks
// for, writing to stderr (console output when stderr is a terminal and the
// format is auto).
func loadConfigAndLog(configFile string, stderr io.Writer) (config.Config, zerolog.Logger, error) {
	cfg, err := loadConfig(configFile)
	if err != nil {
		return cfg, zerolog.Nop(), err
	}
	isTerm := false
	if f, ok := stderr.(*os.File); ok {
		isTerm = logging.IsTerminal(f)
	}
	log, err := logging.New(stderr, cfg.Log.Level, string(cfg.Log.Format), isTerm)
	return cfg, log, err
}

// verifyCommand recomputes every hash chain offline (R-LEDGER-4). It exits
// 0 when all hold, 2 naming the first broken event otherwise.
func verifyCommand(configFile *string, stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "verify",
		Short: "Recompute every hash chain in the data directory and report the first broken link",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(*configFile)
			if err != nil {
				return err
			}
			if cfg.Store == config.StoreKurrentDB {
				return verifyThroughStore(cmd, cfg, stdout)
			}
			return verifyFile(cmd, cfg, stdout)
		},
	}
}

// verifyFile verifies the embedded log read-only, beside a running server
// or not, creating and changing no file (R-OPS-2).
func verifyFile(cmd *cobra.Command, cfg config.Config, stdout io.Writer) (err error) {
	r, err := openReader(cfg)
	if err != nil {
		return err
	}
	defer closeInto(&err, r)
	f, err := r.SQLite(eventsFile)
	if err != nil {
		return noFile(r, eventsFile, "ledger", err)
	}
	if emptyLog(f.Path) {
		// Cut to nothing: SQLite would read it as a new, empty database.
		return reportVerify(stdout, eventstore.VerifyReport{},
			&sqlite.DamagedError{Cause: errors.New("the file is empty: the log was cut to nothing")}, true)
	}
	var opts []sqlite.Option
	if f.Immutable {
		opts = append(opts, sqlite.WithImmutable())
	}
	rep, err := sqlite.Verify(cmd.Context(), f.Path, opts...)
	if err == nil {
		// The chains hold; SQLite's own check then finds damage the
		// events do not show: an index out of step with its table (the
		// one that keeps an event from being stored twice), the Merkle
		// tree's tables (R-OPS-4).
		err = sqlite.CheckIntegrity(cmd.Context(), f.Path, opts...)
	}
	if err == nil {
		// The Merkle tree checkpoints are signed from must cover the
		// events as they are: an event rewritten with its chain
		// recomputed, or events cut from the end, leave it behind
		// (R-AUD-1, R-AUD-2).
		err = sqlite.CheckTree(cmd.Context(), f.Path, opts...)
	}
	return reportVerify(stdout, eventstore.VerifyReport{Events: rep.Events, Streams: rep.Streams, Last: rep.Last},
		err, fileDamaged(err))
}

// fileDamaged reports whether err says the embedded ledger file itself is
// truncated or garbled.
func fileDamaged(err error) bool {
	var truncated *sqlite.TruncatedError
	var damaged *sqlite.DamagedError
	var integrity *sqlite.IntegrityError
	var tree *sqlite.TreeError
	return errors.As(err, &truncated) || errors.As(err, &damaged) || errors.As(err, &integrity) || errors.As(err, &tree)
}

// verifyThroughStore recomputes every chain by reading a backend other than
// the embedded file (KurrentDB) through the Store interface.
func verifyThroughStore(cmd *cobra.Command, cfg config.Config, stdout io.Writer) error {
	store, err := openEventStore(cfg, zerolog.Nop())
	if err != nil {
		return err
	}
	defer store.Close()
	rep, err := eventstore.VerifyAll(cmd.Context(), store)
	return reportVerify(stdout, rep, err, false)
}

// reportVerify prints a verification's outcome: OK with its counts, or
// BROKEN, exit 2, when a chain breaks or (damaged) the file itself is
// truncated or garbled; any other error is returned as it is.
func reportVerify(stdout io.Writer, rep eventstore.VerifyReport, err error, damaged bool) error {
	var broken *eventstore.BrokenLinkError
	switch {
	case errors.As(err, &broken), err != nil && damaged:
		fmt.Fprintf(stdout, "BROKEN after %d good events: %v\n", rep.Events, err)
		return &exitError{code: 2, err: fmt.Errorf("ledger does not verify: %w", err)}
	case err != nil:
		return err
	}
	fmt.Fprintf(stdout, "OK: %d events in %d streams verify (last position %d)\n", rep.Events, rep.Streams, rep.Last)
	return nil
}
