package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/referral-ledger/ledger/config"
	"github.com/referral-ledger/ledger/keystore"
	keypg "github.com/referral-ledger/ledger/keystore/postgres"
	keysqlite "github.com/referral-ledger/ledger/keystore/sqlite"
)

// rotateKeyCommand rewraps every client key, and reseals every
// second-factor secret, under a new master key. The
// server must be stopped: a running node would keep wrapping new keys
// under the old master key (the data directory's lock enforces it).
func rotateKeyCommand(configFile *string, stdout io.Writer) *cobra.Command {
	var newKeyFile string
	cmd := &cobra.Command{
		Use:   "rotate-master-key",
		Short: "Rewrap every client key and reseal every second-factor secret under a new master key (stop the server first; rerun to finish an interrupted rotation)",
		Long: `Rewraps every client data key under a new master key, all or nothing, and
seals every second-factor (TOTP) secret in the session store again under the
key derived from it, all or nothing.

With --new-key-file the new key is read from that file (base64, mode 0600).
Without it a new key is generated and written to data_dir/master.key.new first,
so a crash cannot lose it. When the current key lives in data_dir/master.key,
the new file then replaces it; otherwise point LEDGER_MASTER_KEY or
master_key_file at the new key and run rotate-master-key again to finish.

A journal, data_dir/master-key-rotation.json, records the rotation until it
ends. If the rotation is interrupted at any point (a crash, a kill, a full
disk), run rotate-master-key again with the same configuration: it finishes
the same rotation. The server refuses to start while the journal exists.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(*configFile)
			if err != nil {
				return err
			}
			return rotateMasterKey(cmd.Context(), cfg, newKeyFile, stdout, func(rotationStep) {})
		},
	}
	cmd.Flags().StringVar(&newKeyFile, "new-key-file", "", "file holding the new master key (default: generate one)")
	return cmd
}

// rotationStep names a point of rotateMasterKey that is durable on disk;
// tests crash the rotation at each.
type rotationStep string

const (
	stepNewKeyWritten  rotationStep = "new-key-written"
	stepJournalWritten rotationStep = "journal-written"
	stepKeysRewrapped  rotationStep = "keys-rewrapped"
	stepResealed       rotationStep = "second-factors-resealed"
	stepRewrapped      rotationStep = "rewrapped"
	stepRenamed        rotationStep = "renamed"
	stepFinished       rotationStep = "finished"
)

// rotationSteps lists every step in order.
var rotationSteps = []rotationStep{stepNewKeyWritten, stepJournalWritten, stepKeysRewrapped, stepResealed, stepRewrapped, stepRenamed, stepFinished}

// rotateMasterKey starts a rotation to the key in newKeyFile (or a new
// one), or finishes the one its journal records, calling reached after
// each durable step. Every step can be repeated: the journal says where
// the rotation goes, and the key store's own records say whether its keys
// are rewrapped yet.
func rotateMasterKey(ctx context.Context, cfg config.Config, newKeyFile string, stdout io.Writer, reached func(rotationStep)) error {
	dir := cfg.DataDir
	lock, err := lockExistingDataDir(dir)
	if err != nil {
		return err
	}
	defer lock.Release()
	if err := unfinishedRestore(dir); err != nil {
		return err
	}
	// A keys.db left beside the PostgreSQL key store would stay wrapped
	// under the old master key, whoever keeps it (R-PRIV-4).
	if err := leftoverKeyStore(cfg); err != nil {
		return err
	}
	current, err := findMasterKey(cfg)
	if err != nil {
		return fmt.Errorf("current master key: %w", err)
	}
	inDataDir := strings.TrimSpace(cfg.MasterKey) == "" && cfg.MasterKeyFile == ""
	masterKeyPath := filepath.Join(dir, keystore.MasterKeyFileName)

	j, err := readRotationJournal(dir)
	if err != nil {
		return err
	}
	var next keystore.MasterKey
	if j != nil {
		if newKeyFile != "" && newKeyFile != j.NewKeyFile {
			return fmt.Errorf("a rotation to master key %s (in %s) is unfinished: run rotate-master-key without "+
				"--new-key-file, or with that file, to finish it first", j.To, j.NewKeyFile)
		}
		if next, err = masterKeyWithID(j.To, j.NewKeyFile, masterKeyPath); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "finishing the rotation from master key %s to %s\n", j.From, j.To)
	} else {
		// The key store must open under the current key before anything
		// is written: a journal left by a rotation that cannot rewrap (the
		// wrong key configured, a damaged keys.db) would keep the server,
		// backup and restore refusing the data directory (R-OPS-4).
		if err := keyStoreOpens(ctx, cfg, filepath.Join(dir, keysqlite.FileName), current, newKeyFile); err != nil {
			return fmt.Errorf("the rotation was not started, nothing was changed: %w", err)
		}
		newPath := newKeyFile
		if newKeyFile != "" {
			if next, err = keystore.LoadMasterKeyFile(newKeyFile); err != nil {
				return fmt.Errorf("--new-key-file: %w", err)
			}
		} else if next, newPath, err = generatedKey(dir); err != nil {
			return err
		}
		reached(stepNewKeyWritten)
		if next.ID == current.ID {
			return fmt.Errorf("the new master key is the current one (%s)", current.ID)
		}
		j = &rotationJournal{From: current.ID, To: next.ID, NewKeyFile: newPath, ReplaceMasterKey: inDataDir,
			StartedAt: time.Now().UTC()}
		if err := writeRotationJournal(dir, *j); err != nil {
			return err
		}
		reached(stepJournalWritten)
	}

	n, err := rewrap(ctx, cfg, filepath.Join(dir, keysqlite.FileName), current, next, stdout)
	switch {
	case errors.Is(err, keystore.ErrWrongMasterKey) && current.ID != j.From:
		return fmt.Errorf("rewrapping: %w; this rotation moves the keys from master key %s to %s and has not "+
			"rewrapped them yet: configure master key %s again and run rotate-master-key to finish", err, j.From, j.To, j.From)
	case err != nil:
		return fmt.Errorf("rewrapping: %w (run rotate-master-key again to finish; the new key is in %s)", err, j.NewKeyFile)
	}
	reached(stepKeysRewrapped)
	// The second factors' secrets too, before the journal says the old
	// key is no longer needed (issue 17).
	if err := resealSecondFactors(ctx, cfg, j, current, next, stdout); err != nil {
		return fmt.Errorf("%w (the new key is in %s)", err, j.NewKeyFile)
	}
	reached(stepResealed)
	if !j.Rewrapped {
		j.Rewrapped = true
		if err := writeRotationJournal(dir, *j); err != nil {
			return err
		}
	}
	reached(stepRewrapped)
	fmt.Fprintf(stdout, "rewrapped %d client keys from master key %s to %s\n", n, j.From, j.To)

	switch {
	case j.ReplaceMasterKey:
		if _, err := os.Stat(j.NewKeyFile); err == nil {
			if err := renameDurably(j.NewKeyFile, masterKeyPath); err != nil {
				return fmt.Errorf("the keys are rewrapped under the key in %s, but it could not replace master.key: %w "+
					"(run rotate-master-key again to finish)", j.NewKeyFile, err)
			}
		}
		reached(stepRenamed)
		fmt.Fprintln(stdout, "data_dir/master.key now holds the new key")
	case current.ID != j.To:
		fmt.Fprintf(stdout, "the new key is in %s: point master_key_file (or LEDGER_MASTER_KEY) at it, "+
			"then run rotate-master-key again to finish; the server will not start until then\n", j.NewKeyFile)
		return nil
	}
	if err := removeRotationJournal(dir); err != nil {
		return err
	}
	reached(stepFinished)
	fmt.Fprintf(stdout, "rotation to master key %s finished\n", j.To)
	return nil
}

// generatedKey returns the key in data_dir/master.key.new, generating it
// first if absent. A file already there was left by a rotation that
// stopped before writing its journal; it is used, never replaced, since
// only the key store can say whether anything is wrapped under it yet.
func generatedKey(dir string) (keystore.MasterKey, string, error) {
	path := filepath.Join(dir, keystore.MasterKeyFileName+".new")
	k, err := keystore.LoadMasterKeyFile(path)
	if err == nil {
		return k, path, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return k, path, fmt.Errorf("%s: %w", path, err)
	}
	k = keystore.GenerateMasterKey()
	if err := keystore.WriteMasterKeyFile(path, k); err != nil {
		return k, path, fmt.Errorf("writing the new master key: %w", err)
	}
	return k, path, nil
}

// rewrap rewraps every key of the key store at path under next. The store
// is opened under current or, if its keys are already under next (the
// rewrap committed before a crash), under next, when Rewrap has nothing
// left to do but scrub the old wrappings from the WAL.
func rewrap(ctx context.Context, cfg config.Config, path string, current, next keystore.MasterKey, stdout io.Writer) (int, error) {
	store, err := openRewrapStore(ctx, cfg, path, current)
	if errors.Is(err, keystore.ErrWrongMasterKey) {
		store, err = openRewrapStore(ctx, cfg, path, next)
	}
	if err != nil {
		return 0, fmt.Errorf("key store: %w", err)
	}
	// A key that came back for an erased client is destroyed, not
	// rewrapped (R-PRIV-8).
	if err := shredBeforeRewrap(ctx, cfg, store, stdout); err != nil {
		_ = store.Close()
		return 0, err
	}
	n, err := store.Rewrap(ctx, next)
	if cerr := store.Close(); err == nil {
		err = cerr
	}
	return n, err
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

// rewrapStore is a key store that can rewrap its keys.
type rewrapStore interface {
	keystore.Store
	Rewrap(ctx context.Context, next keystore.MasterKey) (int, error)
}

// openRewrapStore opens the key store cfg names under kek: keys.db at
// path, or the PostgreSQL tables the nodes share (keystore postgres).
func openRewrapStore(ctx context.Context, cfg config.Config, path string, kek keystore.MasterKey) (rewrapStore, error) {
	if cfg.KeyStore == config.KeyStorePostgres {
		s, err := keypg.Open(ctx, cfg.PostgresURL, kek)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	s, err := keysqlite.Open(path, kek)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// keyStoreOpens opens the key store cfg names under kek, which checks that
// kek is the key its keys are wrapped under, and closes it again. Keys
// already under the new key (newKeyFile, or a data_dir/master.key.new a
// rotation without a journal left behind) open too, as rewrap opens them.
func keyStoreOpens(ctx context.Context, cfg config.Config, path string, kek keystore.MasterKey, newKeyFile string) error {
	store, err := openRewrapStore(ctx, cfg, path, kek)
	if errors.Is(err, keystore.ErrWrongMasterKey) {
		if newKeyFile == "" {
			newKeyFile = filepath.Join(cfg.DataDir, keystore.MasterKeyFileName+".new")
		}
		if next, nerr := keystore.LoadMasterKeyFile(newKeyFile); nerr == nil {
			if s, nerr := openRewrapStore(ctx, cfg, path, next); nerr == nil {
				store, err = s, nil
			}
		}
	}
	if err != nil {
		if cfg.KeyStore == config.KeyStorePostgres {
			return fmt.Errorf("key store (postgres_url): %w", err)
		}
		return fmt.Errorf("key store %s: %w", path, err)
	}
	return store.Close()
}
