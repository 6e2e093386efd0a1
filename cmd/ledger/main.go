// Command ledger is the referral ledger's one binary: it serves the HTTP API
// and runs the offline tools (verify, history) on a data directory.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/referral-ledger/ledger/config"
)

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
	var strictConfig bool
	stopHangup := func() {}
	defer func() { stopHangup() }()
	root := &cobra.Command{
		Use:           "ledger",
		Short:         "Referral ledger: consented client referrals between organisations, on a hash-chained event log",
		Version:       versionLine(),
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Name() != "serve" {
				// A tool whose output is cut short (`ledger history ID |
				// head`) gets an error from its write instead of dying of
				// SIGPIPE, so its deferred clean-up runs: that removes the
				// private copies of a crashed data directory's files it
				// may have made, the key store's among them (R-PRIV-4).
				signal.Ignore(syscall.SIGPIPE)
				// One whose terminal closes stops as on Ctrl-C, clean-up
				// included, unless started to ignore hangups (nohup).
				if !signal.Ignored(syscall.SIGHUP) {
					ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGHUP)
					stopHangup = stop
					cmd.SetContext(ctx)
				}
			}
			return checkEnv(cmd, strictConfig, stderr)
		},
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.PersistentFlags().StringVar(&configFile, "config", "", "path to ledger.yaml (default: ./ledger.yaml if present, or $LEDGER_CONFIG)")
	root.PersistentFlags().BoolVar(&strictConfig, "strict-config", false,
		"refuse to run when a LEDGER_ environment variable names no setting (default: warn)")
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
		backupCommand(&configFile, stdout),
		restoreCommand(&configFile, stdout),
		rebuildViewsCommand(&configFile, stdout),
		adminCommand(&configFile, stdout, stderr),
		auditCommand(&configFile, stdout),
		&cobra.Command{
			Use:   "version",
			Short: "Print the version",
			Args:  cobra.NoArgs,
			RunE: func(*cobra.Command, []string) error {
				_, err := fmt.Fprintln(stdout, versionLine())
				return err
			},
		},
	)
	return root.ExecuteContext(ctx)
}

// checkEnv reports every LEDGER_ environment variable that names no
// setting, with the nearest real name: an error with --strict-config, else
// a warning. serve logs its warnings through its own logger, so they reach
// the log the operator reads; other commands print them to stderr.
func checkEnv(cmd *cobra.Command, strict bool, stderr io.Writer) error {
	unknown := config.UnknownEnv(os.Environ())
	if len(unknown) == 0 {
		return nil
	}
	if strict {
		lines := make([]string, len(unknown))
		for i, u := range unknown {
			lines[i] = u.String()
		}
		return fmt.Errorf("--strict-config: %s", strings.Join(lines, "; "))
	}
	if cmd.Name() == "serve" {
		return nil
	}
	for _, u := range unknown {
		fmt.Fprintln(stderr, "ledger: warning:", u.String(), "(ignored)")
	}
	return nil
}

// logUnknownEnv warns in the log of every LEDGER_ variable that names no
// setting.
func logUnknownEnv(log zerolog.Logger) {
	for _, u := range config.UnknownEnv(os.Environ()) {
		log.Warn().Str("variable", u.Name).Str("did_you_mean", u.Nearest).Msg(u.String() + " (ignored)")
	}
}
