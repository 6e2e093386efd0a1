package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/referral-ledger/ledger/config"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/sqlite"
)

// migrateCommand copies the embedded ledger into KurrentDB, preserving
// event ids, per-stream order and every hash (R-LEDGER-4).
func migrateCommand(configFile *string, stdout io.Writer) *cobra.Command {
	var to, url string
	cmd := &cobra.Command{
		Use:   "migrate --to kurrentdb|postgres",
		Short: "Copy the embedded ledger into KurrentDB (--to kurrentdb) or its key store into PostgreSQL (--to postgres); stop the server first",
		Long: `Copies every event of data_dir/events.db into a KurrentDB cluster in the
order it was written, with its id, type, schema version, data (still
encrypted) and metadata. The KurrentDB backend seals each event again as it
appends; the copy is refused unless every hash comes out identical, so the
migrated ledger verifies exactly as the original did. It is safe to run
again after an interruption: events already copied are recognised by id.

With --to postgres it copies data_dir/keys.db into the key store at
postgres_url instead: the wrapped keys as they are and every erasure
tombstone, checking each key opens under the configured master key. Once
every key and erasure is checked in PostgreSQL it removes keys.db and its
journals from the data directory, so that no copy of a key outlives a later
erasure there; if anything cannot be checked it removes nothing and fails.
Run it again to finish an interrupted run. Then run the server with
keystore: postgres, which refuses to start while keys.db is still there.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(*configFile)
			if err != nil {
				return err
			}
			if err := requireLedger(cfg); err != nil {
				return err
			}
			// One writer at a time (R-OPS-2): a server appending or a
			// retention run shredding meanwhile would be left behind.
			lock, err := lockExistingDataDir(cfg.DataDir)
			if err != nil {
				return err
			}
			defer lock.Release()
			if err := unfinishedRestore(cfg.DataDir); err != nil {
				return err
			}
			switch to {
			case string(config.KeyStorePostgres):
				return migrateKeys(cmd.Context(), cfg, stdout)
			case string(config.StoreKurrentDB):
				// With the keys in PostgreSQL, a keys.db left here is
				// removed by --to postgres first (R-PRIV-4).
				if err := leftoverKeyStore(cfg); err != nil {
					return err
				}
			default:
				return fmt.Errorf("--to: kurrentdb (the events) or postgres (the key store)")
			}
			if url != "" {
				cfg.KurrentDBURL = url
			}
			cfg.Store = config.StoreKurrentDB
			if err := cfg.Validate(); err != nil {
				return err
			}
			path := filepath.Join(cfg.DataDir, eventsFile)
			if _, err := os.Stat(path); err != nil {
				return fmt.Errorf("no ledger at %s: %w", path, err)
			}
			src, err := sqlite.Open(path)
			if err != nil {
				return err
			}
			defer src.Close()
			dst, err := openEventStore(cfg, zerolog.Nop())
			if err != nil {
				return err
			}
			defer dst.Close()
			n, err := migrate(cmd.Context(), src, dst)
			if err != nil {
				return fmt.Errorf("after %d events: %w", n, err)
			}
			rep, err := eventstore.VerifyAll(cmd.Context(), dst)
			if err != nil {
				return fmt.Errorf("the migrated ledger does not verify: %w", err)
			}
			fmt.Fprintf(stdout, "migrated %d events; KurrentDB holds %d ledger events in %d streams and every chain verifies\n",
				n, rep.Events, rep.Streams)
			return nil
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "the target: kurrentdb (events) or postgres (client keys)")
	cmd.Flags().StringVar(&url, "kurrentdb-url", "", "connection string of the target (default: kurrentdb_url)")
	_ = cmd.MarkFlagRequired("to")
	return cmd
}

// migrate appends every event of src to dst in global order, at the same
// revision of the same stream, and checks the hash dst computes is the one
// src recorded. It returns how many events it copied.
func migrate(ctx context.Context, src, dst eventstore.Store) (int, error) {
	n := 0
	for after := eventstore.Start; ; {
		page, err := src.ReadAll(ctx, after, 500)
		if err != nil {
			return n, err
		}
		for _, ev := range page {
			expected := eventstore.NoStream()
			if ev.Revision > 0 {
				expected = eventstore.Exact(ev.Revision - 1)
			}
			meta := ev.Metadata
			want := meta.Hash
			meta.PrevHash, meta.Hash = "", ""
			if _, err := dst.Append(ctx, ev.Stream, expected, eventstore.EventData{ID: ev.ID, Type: ev.Type,
				SchemaVersion: ev.SchemaVersion, Data: ev.Data, Metadata: meta}); err != nil {
				return n, fmt.Errorf("event %s (%s revision %d): %w", ev.ID, ev.Stream, ev.Revision, err)
			}
			got, err := dst.ReadStream(ctx, ev.Stream, ev.Revision, 1)
			if err != nil {
				return n, err
			}
			if len(got) != 1 || got[0].ID != ev.ID || got[0].Metadata.Hash != want {
				return n, fmt.Errorf("event %s (%s revision %d) did not keep its hash in the target", ev.ID, ev.Stream, ev.Revision)
			}
			n++
			after = ev.Position
		}
		if len(page) < 500 {
			return n, nil
		}
	}
}
