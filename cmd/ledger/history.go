package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/referral-ledger/ledger/config"
	"github.com/referral-ledger/ledger/datadir"
	"github.com/referral-ledger/ledger/domain"
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
			keyring, erasures, err := offlineKeys(cmd.Context(), store, keys, cmd.ErrOrStderr())
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
			// A locked case's client data is read only where the read is
			// logged (R-LOCK-9), and this tool writes nothing: it shows
			// the case's events with their client data withheld.
			locked, err := caseLocked(cmd.Context(), store, events)
			if err != nil {
				return err
			}
			switch locked {
			case caseIsLocked:
				codec = ledger.NewPublicCodec()
				fmt.Fprintln(stdout, "# the client's case is locked: client data and free text are withheld here, where no read is logged; "+
					"they are read through the server, by whom the lock lets in, "+lockReaders+", where each read is recorded in the case's access log (R-LOCK-9)")
			case caseLockUnknown:
				codec = ledger.NewPublicCodec()
				fmt.Fprintln(stdout, "# no readable event names the client, so whether their case is locked cannot be told: client data and free text "+
					"are withheld here, where no read is logged; they are read through the server, where a locked case's reads are recorded in its access log (R-LOCK-9)")
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
					// Withheld for the lock, an erased client's data is
					// still shown as erased, as every read shows it
					// (R-PRIV-3): it is not there to be read elsewhere.
					if s, ok := rec.Event.(domain.Sensitive); ok && rec.Withheld && erasures.IsErased(s.DataSubject()) {
						rec.Erased = true
					}
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

// lockReaders says whom a lock lets read the case (R-LOCK-2): an auditor
// or coordinator is not among them unless the lock names them.
const lockReaders = "its responsible person, the users and teams on its allow list, short-term access granted by the responsible person, " +
	"and system support and emergency duty unless its deny list refuses them"

// caseLock is what caseLocked tells of a referral's client's case.
type caseLock int

const (
	caseNotLocked   caseLock = iota
	caseIsLocked             // the client's case is locked now
	caseLockUnknown          // no readable event names the client
)

// caseLocked tells whether the client of the referral whose events these
// are has a locked case now: the client's stream folded as the server
// folds it, read without any key (the lock's state is not sealed). An
// event that does not decode (a damaged one, which breaks the chain, as
// history reports) is left out, not taken for an unlocked case: the
// referral's other events still name the client, and every event that
// holds client data names whose it is. When no readable event names the
// client, whether the case is locked cannot be told (caseLockUnknown), and
// the caller withholds as for a locked one.
func caseLocked(ctx context.Context, store eventstore.Store, events []eventstore.RecordedEvent) (caseLock, error) {
	public := ledger.NewPublicCodec()
	var r domain.Referral
	var clients []uuid.UUID
	named := func(id uuid.UUID) {
		if id != uuid.Nil && !slices.Contains(clients, id) {
			clients = append(clients, id)
		}
	}
	unreadable := false
	for _, ev := range events {
		rec, err := public.Decode(ctx, ev)
		if err != nil {
			unreadable = true // reported as the chain's, and shown unreadable
			continue
		}
		r = domain.EvolveReferral(r, rec)
		if s, ok := rec.Event.(domain.Sensitive); ok {
			named(s.DataSubject())
		}
	}
	named(r.ClientID)
	if len(clients) == 0 {
		if unreadable {
			return caseLockUnknown, nil
		}
		return caseNotLocked, nil
	}
	for _, client := range clients {
		stored, err := store.ReadStream(ctx, ledger.ClientStream(client), 0, 0)
		if err != nil {
			return caseNotLocked, err
		}
		var c domain.ClientRecord
		for _, ev := range stored {
			rec, err := public.Decode(ctx, ev)
			if err != nil {
				return caseNotLocked, err
			}
			c = domain.EvolveClient(c, rec)
		}
		if c.Lock.Status == domain.LockLocked {
			return caseIsLocked, nil
		}
	}
	return caseNotLocked, nil
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
