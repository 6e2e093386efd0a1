package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/referral-ledger/ledger/config"
	"github.com/referral-ledger/ledger/datadir"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/keystore"
	keypg "github.com/referral-ledger/ledger/keystore/postgres"
	"github.com/referral-ledger/ledger/ledger"
)

// historyCommand prints a referral's events in order with actor, time, type
// and data, and whether its chain verifies (R-LEDGER-5). It reads the data
// directory directly: it is an operator's and auditor's tool.
func historyCommand(configFile *string, stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "history <referral-id>",
		Short: "Print a referral's events in order, with actor, time, type and data",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			id, err := uuid.Parse(args[0])
			if err != nil {
				return fmt.Errorf("referral id: must be a UUID")
			}
			cfg, err := loadConfig(*configFile)
			if err != nil {
				return err
			}
			// Read-only, beside a running server or not: it creates and
			// changes no file in the data directory (R-OPS-2).
			var r *datadir.Reader
			if cfg.Store == config.StoreSQLite || cfg.KeyStore == config.KeyStoreSQLite {
				if r, err = openReader(cfg); err != nil {
					return err
				}
				defer closeInto(&err, r)
			}
			var store eventstore.Store
			if cfg.Store == config.StoreSQLite {
				store, err = openEventsReadOnly(r)
			} else {
				store, err = openEventStore(cfg, zerolog.Nop())
			}
			if err != nil {
				return err
			}
			defer store.Close()
			var keys keystore.Store
			if cfg.KeyStore == config.KeyStoreSQLite {
				keys, err = openKeysReadOnly(cfg, r)
			} else {
				keys, err = openSharedKeyStore(cfg)
			}
			if err != nil {
				return err
			}
			defer keys.Close()
			// The ledger's erasure records, not the key store's tombstones
			// (a restored backup loses them), say who is erased.
			keyring, _, err := offlineKeys(cmd.Context(), store, keys, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			codec := ledger.NewCodec(keyring)
			events, err := store.ReadStream(cmd.Context(), ledger.ReferralStream(id), 0, 0)
			if err != nil {
				return err
			}
			if len(events) == 0 {
				return &exitError{code: 3, err: fmt.Errorf("no referral %s in the ledger", id)}
			}
			verifier := eventstore.NewChainVerifier()
			verified := true
			for _, ev := range events {
				if err := verifier.Check(ev); err != nil && verified {
					verified = false
					fmt.Fprintf(stdout, "!! %v\n", err)
				}
				var data []byte
				rec, err := codec.Decode(cmd.Context(), ev)
				if err == nil {
					data, err = ledger.EventJSON(rec)
				}
				if err != nil {
					if verified {
						return err
					}
					// A broken chain: the event may be the changed one.
					// Show it as unreadable and go on, so the rest of
					// the case is still seen, and exit 2 below.
					data = []byte("UNREADABLE: " + err.Error())
				}
				fmt.Fprintf(stdout, "%d\t%s\t%s\tuser=%s org=%s\t%s\n", ev.Revision,
					ev.Metadata.RecordedAt.UTC().Format(time.RFC3339), ev.Type,
					orDash(ev.Metadata.ActorUserID), orDash(ev.Metadata.ActorOrganisationID), data)
			}
			if !verified {
				return &exitError{code: 2, err: fmt.Errorf("referral %s: hash chain does not verify", id)}
			}
			fmt.Fprintf(stdout, "verified: %d events, hash chain intact\n", len(events))
			return nil
		},
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// openSharedKeyStore opens the PostgreSQL key store under the configured
// master key, generating none.
func openSharedKeyStore(cfg config.Config) (keystore.Store, error) {
	kek, err := findMasterKey(cfg)
	if err != nil {
		return nil, err
	}
	ks, err := keypg.Open(context.Background(), cfg.PostgresURL, kek)
	if err != nil {
		return nil, fmt.Errorf("key store: %w", err)
	}
	return ks, nil
}
