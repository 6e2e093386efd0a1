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
	"github.com/referral-ledger/ledger/keystore"
	keysqlite "github.com/referral-ledger/ledger/keystore/sqlite"
)

// rotateKeyCommand rewraps every client key under a new master key. The
// server must be stopped: a running node would keep wrapping new keys
// under the old master key.
func rotateKeyCommand(configFile *string, stdout io.Writer) *cobra.Command {
	var newKeyFile string
	cmd := &cobra.Command{
		Use:   "rotate-master-key",
		Short: "Rewrap every client key under a new master key (stop the server first)",
		Long: `Rewraps every client data key under a new master key, all or nothing.

With --new-key-file the new key is read from that file (base64, mode 0600).
Without it a new key is generated and written to data_dir/master.key.new first,
so a crash cannot lose it. When the current key lives in data_dir/master.key,
the new file then replaces it; otherwise point LEDGER_MASTER_KEY or
master_key_file at the new key before the next start.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(*configFile)
			if err != nil {
				return err
			}
			current, source, _, err := keystore.ResolveMasterKey(cfg.MasterKey, cfg.MasterKeyFile, cfg.DataDir)
			if err != nil {
				return fmt.Errorf("current master key: %w", err)
			}
			var next keystore.MasterKey
			newPath := newKeyFile
			if newKeyFile != "" {
				if next, err = keystore.LoadMasterKeyFile(newKeyFile); err != nil {
					return fmt.Errorf("--new-key-file: %w", err)
				}
			} else {
				next = keystore.GenerateMasterKey()
				newPath = filepath.Join(cfg.DataDir, keystore.MasterKeyFileName+".new")
				if err := keystore.WriteMasterKeyFile(newPath, next); err != nil {
					return fmt.Errorf("writing the new master key: %w", err)
				}
			}
			if next.ID == current.ID {
				return fmt.Errorf("the new master key is the current one (%s)", current.ID)
			}
			store, err := keysqlite.Open(filepath.Join(cfg.DataDir, keysqlite.FileName), current)
			if err != nil {
				return fmt.Errorf("key store: %w", err)
			}
			// A key that came back for an erased client is destroyed, not
			// rewrapped (R-PRIV-8).
			if err := shredBeforeRewrap(cmd.Context(), cfg, store, stdout); err != nil {
				_ = store.Close()
				return err
			}
			n, err := store.Rewrap(cmd.Context(), next)
			if cerr := store.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("rewrapping: %w (nothing changed; the new key is in %s)", err, newPath)
			}
			fmt.Fprintf(stdout, "rewrapped %d client keys from master key %s to %s\n", n, current.ID, next.ID)
			if source == keystore.SourceDataDir {
				if err := os.Rename(newPath, filepath.Join(cfg.DataDir, keystore.MasterKeyFileName)); err != nil {
					return fmt.Errorf("the keys are rewrapped under the key in %s, but it could not replace master.key: %w", newPath, err)
				}
				fmt.Fprintln(stdout, "data_dir/master.key now holds the new key")
				return nil
			}
			fmt.Fprintf(stdout, "the new key is in %s: point master_key_file (or LEDGER_MASTER_KEY) at it before the next start\n", newPath)
			return nil
		},
	}
	cmd.Flags().StringVar(&newKeyFile, "new-key-file", "", "file holding the new master key (default: generate one)")
	return cmd
}

// shredBeforeRewrap destroys, in store, the key of every client the
// ledger records as erased, and says how many it found.
func shredBeforeRewrap(ctx context.Context, cfg config.Config, store keystore.Store, stdout io.Writer) error {
	events, err := openEventStore(cfg, zerolog.Nop())
	if err != nil {
		return err
	}
	defer events.Close()
	keys, records, err := offlineKeys(ctx, events, store, io.Discard)
	if err != nil {
		return err
	}
	destroyed, kept := shredErasedKeys(ctx, keys, records)
	if kept > 0 {
		return fmt.Errorf("%d keys of erased clients are back in the key store and could not be destroyed", kept)
	}
	if destroyed > 0 {
		fmt.Fprintf(stdout, "destroyed %d keys that had come back for erased clients (a restored backup?)\n", destroyed)
	}
	return nil
}
