package datadir

// The data directory's files hold every user's password hash, the client
// keys and the event log, so they are created 0600 in a 0700 directory
// whatever the process's umask (R-PRIV-4).

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// FileMode and DirMode are the modes of the data directory's files and of
// the directory itself.
const (
	FileMode fs.FileMode = 0o600
	DirMode  fs.FileMode = 0o700
)

// sqliteSuffixes are the files SQLite keeps beside a database. It creates
// them with the database file's mode, so a 0600 database keeps them 0600.
var sqliteSuffixes = []string{"-wal", "-shm", "-journal"}

// PrepareSQLite makes the SQLite database file at path exist with mode
// 0600 before SQLite opens it: SQLite would create it 0644 less the umask.
// An existing database, and any journal beside it, that is readable by
// others is tightened to 0600. In-memory and URI paths are left alone.
func PrepareSQLite(path string) error {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, FileMode)
	if err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Base(path), err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	for _, p := range append([]string{path}, suffixed(path)...) {
		if _, err := tighten(p, FileMode); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

func suffixed(path string) []string {
	out := make([]string, len(sqliteSuffixes))
	for i, s := range sqliteSuffixes {
		out[i] = path + s
	}
	return out
}

// Prepare creates the data directory 0700 if absent and tightens an
// existing one, and every file directly in it, that others may read or
// enter. It returns the names of what it tightened (the directory as "."),
// for the caller to log.
func Prepare(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, DirMode); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	var tightened []string
	if changed, err := tighten(dir, DirMode); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	} else if changed {
		tightened = append(tightened, ".")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return tightened, fmt.Errorf("data directory: %w", err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		changed, err := tighten(filepath.Join(dir, e.Name()), FileMode)
		if err != nil {
			return tightened, fmt.Errorf("data directory: %w", err)
		}
		if changed {
			tightened = append(tightened, e.Name())
		}
	}
	return tightened, nil
}

// tighten removes from path's mode every permission beyond want, reporting
// whether there were any.
func tighten(path string, want fs.FileMode) (bool, error) {
	info, err := os.Stat(path)
	if err != nil {
		return false, err
	}
	mode := info.Mode().Perm()
	if mode&^want == 0 {
		return false, nil
	}
	return true, os.Chmod(path, mode&want)
}
