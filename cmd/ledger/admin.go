package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// adminCommand groups the operator's account tools, run at the data
// directory with the server stopped.
func adminCommand(configFile *string, stdout, stderr io.Writer) *cobra.Command {
	admin := &cobra.Command{
		Use:   "admin",
		Short: "Operator's account tools (stop the server first)",
	}
	admin.AddCommand(&cobra.Command{
		Use:   "reset-password USERNAME",
		Short: "Set a one-time password for an account and print it once (e.g. a lost first password)",
		Long: `Sets a new, generated one-time password for USERNAME and prints it once. The
user must change it at first sign-in; their sessions end. The reset is recorded
in the ledger as done by the system. The server must be stopped (the data
directory's lock enforces it).

A first start prints the generated password of the coordinator "admin" once;
if it was lost, run: ledger admin reset-password admin`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, log, err := loadConfigAndLog(*configFile, stderr)
			if err != nil {
				return err
			}
			return withCaughtUpApp(cmd.Context(), cfg, log, func(ctx context.Context, a *app) error {
				password, err := a.accounts.ResetPassword(ctx, args[0])
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(stdout, "one-time password for %q: %s\n"+
					"(shown once; they must change it at first sign-in with PUT /v1/users/me/password)\n", args[0], password)
				return err
			})
		},
	})
	admin.AddCommand(&cobra.Command{
		Use:   "reset-mfa USERNAME",
		Short: "Remove an account's second factor (e.g. the last coordinator lost their authenticator app)",
		Long: `Removes the second factor (authenticator app and recovery codes) of USERNAME,
for an account nobody else can reset: the last coordinator who lost both their
app and their recovery codes. The reset is recorded in the ledger as done by
the system and emailed to the user; their sessions end, and they set up an
authenticator app again at their next sign-in. The server must be stopped (the
data directory's lock enforces it).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, log, err := loadConfigAndLog(*configFile, stderr)
			if err != nil {
				return err
			}
			return withCaughtUpApp(cmd.Context(), cfg, log, func(ctx context.Context, a *app) error {
				if err := a.accounts.ResetMFAByName(ctx, args[0]); err != nil {
					return err
				}
				_, err := fmt.Fprintf(stdout, "second factor of %q reset: they set up an authenticator app at their next sign-in\n", args[0])
				return err
			})
		},
	})
	return admin
}
