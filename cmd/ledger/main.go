// Command ledger is the referral ledger's one binary: it serves the HTTP API
// and runs the offline tools (verify, history) on a data directory.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "ledger:", err)
		os.Exit(exitCode(err))
	}
}

// exitError carries a process exit code other than 1.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func exitCode(err error) int {
	if e, ok := err.(*exitError); ok {
		return e.code
	}
	return 1
}

// run executes the command line args; end-to-end tests call it directly.
// It returns when the command is done or, for serve, when ctx ends.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var configFile string
	root := &cobra.Command{
		Use:           "ledger",
		Short:         "Referral ledger: consented client referrals between organisations, on a hash-chained event log",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&configFile, "config", "", "path to ledger.yaml (default: ./ledger.yaml if present, or $LEDGER_CONFIG)")
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(
		serveCommand(&configFile, stdout, stderr),
		verifyCommand(&configFile, stdout),
		historyCommand(&configFile, stdout),
		retentionCommand(&configFile, stdout),
		calendarCommand(&configFile, stdout),
		migrateCommand(&configFile, stdout),
		rotateKeyCommand(&configFile, stdout),
		&cobra.Command{
			Use:   "version",
			Short: "Print the version",
			Args:  cobra.NoArgs,
			RunE: func(*cobra.Command, []string) error {
				_, err := fmt.Fprintln(stdout, "ledger", version)
				return err
			},
		},
	)
	return root.ExecuteContext(ctx)
}
