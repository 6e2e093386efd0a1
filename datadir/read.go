package datadir

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Reader is a read-only tool's view of a data directory. It never creates
// or changes a file there. When no writer runs, it holds the lock shared,
// so none can start while it reads (a writer trying is told a read-only
// tool holds the directory), and the SQLite files can be opened immutable:
// without locks, and without the -wal and -shm files SQLite would otherwise
// create. When a writer runs, files are opened read-only beside it, through
// the writer's own WAL.
type Reader struct {
	dir      string
	lock     *os.File // held shared; nil when a writer runs or no lock file exists
	live     bool
	lockLess bool   // there was no lock file: checked again on Close
	tmp      string // private copies of files left mid-write by a crash
}

// File is how a read-only tool opens one SQLite file of the directory.
type File struct {
	// Path is the file to open: the one in the data directory, or a
	// private copy of it outside (see Reader.SQLite).
	Path string
	// Immutable says no process can change the file while it is open:
	// open it with SQLite's immutable=1, which takes no locks and creates
	// no file. Otherwise open it read-only (mode=ro).
	Immutable bool
}

// ErrWriterStarted means a writer started on a directory that had never had
// one while a read-only tool read it; what was read may be inconsistent.
var ErrWriterStarted = errors.New("datadir: a writer started on the data directory while it was read; run the tool again")

// OpenReader opens dir for a read-only tool. It fails if dir does not
// exist; it creates nothing.
func OpenReader(dir string) (*Reader, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("data directory %s is not a directory", dir)
	}
	r := &Reader{dir: dir}
	f, err := os.Open(filepath.Join(dir, LockFileName))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// No writer of this version has ever run here. One that starts
		// now creates the file first; Close looks for it.
		r.lockLess = true
		return r, nil
	case err != nil:
		return nil, fmt.Errorf("data directory lock: %w", err)
	}
	switch err := flock(f, syscall.LOCK_SH); {
	case err == nil:
		r.lock = f
	case errors.Is(err, syscall.EWOULDBLOCK):
		f.Close()
		r.live = true
	default:
		f.Close()
		return nil, fmt.Errorf("data directory lock: %w", err)
	}
	return r, nil
}

// Live reports whether a writer (a running server) holds the directory.
func (r *Reader) Live() bool { return r.live }

// Dir is the data directory.
func (r *Reader) Dir() string { return r.dir }

// SQLite says how to open the SQLite file name of the directory without
// changing anything there. It returns an error wrapping fs.ErrNotExist if
// the file does not exist.
//
// With a writer running, the file is opened read-only through the writer's
// WAL. With none, it is opened immutable, unless a crash left a write-ahead
// log (name-wal) that is not yet folded into it: SQLite can only read that
// by writing a -shm index beside it, so the file and its log are copied to
// a private directory outside the data directory and that copy is opened.
func (r *Reader) SQLite(name string) (File, error) {
	path := filepath.Join(r.dir, name)
	if _, err := os.Stat(path); err != nil {
		return File{}, err
	}
	if r.live {
		return File{Path: path}, nil
	}
	wal, err := os.Stat(path + "-wal")
	switch {
	case errors.Is(err, fs.ErrNotExist) || err == nil && wal.Size() == 0:
		return File{Path: path, Immutable: true}, nil
	case err != nil:
		return File{}, err
	}
	if r.tmp == "" {
		if r.tmp, err = os.MkdirTemp("", "ledger-read-"); err != nil {
			return File{}, fmt.Errorf("copying %s, which a crash left with a write-ahead log: %w", name, err)
		}
	}
	copyPath := filepath.Join(r.tmp, name)
	for _, suffix := range []string{"", "-wal"} {
		if err := CopyFile(path+suffix, copyPath+suffix); err != nil {
			return File{}, fmt.Errorf("copying %s, which a crash left with a write-ahead log: %w", name, err)
		}
	}
	return File{Path: copyPath}, nil
}

// Close releases the shared lock and removes any private copies. It
// returns ErrWriterStarted if the directory had no lock file when opened
// and has one now: a writer started during the read.
func (r *Reader) Close() error {
	var errs []error
	if r.lock != nil {
		errs = append(errs, r.lock.Close())
		r.lock = nil
	}
	if r.tmp != "" {
		errs = append(errs, os.RemoveAll(r.tmp))
		r.tmp = ""
	}
	if r.lockLess {
		if _, err := os.Stat(filepath.Join(r.dir, LockFileName)); err == nil {
			errs = append(errs, ErrWriterStarted)
		}
	}
	return errors.Join(errs...)
}

// CopyFile copies from into to, a new private file (FileMode), however
// large; it fails if to exists.
func CopyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, FileMode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
