package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/referral-ledger/ledger/config"
	"github.com/referral-ledger/ledger/datadir"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/sqlite"
	"github.com/referral-ledger/ledger/keystore"
	keysqlite "github.com/referral-ledger/ledger/keystore/sqlite"
	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/projections"
)

// restoreCommand puts a backup back into the data directory.
func restoreCommand(configFile *string, stdout io.Writer) *cobra.Command {
	var from, keysFrom string
	var noKeys bool
	cmd := &cobra.Command{
		Use:   "restore --from DIR",
		Short: "Put a backup made by ledger backup back into the data directory (stop the server first)",
		Long: `Checks every file of the backup in DIR against its SHA256SUMS and verifies the
event log's hash chains, then puts the files back into the data directory,
replacing what is there. The server must be stopped (the data directory's lock
enforces it).

The key store comes from DIR/keys, or from --keys-from (a keys folder of
another backup), or is left as it is with --no-keys. Sessions are not restored:
everyone signs in again. Whatever the ages of the event log and the key store
restored, every client the event log records as erased stays erased: their
keys, if the restored key store holds them, are destroyed (R-PRIV-8). A key
store older than the event log is caught when the server starts.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if from == "" {
				return errors.New("--from: name the backup directory to restore")
			}
			cfg, err := loadConfig(*configFile)
			if err != nil {
				return err
			}
			if keysFrom == "" && !noKeys {
				keysFrom = filepath.Join(from, keysDir)
				if _, err := os.Stat(keysFrom); errors.Is(err, fs.ErrNotExist) {
					fmt.Fprintf(stdout, "note: %s has no key store (a --no-keys backup): the data directory's is kept\n", from)
					keysFrom = ""
				}
			}
			if noKeys {
				keysFrom = ""
			}
			return restore(cmd.Context(), cfg, from, keysFrom, stdout)
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "backup directory written by ledger backup")
	cmd.Flags().StringVar(&keysFrom, "keys-from", "", "keys folder to restore the key store from (default: DIR/keys)")
	cmd.Flags().BoolVar(&noKeys, "no-keys", false, "keep the data directory's key store")
	return cmd
}

// restore checks the backup in from (and the key store in keysFrom, unless
// empty) and puts it into cfg's data directory, holding its writer lock.
func restore(ctx context.Context, cfg config.Config, from, keysFrom string, stdout io.Writer) error {
	lock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return err
	}
	defer lock.Release()
	if err := unfinishedRotation(cfg.DataDir); err != nil {
		return fmt.Errorf("restore refused: %w", err)
	}
	top, err := checkManifest(from)
	if err != nil {
		return err
	}
	var keys []string
	if keysFrom != "" {
		if keys, err = checkManifest(keysFrom); err != nil {
			return err
		}
		if !slices.Contains(keys, keysqlite.FileName) {
			return fmt.Errorf("%s holds no %s", keysFrom, keysqlite.FileName)
		}
	}
	if slices.Contains(top, eventsFile) {
		rep, err := sqlite.Verify(ctx, filepath.Join(from, eventsFile), sqlite.WithImmutable())
		if err != nil {
			return fmt.Errorf("restore refused: the backup's event log does not verify: %w", err)
		}
		fmt.Fprintf(stdout, "the backup's event log verifies: %d events (last position %d)\n", rep.Events, rep.Last)
	} else if cfg.Store == config.StoreSQLite {
		return fmt.Errorf("restore refused: %s holds no %s", from, eventsFile)
	}

	// The ledger being replaced may record erasures the backup predates:
	// they stay carried out (R-PRIV-8).
	var erasedBefore []uuid.UUID
	if cfg.Store == config.StoreSQLite {
		if erasedBefore, err = erasedInDataDir(ctx, cfg); err != nil {
			fmt.Fprintf(stdout, "warning: the event log being replaced cannot be read (%v): erasures recorded only there "+
				"are not carried over; carry them out again\n", err)
		}
	}
	for _, name := range top {
		if name == sessionsFile || name == projections.ViewsFile {
			continue
		}
		if err := putBack(filepath.Join(from, name), cfg.DataDir, name); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "restored %s\n", name)
	}
	for _, name := range keys {
		if err := putBack(filepath.Join(keysFrom, name), cfg.DataDir, name); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "restored %s from %s\n", name, keysFrom)
	}
	// A session in a backup may have ended since (a sign-out, a password
	// change, a closed account): none is brought back.
	if err := removeDatabase(cfg.DataDir, sessionsFile); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "sessions cleared: everyone signs in again")
	// The views are rebuilt from the restored log at the next start: a
	// views.db from before holds the known clients index's marks of
	// clients erased since, and one from after does not match the log
	// (R-OPS-3).
	if err := removeDatabase(cfg.DataDir, projections.ViewsFile); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "views cleared: they are rebuilt from the restored event log at the next start")
	if cfg.Store == config.StoreSQLite && cfg.KeyStore == config.KeyStoreSQLite {
		n, err := destroyErasedKeys(ctx, cfg, erasedBefore)
		if err != nil {
			return fmt.Errorf("restored, but the erased clients' keys could not be checked: %w; "+
				"`ledger serve` destroys them when it starts", err)
		}
		fmt.Fprintf(stdout, "erased clients stay erased: %d keys the restored key store held for them destroyed\n", n)
	}
	fmt.Fprintln(stdout, "done: start the server; it checks that every client in the ledger has its key")
	return nil
}

// checkManifest checks every file dir/SHA256SUMS lists against its SHA-256
// and returns their names. Names are plain file names: a manifest cannot
// point outside its folder.
func checkManifest(dir string) ([]string, error) {
	f, err := os.Open(filepath.Join(dir, manifestFile))
	if err != nil {
		return nil, fmt.Errorf("%s is not a backup made by ledger backup: %w", dir, err)
	}
	defer f.Close()
	var names []string
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		sum, name, ok := strings.Cut(lines.Text(), "  ")
		if !ok || name != filepath.Base(name) || name == "." || name == ".." {
			return nil, fmt.Errorf("%s: a line is not \"<sha256>  <file>\": %q", filepath.Join(dir, manifestFile), lines.Text())
		}
		got, err := sha256File(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("restore refused: %s: %w", filepath.Join(dir, name), err)
		}
		if got != sum {
			return nil, fmt.Errorf("restore refused: %s does not match its checksum in %s: the backup is damaged",
				filepath.Join(dir, name), filepath.Join(dir, manifestFile))
		}
		names = append(names, name)
	}
	if err := lines.Err(); err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s lists no file", filepath.Join(dir, manifestFile))
	}
	return names, nil
}

func sha256File(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// putBack replaces dataDir/name with the file from, durably: a temporary
// copy, fsync, the old file's -wal and -shm removed (they belong to the old
// file), rename, fsync of the directory.
func putBack(from, dataDir, name string) error {
	tmp := filepath.Join(dataDir, "."+name+".restoring")
	_ = os.Remove(tmp) // left by an interrupted restore
	if err := datadir.CopyFile(from, tmp); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if _, err := seal(tmp); err != nil {
		return err
	}
	if err := removeDatabase(dataDir, name, "-wal", "-shm", "-journal"); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dataDir, name)); err != nil {
		return err
	}
	return syncDir(dataDir)
}

// removeDatabase removes dataDir/name with the given suffixes; with none,
// the file and its -wal, -shm and -journal.
func removeDatabase(dataDir, name string, suffixes ...string) error {
	if len(suffixes) == 0 {
		suffixes = []string{"", "-wal", "-shm", "-journal"}
	}
	for _, s := range suffixes {
		if err := os.Remove(filepath.Join(dataDir, name+s)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return syncDir(dataDir)
}

// erasedInDataDir lists the clients the data directory's event log, if
// any, records as erased or being erased. The caller holds the writer
// lock, so the log is opened as a writer would, folding in any WAL.
func erasedInDataDir(ctx context.Context, cfg config.Config) ([]uuid.UUID, error) {
	path := filepath.Join(cfg.DataDir, eventsFile)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	store, err := sqlite.Open(path)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	return erasedClients(ctx, store)
}

// erasedClients replays store's log and lists the clients it records as
// erased or being erased.
func erasedClients(ctx context.Context, store eventstore.Store) ([]uuid.UUID, error) {
	clients := projections.NewClients()
	runner := projections.NewRunner(store, ledger.NewPublicCodec(), clients)
	head, err := store.Head(ctx)
	if err != nil {
		return nil, err
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- runner.Run(runCtx) }()
	err = runner.WaitFor(ctx, head)
	stop()
	<-done
	if err != nil {
		if stopped := runner.Err(); stopped != nil {
			return nil, stopped
		}
		return nil, err
	}
	return append(clients.ErasedClients(), clients.ErasingClients()...), nil
}

// destroyErasedKeys destroys, in the restored key store, the key of every
// client the restored event log records as erased or being erased, and of
// those in erasedBefore (R-PRIV-8): a key-store backup older than an
// erasure holds that client's key. It returns how many keys were still
// there.
func destroyErasedKeys(ctx context.Context, cfg config.Config, erasedBefore []uuid.UUID) (int, error) {
	store, err := sqlite.OpenReadOnly(filepath.Join(cfg.DataDir, eventsFile), sqlite.WithImmutable())
	if err != nil {
		return 0, err
	}
	defer store.Close()
	erased, err := erasedClients(ctx, store)
	if err != nil {
		return 0, err
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, keysqlite.FileName)); errors.Is(err, fs.ErrNotExist) {
		return 0, nil // no key store: nothing to destroy
	}
	kek, err := findMasterKey(cfg)
	if err != nil {
		return 0, err
	}
	keys, err := keysqlite.Open(filepath.Join(cfg.DataDir, keysqlite.FileName), kek)
	if err != nil {
		return 0, err
	}
	defer keys.Close()
	n := 0
	for _, id := range append(erased, erasedBefore...) {
		_, getErr := keys.Get(ctx, id)
		if errors.Is(getErr, keystore.ErrDestroyed) {
			continue
		}
		// Not found too: the tombstone keeps a key from being created.
		if err := keys.Destroy(ctx, id); err != nil {
			return n, err
		}
		if getErr == nil {
			n++
		}
	}
	return n, nil
}
