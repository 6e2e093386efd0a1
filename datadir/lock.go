// Package datadir owns the data directory as a whole: the lock that lets
// only one process write it at a time (R-OPS-2), how the read-only tools
// open its SQLite files without creating or changing any file, and the
// modes that keep it private (R-PRIV-4).
package datadir

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// LockFileName is the lock file in the data directory. Its content is the
// holder's process id and command, for the message a second process gets;
// the lock itself is an flock(2) on it, which the kernel releases when the
// holder exits, however it exits.
const LockFileName = "ledger.lock"

// Lock is the exclusive hold a writing process has on a data directory.
type Lock struct {
	f *os.File
}

// HeldError is the answer to a process that wants to write a data
// directory another process holds.
type HeldError struct {
	Dir string
	// Readers says read-only tools (verify, history) hold it, not a writer.
	Readers bool
	// PID and Command name the writer holding it, as it recorded them; PID
	// is 0 if it recorded none (yet).
	PID     int
	Command string
}

// Error names the holder and what to do.
func (e *HeldError) Error() string {
	if e.Readers {
		return fmt.Sprintf("data directory %s is being read by a read-only tool (ledger verify or ledger history); "+
			"wait for it to finish, then retry", e.Dir)
	}
	who := "another process"
	if e.PID > 0 {
		who = "process " + strconv.Itoa(e.PID)
	}
	if e.Command != "" {
		who += " (" + e.Command + ")"
	}
	return fmt.Sprintf("data directory %s is in use by %s: only one process may write it at a time; "+
		"stop that one first (ledger verify and ledger history work beside it)", e.Dir, who)
}

// Acquire takes the data directory's writer lock for command (how the
// message another process gets names this one, e.g. "ledger serve"; no
// secrets), creating the lock
// file if need be, and records this process's id in it. It does not wait:
// if another process holds the lock it returns a *HeldError naming it, and
// has touched no file but the lock file. The directory must exist.
func Acquire(dir, command string) (*Lock, error) {
	path := filepath.Join(dir, LockFileName)
	// Private like every file of the directory (R-PRIV-4): the directory
	// is 0700, so only the ledger's own account runs the tools anyway.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, FileMode)
	if err != nil {
		return nil, fmt.Errorf("data directory lock: %w", err)
	}
	if err := flock(f, syscall.LOCK_EX); err != nil {
		defer f.Close()
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("data directory lock %s: %w", path, err)
		}
		return nil, holder(dir, f)
	}
	// The content only informs; the flock is the lock.
	record := fmt.Sprintf("%d\n%s\n", os.Getpid(), strings.ReplaceAll(command, "\n", " "))
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(record), 0)
	}
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("data directory lock %s: %w", path, err)
	}
	return &Lock{f: f}, nil
}

// holder describes who holds the lock on f: a writer (exclusive, its
// recorded id) or readers (shared; a shared try then succeeds).
func holder(dir string, f *os.File) error {
	if flock(f, syscall.LOCK_SH) == nil {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		return &HeldError{Dir: dir, Readers: true}
	}
	e := &HeldError{Dir: dir}
	b, _ := io.ReadAll(io.LimitReader(f, 256))
	lines := strings.SplitN(string(b), "\n", 3)
	if pid, err := strconv.Atoi(strings.TrimSpace(lines[0])); err == nil && pid > 0 {
		e.PID = pid
	}
	if len(lines) > 1 {
		e.Command = strings.TrimSpace(lines[1])
	}
	return e
}

// Release gives the lock up. The file stays, so the next writer reuses it;
// it may be repeated.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the last descriptor releases the flock
	l.f = nil
	return err
}

// flock tries to take the lock how (LOCK_EX or LOCK_SH) without waiting.
func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}
