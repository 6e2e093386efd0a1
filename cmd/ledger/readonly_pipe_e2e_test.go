package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestReadOnlyToolCutShortLeavesNoCopy_PRIV4: after a crash, a read-only
// tool reads private copies of the files the crash left with a
// write-ahead log, the key store's among them, outside the data
// directory. A tool whose output is cut short, as `ledger history ID |
// head` does, must still remove them: a copy of the key store left in the
// temporary directory would keep a client's key after their erasure.
func TestReadOnlyToolCutShortLeavesNoCopy_PRIV4(t *testing.T) {
	dir, tmp := t.TempDir(), t.TempDir()
	n, cmd := serveChild(t, dir)
	ann, to := twoOrganisations(t, n)
	id := n.must(t, 201, "POST", "/v1/referrals", ann, map[string]any{"to_organisation_id": to, "urgent": false,
		"client": map[string]string{"name": "Erin Qz6piped", "date_of_birth": "1979-03-04"}, "reason": "Qz6reason",
		"consent": map[string]any{"method": "written", "confirmed": true}, "privacy_notice_given": true})["id"].(string)
	_ = cmd.Process.Kill() // leaves events.db and keys.db with their write-ahead logs
	_ = cmd.Wait()
	if info, err := os.Stat(filepath.Join(dir, "keys.db-wal")); err != nil || info.Size() == 0 {
		t.Fatalf("the crash left no write-ahead log of the key store to copy: %v", err)
	}

	for _, args := range [][]string{{"history", id}, {"verify"}, {"retention", "--dry-run"}} {
		// Nobody reads the output: the first write finds the pipe closed.
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		_ = r.Close()
		c := child(t, dir, args...)
		c.Env = append(c.Env, "TMPDIR="+tmp)
		c.Stdout = w
		_ = c.Run()
		_ = w.Close()
		left, err := filepath.Glob(filepath.Join(tmp, "ledger-read-*"))
		if err != nil {
			t.Fatal(err)
		}
		if len(left) > 0 {
			t.Errorf("ledger %v, its output cut short, left its private copies behind: %v", args, left)
			for _, d := range left {
				_ = os.RemoveAll(d)
			}
		}
	}
}

// TestReadOnlyToolHungUpLeavesNoCopy_PRIV4: a read-only tool whose
// terminal closes (SIGHUP) while it reads a crashed data directory stops
// as on Ctrl-C, removing its private copies, key store included.
func TestReadOnlyToolHungUpLeavesNoCopy_PRIV4(t *testing.T) {
	dir, tmp := t.TempDir(), t.TempDir()
	n, cmd := serveChild(t, dir)
	ann, to := twoOrganisations(t, n)
	id := n.must(t, 201, "POST", "/v1/referrals", ann, map[string]any{"to_organisation_id": to, "urgent": false,
		"client": map[string]string{"name": "Erin Qz5hungup", "date_of_birth": "1979-03-04"}, "reason": "Qz5reason",
		"consent": map[string]any{"method": "written", "confirmed": true}, "privacy_notice_given": true})["id"].(string)
	// More history than a pipe holds, so the tool is still writing it.
	for range 40 {
		n.must(t, 201, "POST", "/v1/referrals/"+id+"/notes", ann, map[string]any{"text": strings.Repeat("Qz5 note ", 200)})
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()

	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	c := child(t, dir, "history", id)
	c.Env = append(c.Env, "TMPDIR="+tmp)
	c.Stdout = w
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	_ = w.Close()
	// It has begun writing, so it has made its copies; the pipe is full.
	if _, err := io.ReadFull(r, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	if err := c.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	_ = r.Close()
	_ = c.Wait()
	if left, _ := filepath.Glob(filepath.Join(tmp, "ledger-read-*")); len(left) > 0 {
		t.Errorf("ledger history, hung up, left its private copies behind: %v", left)
	}
}
