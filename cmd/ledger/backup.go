package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/referral-ledger/ledger/config"
	"github.com/referral-ledger/ledger/datadir"
	"github.com/referral-ledger/ledger/keystore"
	keysqlite "github.com/referral-ledger/ledger/keystore/sqlite"
	"github.com/referral-ledger/ledger/projections"
)

// Backup layout: the event log and the side databases at the top of the
// backup directory, the key store (and master.key, when it lives in the
// data directory) in keysDir, so that it can be stored and expired apart:
// a key-store backup is the one thing that can bring erased clients' data
// back (R-OPS-3, R-PRIV-8). Each folder has a manifest in sha256sum's
// format, so `sha256sum -c SHA256SUMS` checks it too.
const (
	keysDir      = "keys"
	manifestFile = "SHA256SUMS"
	sessionsFile = "sessions.db"
)

// backupCommand copies the data directory's databases, online.
func backupCommand(configFile *string, stdout io.Writer) *cobra.Command {
	var to string
	var noKeys bool
	cmd := &cobra.Command{
		Use:   "backup --to DIR",
		Short: "Take a consistent copy of the ledger and its side databases, beside a running server or not",
		Long: `Copies every database of the data directory into DIR (which must not exist or be
empty, and must not be inside the data directory) with SQLite's VACUUM INTO: each copy is one consistent snapshot, and
holds no freed pages. It reads only, so it runs beside a running server.

The side databases (sessions, idempotency, notifications) are copied first,
then the event log, then the key store, into DIR/keys: so every client in the
copied log has its key in the copied key store. With --no-keys the key store
is left out: back it up on its own schedule, and keep those backups only as
long as you must (they are the one thing that can bring erased clients' data
back).

DIR/SHA256SUMS and DIR/keys/SHA256SUMS list every file's SHA-256; ledger
restore checks them. A backup that fails removes what it wrote into DIR (and
DIR, when it made it): no partial copy stays behind.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if to == "" {
				return errors.New("--to: name the directory to write the backup to")
			}
			cfg, err := loadConfig(*configFile)
			if err != nil {
				return err
			}
			return backup(cmd.Context(), cfg, to, !noKeys, stdout)
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "directory to write the backup to (created; must be empty)")
	cmd.Flags().BoolVar(&noKeys, "no-keys", false, "leave the key store out (back it up separately)")
	return cmd
}

// backedUp is one file a backup wrote: its path relative to the folder's
// manifest, and its SHA-256.
type backedUp struct {
	name, sum string
	size      int64
}

// backup writes the backup of cfg's data directory to dir (R-OPS-3). It
// never takes the writer lock: beside a running server it reads through
// the server's WAL; with none it holds the lock shared, so none starts
// meanwhile.
func backup(ctx context.Context, cfg config.Config, dir string, withKeys bool, stdout io.Writer) (err error) {
	// Mid-rotation, some keys may be under a master key no backup would
	// record.
	if err := unfinishedRotation(cfg.DataDir); err != nil {
		return fmt.Errorf("backup refused: %w", err)
	}
	if err := unfinishedRestore(cfg.DataDir); err != nil {
		return fmt.Errorf("backup refused: %w", err)
	}
	if inside(cfg.DataDir, dir) {
		return fmt.Errorf("backup refused: --to %s is inside the data directory %s, where a copy of the key store "+
			"would outlive every erasure (R-PRIV-4); write it to another disk or folder", dir, cfg.DataDir)
	}
	r, err := openReader(cfg)
	if err != nil {
		return err
	}
	created, err := emptyDir(dir)
	if err != nil {
		return errors.Join(err, r.Close())
	}
	// A backup that fails leaves nothing behind: no partial copy, and in
	// particular no copy of the key store taken before the keys of erased
	// clients were left out of it (R-PRIV-8, R-OPS-3). It runs after the
	// reader is closed, which fails the backup if a writer started.
	defer func() {
		if err != nil {
			if rerr := discardBackup(dir, created); rerr != nil {
				err = fmt.Errorf("%w; removing the unfinished backup in %s failed too, delete it by hand: %v", err, dir, rerr)
			}
		}
	}()
	defer closeInto(&err, r)
	names, err := databasesOf(cfg)
	if err != nil {
		return err
	}
	var top []backedUp
	for _, name := range names {
		f, err := copyDatabase(ctx, r, name, dir)
		if err != nil {
			return err
		}
		top = append(top, f)
	}
	if cfg.Store == config.StoreKurrentDB {
		fmt.Fprintln(stdout, "note: the event log is in KurrentDB (kurrentdb_url): back it up with KurrentDB's own tools")
	}
	var keys []backedUp
	switch {
	case !withKeys:
		fmt.Fprintln(stdout, "note: --no-keys: the key store is not in this backup; back it up separately")
	case cfg.KeyStore == config.KeyStorePostgres:
		fmt.Fprintln(stdout, "note: the key store is in PostgreSQL (postgres_url): back it up with pg_dump, on the key-store schedule")
		// Never copied (databasesOf leaves it out), but named: it holds
		// keys no erasure from now on reaches (R-PRIV-4).
		if left := keyStoreFiles(cfg.DataDir); len(left) > 0 {
			fmt.Fprintf(stdout, "warning: %s, left in %s from before the keys moved to PostgreSQL, is not in this backup; "+
				"remove it with `ledger migrate --to postgres` (the server refuses to start until then)\n",
				strings.Join(left, ", "), cfg.DataDir)
		}
	default:
		if keys, err = backupKeys(ctx, cfg, r, filepath.Join(dir, keysDir), stdout); err != nil {
			return err
		}
	}
	if err := writeManifest(dir, top); err != nil {
		return err
	}
	if keys != nil {
		if err := writeManifest(filepath.Join(dir, keysDir), keys); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "backup of %s written to %s:\n", cfg.DataDir, dir)
	for _, f := range top {
		fmt.Fprintf(stdout, "  %s  %s (%d bytes)\n", f.sum, f.name, f.size)
	}
	for _, f := range keys {
		fmt.Fprintf(stdout, "  %s  %s (%d bytes)\n", f.sum, filepath.Join(keysDir, f.name), f.size)
	}
	fmt.Fprintf(stdout, "manifests: %s", filepath.Join(dir, manifestFile))
	if keys != nil {
		fmt.Fprintf(stdout, ", %s", filepath.Join(dir, keysDir, manifestFile))
	}
	fmt.Fprintln(stdout)
	return nil
}

// databasesOf lists the SQLite files of the data directory a backup
// copies, in the order it copies them: the side databases first (sessions,
// idempotency, notifications, and any other *.db), then the event log, so
// that what the side databases refer to is in the copied log. The key store
// comes after, apart.
func databasesOf(cfg config.Config) ([]string, error) {
	matches, err := filepath.Glob(filepath.Join(cfg.DataDir, "*.db"))
	if err != nil {
		return nil, err
	}
	var names []string
	for _, m := range matches {
		name := filepath.Base(m)
		// views.db is derived from the log and rebuilt from it: it is
		// not backed up, so no backup holds the known clients index's
		// marks of a client erased later (R-OPS-3).
		if name != eventsFile && name != keysqlite.FileName && name != projections.ViewsFile {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	if cfg.Store == config.StoreSQLite {
		if _, err := os.Stat(filepath.Join(cfg.DataDir, eventsFile)); err != nil {
			return nil, fmt.Errorf("no ledger at %s: nothing to back up", filepath.Join(cfg.DataDir, eventsFile))
		}
		names = append(names, eventsFile)
	}
	return names, nil
}

// backupKeys copies the key store into dir, and data_dir/master.key with it
// when the configuration uses that file.
func backupKeys(ctx context.Context, cfg config.Config, r *datadir.Reader, dir string, stdout io.Writer) ([]backedUp, error) {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, err
	}
	kek, err := findMasterKey(cfg)
	if err != nil {
		return nil, err
	}
	f, err := copyDatabase(ctx, r, keysqlite.FileName, dir)
	if err != nil {
		return nil, err
	}
	// The copy must open under the configured master key, or it is no
	// backup.
	ks, err := keysqlite.OpenReadOnly(filepath.Join(dir, keysqlite.FileName), kek, keysqlite.WithImmutable())
	if err != nil {
		return nil, fmt.Errorf("the copied key store does not open under master key %s: %w", kek.ID, err)
	}
	_ = ks.Close()
	// A key store put back from before an erasure holds the erased
	// client's key again until a writer destroys it: the copy never keeps
	// it, so no backup taken after an erasure can bring the client back
	// (R-PRIV-8, R-OPS-3).
	if log := filepath.Join(filepath.Dir(dir), eventsFile); cfg.Store == config.StoreSQLite {
		erased, err := erasedInLog(ctx, log)
		if err != nil {
			return nil, fmt.Errorf("backup of %s: reading the copied log's erasures: %w", keysqlite.FileName, err)
		}
		n, err := destroyKeys(ctx, filepath.Join(dir, keysqlite.FileName), kek, erased)
		if err != nil {
			return nil, fmt.Errorf("backup of %s: leaving out erased clients' keys: %w", keysqlite.FileName, err)
		}
		if n > 0 {
			fmt.Fprintf(stdout, "note: %d keys of erased clients were back in the key store (restored from an older copy?) and are left out of this backup; "+
				"the server destroys them at its next start\n", n)
		}
		if f, err = seal(filepath.Join(dir, keysqlite.FileName)); err != nil {
			return nil, err
		}
	}
	files := []backedUp{f}
	if strings.TrimSpace(cfg.MasterKey) != "" || cfg.MasterKeyFile != "" {
		fmt.Fprintf(stdout, "note: the master key (id %s) is not in this backup: the key store opens only with it, keep it safe apart\n", kek.ID)
		return files, nil
	}
	mk, err := copyPlain(filepath.Join(cfg.DataDir, keystore.MasterKeyFileName), filepath.Join(dir, keystore.MasterKeyFileName))
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stdout, "warning: the master key (id %s) lives in the data directory, so it is in this backup beside the keys it protects: "+
		"move it out (master_key_file) and keep it apart from key-store backups\n", kek.ID)
	return append(files, mk), nil
}

// copyDatabase writes a consistent copy of the data directory's SQLite
// file name into dir with VACUUM INTO, reading it as r says (read-only,
// through a running writer's WAL or immutable), then fsyncs it.
func copyDatabase(ctx context.Context, r *datadir.Reader, name, dir string) (backedUp, error) {
	src, err := r.SQLite(name)
	if err != nil {
		return backedUp{}, fmt.Errorf("backup of %s: %w", name, err)
	}
	q := url.Values{"mode": {"ro"}, "_pragma": {"busy_timeout(10000)"}}
	if src.Immutable {
		q.Set("immutable", "1")
	}
	db, err := sql.Open("sqlite", "file:"+escapePath(src.Path)+"?"+q.Encode())
	if err != nil {
		return backedUp{}, err
	}
	defer db.Close()
	tmp := filepath.Join(dir, "."+name+".partial")
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", tmp); err != nil {
		_ = os.Remove(tmp)
		return backedUp{}, fmt.Errorf("backup of %s: %w", name, err)
	}
	final := filepath.Join(dir, name)
	if err := os.Rename(tmp, final); err != nil {
		return backedUp{}, err
	}
	return seal(final)
}

// copyPlain copies a small file durably.
func copyPlain(from, to string) (backedUp, error) {
	b, err := os.ReadFile(from)
	if err != nil {
		return backedUp{}, err
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		return backedUp{}, err
	}
	return seal(to)
}

// seal fsyncs path and returns its name, size and SHA-256.
func seal(path string) (backedUp, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return backedUp{}, err
	}
	defer f.Close()
	if err := f.Chmod(0o600); err != nil {
		return backedUp{}, err
	}
	if err := f.Sync(); err != nil {
		return backedUp{}, err
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return backedUp{}, err
	}
	return backedUp{name: filepath.Base(path), sum: hex.EncodeToString(h.Sum(nil)), size: n}, nil
}

// writeManifest writes dir/SHA256SUMS listing files, durably.
func writeManifest(dir string, files []backedUp) error {
	var b strings.Builder
	for _, f := range files {
		fmt.Fprintf(&b, "%s  %s\n", f.sum, f.name)
	}
	if err := os.WriteFile(filepath.Join(dir, manifestFile), []byte(b.String()), 0o600); err != nil {
		return err
	}
	if _, err := seal(filepath.Join(dir, manifestFile)); err != nil {
		return err
	}
	return syncDir(dir)
}

// emptyDir makes dir, or accepts it if it exists and is empty: a backup
// never overwrites another. It reports whether it made dir.
func emptyDir(dir string) (created bool, err error) {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return true, os.MkdirAll(dir, 0o700)
	case err != nil:
		return false, err
	case len(entries) > 0:
		return false, fmt.Errorf("--to %s is not empty: a backup never overwrites another; name a new directory", dir)
	}
	return false, os.Chmod(dir, 0o700)
}

// discardBackup removes what a failed backup wrote into dir, which was
// empty when it began: dir itself when the backup made it.
func discardBackup(dir string, created bool) error {
	if created {
		return os.RemoveAll(dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		errs = append(errs, os.RemoveAll(filepath.Join(dir, e.Name())))
	}
	return errors.Join(errs...)
}

// escapePath escapes what SQLite URIs give a meaning to.
func escapePath(path string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
}

// inside reports whether path is dir or lies under it, once both are made
// absolute and their symbolic links followed (as far as path exists).
func inside(dir, path string) bool {
	d, err := resolved(dir)
	if err != nil {
		return false
	}
	p, err := resolved(path)
	if err != nil {
		return false
	}
	rel, err := filepath.Rel(d, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// resolved is path made absolute, with the symbolic links of its longest
// existing prefix followed.
func resolved(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	var rest []string
	for p := abs; ; p = filepath.Dir(p) {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Join(append([]string{real}, rest...)...), nil
		}
		if filepath.Dir(p) == p {
			return abs, nil
		}
		rest = append([]string{filepath.Base(p)}, rest...)
	}
}
