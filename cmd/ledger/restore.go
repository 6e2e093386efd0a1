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
	sessionsqlite "github.com/referral-ledger/ledger/session/sqlite"
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
another backup), or is left as it is with --no-keys; with keystore: postgres
the keys are PostgreSQL's, so DIR/keys is not restored and --keys-from is
refused: no keys.db is put into the data directory. The folder's master.key is
put back only when the configuration names no master key (master_key_file,
LEDGER_MASTER_KEY): one kept out of the data directory stays out. Sessions are not restored:
everyone signs in again; the second factors and recovery codes of the backup's
session store are. Whatever the ages of the event log and the key store
restored, every client erased in the backup's event log, in the event log it
replaces, or in the key store it replaces (whose tombstones may be the only
record left of an erasure after an older event log was restored) stays
erased: before any file is replaced, the key store to be kept destroys their
keys and keeps their tombstones, so restoring again, or an older backup, does
not bring them back (R-PRIV-8, R-OPS-3). A key store older than the event log
is caught when the server starts.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if from == "" {
				return errors.New("--from: name the backup directory to restore")
			}
			cfg, err := loadConfig(*configFile)
			if err != nil {
				return err
			}
			if cfg.KeyStore == config.KeyStorePostgres {
				// The key store is PostgreSQL's: a keys.db put into the
				// data directory would be used by nothing, and would keep
				// every key in it, those of clients erased since the
				// backup included (R-PRIV-4).
				if keysFrom != "" {
					return fmt.Errorf("restore refused: --keys-from: client keys are kept in PostgreSQL (keystore: postgres), " +
						"not in the data directory; restore PostgreSQL's key store with its own tools (pg_restore), " +
						"and this backup with --no-keys; nothing was changed")
				}
				if !noKeys && isDir(filepath.Join(from, keysDir)) {
					fmt.Fprintf(stdout, "note: %s is not restored: client keys are kept in PostgreSQL (keystore: postgres), "+
						"not in the data directory\n", filepath.Join(from, keysDir))
				}
				noKeys = true
			}
			if keysFrom == "" && !noKeys {
				keysFrom = filepath.Join(from, keysDir)
				if _, err := os.Stat(keysFrom); errors.Is(err, fs.ErrNotExist) {
					if isDir(from) {
						fmt.Fprintf(stdout, "note: %s has no key store (a --no-keys backup): the data directory's is kept\n", from)
					}
					keysFrom = ""
				}
			}
			return restore(cmd.Context(), cfg, from, keysFrom, stdout)
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "backup directory written by ledger backup")
	cmd.Flags().StringVar(&keysFrom, "keys-from", "", "keys folder to restore the key store from (default: DIR/keys)")
	cmd.Flags().BoolVar(&noKeys, "no-keys", false, "keep the data directory's key store")
	// Both at once contradict each other: refused before anything is
	// changed, where --keys-from used to be ignored (R-OPS-4).
	cmd.MarkFlagsMutuallyExclusive("keys-from", "no-keys")
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
	// A keys.db left beside the PostgreSQL key store is refused, as by
	// every writer (R-PRIV-4), except to finish a restore already begun:
	// `ledger migrate --to postgres`, which removes it, waits for that.
	if unfinishedRestore(cfg.DataDir) == nil {
		if err := leftoverKeyStore(cfg); err != nil {
			return fmt.Errorf("restore refused: %w", err)
		}
	}
	if !isDir(from) {
		return fmt.Errorf("restore refused: no backup directory at %s", from)
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
		if err == nil {
			err = sqlite.CheckTree(ctx, filepath.Join(from, eventsFile), sqlite.WithImmutable())
		}
		if err != nil {
			return fmt.Errorf("restore refused: the backup's event log does not verify: %w", err)
		}
		fmt.Fprintf(stdout, "the backup's event log verifies: %d events (last position %d)\n", rep.Events, rep.Last)
	} else if cfg.Store == config.StoreSQLite {
		return fmt.Errorf("restore refused: %s holds no %s", from, eventsFile)
	}

	// Every erasure known to the backup or to the data directory it
	// replaces stays carried out (R-PRIV-8, R-OPS-3): the key store that
	// will be in place destroys those clients' keys, and keeps their
	// tombstones, before any file is replaced, so no later restore, nor an
	// interrupted one, can lose an erasure.
	erased, err := erasuresToKeep(ctx, cfg, from, stdout)
	if err != nil {
		return err
	}
	// From the first file replaced until the last, the data directory is
	// a mix of the backup and what it replaces: a record of the restore
	// keeps every other command off it until a restore finishes.
	began := false
	begin := func() error {
		if began {
			return nil
		}
		began = true
		return beginRestore(cfg.DataDir, rerunRestore(from, keysFrom))
	}
	destroyed, keysChecked, err := restoreKeys(ctx, cfg, keysFrom, keys, erased, begin, stdout)
	if err != nil {
		return err
	}
	if err := begin(); err != nil {
		return err
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
	if err := restoreSessions(cfg.DataDir, from, top, stdout); err != nil {
		return err
	}
	// The views are rebuilt from the restored log at the next start: a
	// views.db from before holds the known clients index's marks of
	// clients erased since, and one from after does not match the log
	// (R-OPS-3).
	if err := removeDatabase(cfg.DataDir, projections.ViewsFile); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "views cleared: they are rebuilt from the restored event log at the next start")
	if err := endRestore(cfg.DataDir); err != nil {
		return err
	}
	if keysChecked {
		fmt.Fprintf(stdout, "erased clients stay erased: %d keys the restored key store held for them destroyed\n", destroyed)
	}
	fmt.Fprintln(stdout, "done: start the server; it checks that every client in the ledger has its key")
	return nil
}

// restoreSessions puts back the backup's session store without its
// sessions. A session in a backup may have ended since (a sign-out, a
// password change, a closed account): none is brought back. Its second
// factors and recovery codes are: the restored event log says who set one
// up, and only this store holds the secret, so without it those users,
// every coordinator among them, would be asked for a code no app can give.
// Recovery codes used since the backup work again, as everything else
// stands as it was then. A backup without a session store (or a session
// store kept elsewhere) leaves none.
func restoreSessions(dataDir, from string, top []string, stdout io.Writer) error {
	if !slices.Contains(top, sessionsFile) {
		if err := removeDatabase(dataDir, sessionsFile); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "sessions cleared: everyone signs in again")
		return nil
	}
	tmp, err := stage(filepath.Join(from, sessionsFile), dataDir, sessionsFile)
	if err != nil {
		return err
	}
	if err := sessionsqlite.EndSessions(tmp); err != nil {
		_ = removeDatabase(dataDir, filepath.Base(tmp))
		return err
	}
	if err := removeDatabase(dataDir, sessionsFile); err != nil {
		return err
	}
	if err := commit(tmp, dataDir, sessionsFile); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "sessions cleared: everyone signs in again; second factors restored as they were at the backup")
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

// putBack replaces dataDir/name with the file from, durably.
func putBack(from, dataDir, name string) error {
	tmp, err := stage(from, dataDir, name)
	if err != nil {
		return err
	}
	return commit(tmp, dataDir, name)
}

// stagedSuffix ends the name of a file restore stages in the data
// directory: "." + name + stagedSuffix, with SQLite's -wal, -shm and
// -journal beside it once opened.
const stagedSuffix = ".restoring"

// stage copies from beside dataDir/name as a temporary file, fsynced, and
// returns its path, for commit to put in place.
func stage(from, dataDir, name string) (string, error) {
	tmp := filepath.Join(dataDir, "."+name+stagedSuffix)
	// Left by an interrupted restore, with its -wal and -shm.
	if err := removeDatabase(dataDir, filepath.Base(tmp)); err != nil {
		return "", err
	}
	if err := datadir.CopyFile(from, tmp); err != nil {
		_ = os.Remove(tmp)
		return "", err
	}
	if _, err := seal(tmp); err != nil {
		_ = os.Remove(tmp)
		return "", err
	}
	return tmp, nil
}

// removeStaged removes the files an interrupted restore staged in the data
// directory and returns their names. A restore killed between staging an
// older backup's key store and destroying the erased clients' keys in it
// leaves those keys there, where no erasure may leave one (R-PRIV-4); the
// restore, run again, stages everything afresh. The caller holds the
// writer lock.
func removeStaged(dataDir string) ([]string, error) {
	staged, err := filepath.Glob(filepath.Join(dataDir, ".*"+stagedSuffix+"*"))
	if err != nil || len(staged) == 0 {
		return nil, err
	}
	var names []string
	for _, path := range staged {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return names, fmt.Errorf("removing %s, left by an interrupted restore: %w", path, err)
		}
		names = append(names, filepath.Base(path))
	}
	return names, syncDir(dataDir)
}

// commit replaces dataDir/name with the staged file tmp, durably: the old
// file's -wal, -shm and -journal removed (they belong to the old file),
// rename, fsync of the directory.
func commit(tmp, dataDir, name string) error {
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

// erasuresToKeep lists every client whose erasure the backup in from or
// the data directory it replaces records: erased or being erased in the
// backup's event log or in the data directory's, or with a tombstone in
// the data directory's key store. After an older event log has been
// restored, a tombstone can be the only record left of an erasure. An
// event log or key store being replaced that cannot be read is warned
// about, not refused: a damaged file is a reason to restore.
func erasuresToKeep(ctx context.Context, cfg config.Config, from string, stdout io.Writer) ([]uuid.UUID, error) {
	seen := map[uuid.UUID]struct{}{}
	var out []uuid.UUID
	add := func(ids []uuid.UUID) {
		for _, id := range ids {
			if _, ok := seen[id]; !ok {
				seen[id] = struct{}{}
				out = append(out, id)
			}
		}
	}
	if cfg.Store == config.StoreSQLite {
		inBackup, err := erasedInLog(ctx, filepath.Join(from, eventsFile))
		if err != nil {
			return nil, fmt.Errorf("restore refused: the backup's event log cannot be replayed: %w", err)
		}
		add(inBackup)
		replaced, err := erasedInDataDir(ctx, cfg)
		if err != nil {
			fmt.Fprintf(stdout, "warning: the event log being replaced cannot be read (%v): erasures recorded only there "+
				"are not carried over; carry them out again\n", err)
		}
		add(replaced)
	}
	if cfg.KeyStore == config.KeyStoreSQLite {
		path := filepath.Join(cfg.DataDir, keysqlite.FileName)
		if _, err := os.Stat(path); err == nil {
			tombstones, err := keysqlite.Tombstones(ctx, path)
			if err != nil {
				fmt.Fprintf(stdout, "warning: the key store being replaced cannot be read (%v): erasures recorded only there "+
					"are not carried over; carry them out again\n", err)
			}
			add(tombstones)
		}
	}
	return out, nil
}

// restoreKeys puts the key store in keysFrom (the files named keys) back,
// or keeps the data directory's when keys is empty, having destroyed in it
// the keys of the erased clients and recorded their tombstones (R-PRIV-8):
// a restored key store is a copy staged beside the data directory's and
// put in place only once it keeps every erasure. It returns how many keys
// it found and destroyed, and whether it checked a key store at all (an
// embedded one: PostgreSQL's is not restored and keeps its tombstones).
func restoreKeys(ctx context.Context, cfg config.Config, keysFrom string, keys []string, erased []uuid.UUID,
	begin func() error, stdout io.Writer) (destroyed int, checked bool, err error) {
	embedded := cfg.KeyStore == config.KeyStoreSQLite
	if !embedded && len(keys) > 0 {
		// Never a keys.db beside the PostgreSQL key store (R-PRIV-4).
		return 0, false, fmt.Errorf("restore refused: client keys are kept in PostgreSQL (keystore: postgres), " +
			"not in the data directory: restore this backup with --no-keys; nothing was changed")
	}
	if len(keys) == 0 {
		if !embedded {
			return 0, false, nil
		}
		path := filepath.Join(cfg.DataDir, keysqlite.FileName)
		_, err := os.Stat(path)
		missing := errors.Is(err, fs.ErrNotExist)
		if missing && len(erased) == 0 {
			return 0, true, nil // no key store, and no erasure to record
		}
		kek, err := findMasterKey(cfg)
		if err != nil && missing {
			// No key store to record tombstones in, and none can be
			// made: nothing can read a client's data here either.
			fmt.Fprintf(stdout, "warning: the data directory has no key store, and none can be made (%v): "+
				"erasures recorded only in the event log being replaced are not carried over; carry them out again\n", err)
			return 0, false, nil
		}
		if err != nil {
			return 0, false, fmt.Errorf("restore refused: the key store cannot be opened to keep the erased clients' "+
				"keys destroyed: %w; nothing was changed", err)
		}
		if destroyed, err = destroyKeys(ctx, path, kek, erased); err != nil {
			return 0, false, fmt.Errorf("restore refused: the data directory's key store cannot keep the erased "+
				"clients' keys destroyed: %w; nothing was replaced", err)
		}
		return destroyed, true, nil
	}
	staged := map[string]string{}
	defer func() {
		for _, tmp := range staged {
			_ = removeDatabase(cfg.DataDir, filepath.Base(tmp))
		}
	}()
	for _, name := range keys {
		tmp, err := stage(filepath.Join(keysFrom, name), cfg.DataDir, name)
		if err != nil {
			return 0, false, err
		}
		staged[name] = tmp
	}
	if embedded {
		kek, err := restoredMasterKey(cfg, keysFrom, keys)
		if err != nil {
			return 0, false, fmt.Errorf("restore refused: %w; nothing was changed", err)
		}
		tmp := staged[keysqlite.FileName]
		if destroyed, err = destroyKeys(ctx, tmp, kek, erased); err != nil {
			return 0, false, fmt.Errorf("restore refused: the key store in %s cannot keep the erased clients' keys "+
				"destroyed: %w; nothing was changed", keysFrom, err)
		}
		if _, err := seal(tmp); err != nil {
			return 0, false, err
		}
		checked = true
	}
	if err := begin(); err != nil {
		return 0, false, err
	}
	for _, name := range keys {
		if name == keystore.MasterKeyFileName && masterKeyConfigured(cfg) {
			// The configuration keeps the master key out of the data
			// directory: the backup's copy is not put back beside the
			// keys it protects.
			fmt.Fprintf(stdout, "note: %s from %s not restored: the configuration names the master key "+
				"(master_key_file or LEDGER_MASTER_KEY), kept out of the data directory\n", name, keysFrom)
			continue
		}
		if err := commit(staged[name], cfg.DataDir, name); err != nil {
			return 0, false, err
		}
		delete(staged, name)
		fmt.Fprintf(stdout, "restored %s from %s\n", name, keysFrom)
	}
	return destroyed, checked, nil
}

// restoredMasterKey is the master key the restored key store opens
// under: the configured one, or, when the key store's folder brings back
// data_dir/master.key and none is configured, that file.
func restoredMasterKey(cfg config.Config, keysFrom string, keys []string) (keystore.MasterKey, error) {
	if !masterKeyConfigured(cfg) && slices.Contains(keys, keystore.MasterKeyFileName) {
		return keystore.LoadMasterKeyFile(filepath.Join(keysFrom, keystore.MasterKeyFileName))
	}
	return findMasterKey(cfg)
}

// masterKeyConfigured reports whether the configuration names the master
// key (LEDGER_MASTER_KEY or master_key_file) rather than leaving it in
// data_dir/master.key.
func masterKeyConfigured(cfg config.Config) bool {
	return strings.TrimSpace(cfg.MasterKey) != "" || cfg.MasterKeyFile != ""
}

// destroyKeys destroys, in the key store at path (created if absent), the
// key of every client in erased, recording their tombstones, and returns
// how many keys were still there.
func destroyKeys(ctx context.Context, path string, kek keystore.MasterKey, erased []uuid.UUID) (int, error) {
	keys, err := keysqlite.Open(path, kek)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range erased {
		_, getErr := keys.Get(ctx, id)
		if errors.Is(getErr, keystore.ErrDestroyed) {
			continue
		}
		// Not found too: the tombstone keeps a key from being created.
		if err := keys.Destroy(ctx, id); err != nil {
			_ = keys.Close()
			return n, err
		}
		if getErr == nil {
			n++
		}
	}
	return n, keys.Close()
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

// erasedInLog lists the clients the event log at path, a backup's that
// nothing writes, records as erased or being erased.
func erasedInLog(ctx context.Context, path string) ([]uuid.UUID, error) {
	store, err := sqlite.OpenReadOnly(path, sqlite.WithImmutable())
	if err != nil {
		return nil, err
	}
	defer store.Close()
	return erasedClients(ctx, store)
}

// erasedClients replays store's log and lists the clients it records as
// erased or being erased.
func erasedClients(ctx context.Context, store eventstore.Store) ([]uuid.UUID, error) {
	clients, err := replayClients(ctx, store)
	if err != nil {
		return nil, err
	}
	erased, err := clients.ErasedClients()
	if err != nil {
		return nil, err
	}
	erasing, err := clients.ErasingClients()
	if err != nil {
		return nil, err
	}
	return append(erased, erasing...), nil
}

// replayClients replays the public part of store's log, up to its head
// when called, into an index of clients in memory; it reads no key.
func replayClients(ctx context.Context, store eventstore.Store, also ...projections.Projection) (*projections.Clients, error) {
	clients := projections.NewClients()
	runner := projections.NewRunner(store, ledger.NewPublicCodec(), append([]projections.Projection{clients}, also...)...)
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
	return clients, nil
}

// isDir reports whether path is a directory.
func isDir(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.IsDir()
}

// restoreRecordFile records, in the data directory, a restore that has
// begun replacing files and not finished: the command that finishes it.
const restoreRecordFile = "restore-in-progress"

// rerunRestore is the restore command that puts the same backup back.
func rerunRestore(from, keysFrom string) string {
	abs := func(p string) string {
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return p
	}
	cmd := "ledger restore --from " + abs(from)
	switch {
	case keysFrom == "" && isDir(filepath.Join(from, keysDir)):
		cmd += " --no-keys"
	case keysFrom != "" && abs(keysFrom) != abs(filepath.Join(from, keysDir)):
		cmd += " --keys-from " + abs(keysFrom)
	}
	return cmd
}

// beginRestore records, durably, that a restore is replacing the data
// directory's files; command is how to run it again.
func beginRestore(dir, command string) error {
	if err := writeFileDurably(filepath.Join(dir, restoreRecordFile), []byte(command+"\n")); err != nil {
		return fmt.Errorf("recording the restore: %w", err)
	}
	return nil
}

// endRestore clears the record of a restore that has finished.
func endRestore(dir string) error {
	if err := os.Remove(filepath.Join(dir, restoreRecordFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("clearing the record of the restore: %w", err)
	}
	return syncDir(dir)
}

// unfinishedRestore is the error every command but restore returns on a
// data directory a restore began replacing and did not finish (killed, or
// stopped by an error): it is a mix of the backup and what it replaced,
// and the way on is to run the restore again (R-OPS-3).
func unfinishedRestore(dir string) error {
	b, err := os.ReadFile(filepath.Join(dir, restoreRecordFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("record of a restore: %w", err)
	}
	command := strings.TrimSpace(string(b))
	if command == "" {
		command = "ledger restore --from DIR"
	}
	return fmt.Errorf("a restore into %s did not finish, so its files are part the backup's and part what it replaced: "+
		"run `%s` again to finish it (or restore another backup); nothing else may use the data directory until then",
		dir, command)
}
