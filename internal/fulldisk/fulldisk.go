// Package fulldisk gives tests a real filesystem they can fill and free:
// a small tmpfs mounted on a temporary directory (R-OPS-4). Mounting needs
// root; tests that use it are skipped otherwise.
package fulldisk

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Disk is a mounted tmpfs.
type Disk struct {
	Dir    string // the mount point
	filler string
}

// Mount mounts a tmpfs of size bytes on a new temporary directory and
// unmounts it when the test ends. It skips tb when the process is not
// root or the kernel refuses the mount.
func Mount(tb testing.TB, size string) *Disk {
	tb.Helper()
	if os.Geteuid() != 0 {
		tb.Skip("mounting a small filesystem to fill needs root")
	}
	dir := tb.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size+",mode=0700"); err != nil {
		tb.Skipf("cannot mount a tmpfs to fill: %v", err)
	}
	tb.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			tb.Errorf("unmount %s: %v", dir, err)
		}
	})
	return &Disk{Dir: dir, filler: filepath.Join(dir, "filler")}
}

// Fill writes a filler file until the filesystem has no byte left.
func (d *Disk) Fill(tb testing.TB) {
	tb.Helper()
	f, err := os.OpenFile(d.filler, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	for chunk := 1 << 16; chunk > 0; chunk /= 2 {
		buf := make([]byte, chunk)
		for {
			if _, err := f.Write(buf); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					tb.Fatal(err)
				}
				break
			}
		}
	}
}

// Free deletes the filler file.
func (d *Disk) Free(tb testing.TB) {
	tb.Helper()
	if err := os.Remove(d.filler); err != nil {
		tb.Fatal(err)
	}
}
