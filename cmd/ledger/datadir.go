package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/referral-ledger/ledger/config"
	"github.com/referral-ledger/ledger/datadir"
	"github.com/referral-ledger/ledger/eventstore/sqlite"
	"github.com/referral-ledger/ledger/keystore"
	keysqlite "github.com/referral-ledger/ledger/keystore/sqlite"
)

// lockDataDir creates the data directory if need be and takes its writer
// lock (R-OPS-2), before any other file in it is touched. Every command
// that writes the directory holds it until it ends; a second one gets a
// *datadir.HeldError naming the holder.
func lockDataDir(dir string) (*datadir.Lock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	return datadir.Acquire(dir, commandLine())
}

// lockExistingDataDir takes the writer lock of a data directory that must
// already exist, for the tools that work on one (migrate,
// rotate-master-key).
func lockExistingDataDir(dir string) (*datadir.Lock, error) {
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return nil, fmt.Errorf("no data directory at %s (data_dir, LEDGER_DATA_DIR)", dir)
	}
	return datadir.Acquire(dir, commandLine())
}

// requireLedger refuses a maintenance command (retention, rebuild-views,
// admin, migrate) on a data directory without its event log, or without
// the key store beside a log that has run (R-PRIV-4), before it
// takes the lock or opens anything: opening the stores would start a new,
// empty ledger there, master key included, and the command would report
// success on nothing (R-OPS-4). Only serve starts a ledger.
func requireLedger(cfg config.Config) error {
	if info, err := os.Stat(cfg.DataDir); err != nil || !info.IsDir() {
		return fmt.Errorf("no data directory at %s (data_dir, LEDGER_DATA_DIR)", cfg.DataDir)
	}
	if cfg.Store != config.StoreSQLite {
		return nil
	}
	path := filepath.Join(cfg.DataDir, eventsFile)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no ledger at %s: restore it from a backup, or point data_dir at the right directory", path)
	}
	// Nor beside a log that has run, without the key store that log's
	// clients' keys are in: opening the stores would make a new, empty
	// one, and the next start would find every client's key missing
	// there, as if the keys were lost then. serve alone may start without
	// them (--allow-missing-keys), saying what it serves.
	if keyStoreGone(cfg) {
		return fmt.Errorf("no key store at %s, though the event log beside it is not empty: keys.db was deleted or moved. "+
			"Put it back, or restore a backup (ledger restore --from DIR), then run this again; nothing was changed. "+
			"If `ledger migrate --to postgres` moved the keys to PostgreSQL, set keystore: postgres (LEDGER_KEYSTORE)",
			filepath.Join(cfg.DataDir, keysqlite.FileName))
	}
	return nil
}

// keyStoreGone reports whether the embedded key store is missing beside an
// embedded event log that is not empty: the key store is made at a
// ledger's first start, so it was deleted or moved.
func keyStoreGone(cfg config.Config) bool {
	if cfg.Store != config.StoreSQLite || cfg.KeyStore != config.KeyStoreSQLite {
		return false
	}
	path := filepath.Join(cfg.DataDir, eventsFile)
	if _, err := os.Stat(path); err != nil || emptyLog(path) {
		return false
	}
	_, err := os.Stat(filepath.Join(cfg.DataDir, keysqlite.FileName))
	return errors.Is(err, fs.ErrNotExist)
}

// commandLine is how this process names itself in the lock file, e.g.
// "ledger serve". Flags are left out: they may hold paths an operator
// would rather not show another user.
func commandLine() string {
	words := []string{filepath.Base(os.Args[0])}
	for _, a := range os.Args[1:] {
		if strings.HasPrefix(a, "-") {
			break
		}
		words = append(words, a)
	}
	return strings.Join(words, " ")
}

// openReader opens the data directory for a read-only tool (verify,
// history), which must never create or change a file in it (R-OPS-2).
func openReader(cfg config.Config) (*datadir.Reader, error) {
	r, err := datadir.OpenReader(cfg.DataDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no data directory at %s (data_dir, LEDGER_DATA_DIR)", cfg.DataDir)
	}
	return r, err
}

// closeInto closes c, keeping its error in *err unless *err already holds
// one: `defer closeInto(&err, r)` for a named error result.
func closeInto(err *error, c interface{ Close() error }) {
	if cerr := c.Close(); *err == nil {
		*err = cerr
	}
}

// openEventsReadOnly opens the data directory's event log for reading.
func openEventsReadOnly(r *datadir.Reader) (*sqlite.Store, error) {
	f, err := r.SQLite(eventsFile)
	if err != nil {
		return nil, noFile(r, eventsFile, "ledger", err)
	}
	var opts []sqlite.Option
	if f.Immutable {
		opts = append(opts, sqlite.WithImmutable())
	}
	return sqlite.OpenReadOnly(f.Path, opts...)
}

// openKeysReadOnly opens the data directory's key store for reading, under
// the configured master key, creating neither the store nor a master key.
func openKeysReadOnly(cfg config.Config, r *datadir.Reader) (keystore.Store, error) {
	if err := unfinishedRotation(r.Dir()); err != nil {
		return nil, err
	}
	kek, err := findMasterKey(cfg)
	if err != nil {
		return nil, err
	}
	f, err := r.SQLite(keysqlite.FileName)
	if err != nil {
		return nil, noFile(r, keysqlite.FileName, "key store", err)
	}
	var opts []keysqlite.Option
	if f.Immutable {
		opts = append(opts, keysqlite.WithImmutable())
	}
	ks, err := keysqlite.OpenReadOnly(f.Path, kek, opts...)
	if sqlite.IsDamaged(err) {
		return nil, fmt.Errorf("key store: %s is damaged (%v): restore it from a backup (ledger restore), "+
			"which keeps erased clients erased", filepath.Join(cfg.DataDir, keysqlite.FileName), err)
	}
	if err != nil {
		return nil, fmt.Errorf("key store: %w", err)
	}
	return ks, nil
}

// noFile explains a missing file of the data directory.
func noFile(r *datadir.Reader, name, what string, err error) error {
	path := filepath.Join(r.Dir(), name)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no %s at %s: restore it from a backup, or point data_dir at the right directory", what, path)
	}
	return fmt.Errorf("%s at %s: %w", what, path, err)
}

// findMasterKey is the configured master key, like keystore.ResolveMasterKey
// but never generating one: a read-only tool that finds none says so.
func findMasterKey(cfg config.Config) (keystore.MasterKey, error) {
	if strings.TrimSpace(cfg.MasterKey) != "" || cfg.MasterKeyFile != "" {
		k, _, _, err := keystore.ResolveMasterKey(cfg.MasterKey, cfg.MasterKeyFile, "")
		if err != nil {
			return k, fmt.Errorf("master key (LEDGER_MASTER_KEY or master_key_file): %w", err)
		}
		return k, nil
	}
	path := filepath.Join(cfg.DataDir, keystore.MasterKeyFileName)
	k, err := keystore.LoadMasterKeyFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return k, fmt.Errorf("no master key: LEDGER_MASTER_KEY and master_key_file are not set and %s does not exist", path)
	}
	return k, err
}

// keyStoreJournals are the files SQLite keeps beside keys.db.
var keyStoreJournals = []string{"-wal", "-shm", "-journal"}

// keyStoreFiles lists keys.db and its journals as far as they are in dir.
func keyStoreFiles(dir string) []string {
	var left []string
	for _, suffix := range append([]string{""}, keyStoreJournals...) {
		name := keysqlite.FileName + suffix
		if _, err := os.Lstat(filepath.Join(dir, name)); !errors.Is(err, fs.ErrNotExist) {
			left = append(left, name)
		}
	}
	return left
}

// leftoverKeyStore refuses a data directory that still holds keys.db (or a
// journal of it) when the configuration keeps client keys in PostgreSQL
// (keystore: postgres): nothing would read or write that file again, so
// every client erased from then on would keep a wrapped key there that the
// master key still opens (R-PRIV-4). The file is not removed here: only
// `ledger migrate --to postgres` knows every key in it is in PostgreSQL.
func leftoverKeyStore(cfg config.Config) error {
	if cfg.KeyStore != config.KeyStorePostgres {
		return nil
	}
	left := keyStoreFiles(cfg.DataDir)
	if len(left) == 0 {
		return nil
	}
	paths := make([]string, len(left))
	for i, name := range left {
		paths[i] = filepath.Join(cfg.DataDir, name)
	}
	return fmt.Errorf("%s is still in the data directory, but client keys are kept in PostgreSQL (keystore: postgres): "+
		"nothing would use it again, and a client erased from now on would keep a key there that the master key opens. "+
		"Run `ledger migrate --to postgres` (the server stopped): it copies any key PostgreSQL lacks, checks every one "+
		"and removes the file; or remove %s yourself once you have checked PostgreSQL holds every key. Nothing was changed",
		strings.Join(paths, ", "), strings.Join(left, ", "))
}
