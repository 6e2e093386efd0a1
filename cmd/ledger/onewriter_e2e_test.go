package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/referral-ledger/ledger/datadir"
)

// TestLedgerChild runs the command line in LEDGER_TEST_CHILD_ARGS (a JSON
// list) as the binary would, exiting with its exit code; the process tests
// start it. It skips itself otherwise.
func TestLedgerChild(t *testing.T) {
	raw := os.Getenv("LEDGER_TEST_CHILD_ARGS")
	if raw == "" {
		t.Skip("child process of the process tests")
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		panic(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	if err := run(ctx, args, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "ledger:", err)
		os.Exit(exitCode(err))
	}
	os.Exit(0)
}

// child is the ledger command line args run in a process of its own on the
// data directory dir.
func child(t *testing.T, dir string, args ...string) *exec.Cmd {
	t.Helper()
	raw, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^TestLedgerChild$")
	cmd.Env = append(os.Environ(), "LEDGER_TEST_CHILD_ARGS="+string(raw), "LEDGER_DATA_DIR="+dir,
		"LEDGER_HTTP_ADDR=127.0.0.1:0", "LEDGER_BOOTSTRAP_PASSWORD="+adminPassword, "LEDGER_LOG_FORMAT=json")
	return cmd
}

// runChild runs args in a child process to the end: its exit code and
// stderr.
func runChild(t *testing.T, dir string, args ...string) (int, string) {
	t.Helper()
	cmd := child(t, dir, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return exit.ExitCode(), stderr.String()
	case err != nil:
		t.Fatal(err)
	}
	return 0, stderr.String()
}

// serveChild starts `ledger serve` (with flags, if any) in a child
// process on dir; it is stopped when the test ends if it still runs.
func serveChild(t *testing.T, dir string, flags ...string) (*node, *exec.Cmd) {
	t.Helper()
	n, cmd, _ := serveChildLogged(t, dir, flags...)
	return n, cmd
}

// serveChildLogged is serveChild, also giving what the child writes to
// stderr (its log): read it only once cmd.Wait has returned.
func serveChildLogged(t *testing.T, dir string, flags ...string) (*node, *exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := child(t, dir, append([]string{"serve"}, flags...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	n := &node{stdout: &bytes.Buffer{}}
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if rest, ok := strings.CutPrefix(lines.Text(), "referral ledger listening on "); ok {
			n.base = strings.Fields(rest)[0]
			break
		}
	}
	if n.base == "" {
		// Wait for the process to end before reading what it wrote.
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("serve did not start: %s", stderr.String())
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	return n, cmd, &stderr
}

// snapshot names every file of dir with its size, modification time and
// contents' hash.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = fmt.Sprintf("%d %s %x", info.Size(), info.ModTime(), sha256.Sum256(b))
	}
	return out
}

func sameFiles(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	for name, b := range before {
		if a, ok := after[name]; !ok {
			t.Errorf("%s removed %s", what, name)
		} else if a != b {
			t.Errorf("%s changed %s", what, name)
		}
	}
	for name := range after {
		if _, ok := before[name]; !ok {
			t.Errorf("%s created %s", what, name)
		}
	}
}

// writers are the commands that write a data directory (R-OPS-2).
var writers = [][]string{
	{"serve"},
	{"retention"},
	{"rotate-master-key"},
	{"migrate", "--to", "kurrentdb", "--kurrentdb-url", "esdb://127.0.0.1:1?tls=false"},
	{"migrate", "--to", "postgres"},
	{"admin", "reset-password", "admin"},
	{"restore", "--from", "/nonexistent-backup"},
	{"rebuild-views"},
}

// TestOneWriterPerDataDirectory runs real processes on one data directory:
// a writer holding it refuses every other writer, naming its process id,
// before they touch any file; verify and history work beside a running
// server, and on a stopped one create and change nothing, not even on a
// directory left by a crash or holding only the event log (R-OPS-2).
func TestOneWriterPerDataDirectory(t *testing.T) {
	dir := t.TempDir()
	var id string
	t.Run("lifecycle", func(t *testing.T) { id = lifecycle(t, startNode(t, dir)) })
	t.Setenv("LEDGER_DATA_DIR", dir)
	t.Setenv("LEDGER_POSTGRES_URL", "postgres://127.0.0.1:1/none")

	t.Run("a held directory refuses every writer before it touches a file", func(t *testing.T) {
		lock, err := datadir.Acquire(dir, "ledger serve")
		if err != nil {
			t.Fatal(err)
		}
		defer lock.Release()
		before := snapshot(t, dir)
		want := fmt.Sprintf("in use by process %d (ledger serve)", os.Getpid())
		for _, args := range writers {
			code, stderr := runChild(t, dir, args...)
			if code == 0 || !strings.Contains(stderr, want) {
				t.Errorf("ledger %s: exit %d, stderr %q; want a refusal naming %q", strings.Join(args, " "), code, stderr, want)
			}
		}
		sameFiles(t, "a refused writer", before, snapshot(t, dir))
	})

	t.Run("beside a running server", func(t *testing.T) {
		n, server := serveChild(t, dir)
		code, stderr := runChild(t, dir, "serve")
		if want := fmt.Sprintf("in use by process %d", server.Process.Pid); code == 0 || !strings.Contains(stderr, want) {
			t.Errorf("second serve: exit %d, %q; want a refusal naming %q", code, stderr, want)
		}
		admin := n.signIn(t, "admin", adminPassword)
		n.must(t, 201, "POST", "/v1/organisations", admin, map[string]any{"name": "Late Org", "admin_email": "l@example.org", "services": []any{}})
		var out bytes.Buffer
		if err := run(context.Background(), []string{"verify"}, &out, io.Discard); err != nil || !strings.HasPrefix(out.String(), "OK:") {
			t.Errorf("verify beside the server: %v %s", err, out.String())
		}
		out.Reset()
		if err := run(context.Background(), []string{"history", id}, &out, io.Discard); err != nil || !strings.Contains(out.String(), "Client Person") {
			t.Errorf("history beside the server: %v %s", err, out.String())
		}
		_ = server.Process.Signal(syscall.SIGTERM)
		if err := server.Wait(); err != nil {
			t.Fatalf("server: %v", err)
		}
	})

	// The lifecycle wrote 19 events (each organisation also reserves its
	// name in a stream of its own), the running server two more: the
	// organisation, and the coordinator's password hashed again at sign-in
	// (R-AUTH-3), since the servers in this process hash with the cheapest
	// argon2id parameters and the child with the production ones.
	readOnlyTools := func(t *testing.T, events int, wantHistory bool) {
		t.Helper()
		before := snapshot(t, os.Getenv("LEDGER_DATA_DIR"))
		var out bytes.Buffer
		want := fmt.Sprintf("OK: %d events", events)
		if err := run(context.Background(), []string{"verify"}, &out, io.Discard); err != nil || !strings.HasPrefix(out.String(), want) {
			t.Errorf("verify: %v %s", err, out.String())
		}
		out.Reset()
		err := run(context.Background(), []string{"history", id}, &out, io.Discard)
		if wantHistory && (err != nil || !strings.Contains(out.String(), "verified: 4 events")) {
			t.Errorf("history: %v %s", err, out.String())
		}
		if !wantHistory && (err == nil || !strings.Contains(err.Error(), "no master key")) {
			t.Errorf("history without keys: %v, want a clear refusal", err)
		}
		sameFiles(t, "verify and history", before, snapshot(t, os.Getenv("LEDGER_DATA_DIR")))
	}
	t.Run("on a stopped server the read-only tools change nothing", func(t *testing.T) { readOnlyTools(t, 21, true) })

	t.Run("after a crash", func(t *testing.T) {
		crashed := t.TempDir()
		for _, name := range []string{eventsFile, "keys.db", "master.key"} {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(crashed, name), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		// The server writes one more event, then is killed: the event is
		// in the write-ahead log only.
		n, server := serveChild(t, crashed)
		admin := n.signIn(t, "admin", adminPassword)
		n.must(t, 201, "POST", "/v1/organisations", admin, map[string]any{"name": "Crash Org", "admin_email": "c@example.org", "services": []any{}})
		_ = server.Process.Kill()
		_ = server.Wait()
		if _, err := os.Stat(filepath.Join(crashed, eventsFile+"-wal")); err != nil {
			t.Fatalf("the crash left no write-ahead log: %v", err)
		}
		t.Setenv("LEDGER_DATA_DIR", crashed)
		readOnlyTools(t, 23, true)
	})

	t.Run("a directory holding only the event log", func(t *testing.T) {
		only := t.TempDir()
		b, err := os.ReadFile(filepath.Join(dir, eventsFile))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(only, eventsFile), b, 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("LEDGER_DATA_DIR", only)
		readOnlyTools(t, 21, false)
	})
}

// TestRetentionDryRunOnlyReads_OPS2: `ledger retention --dry-run` lists the
// clients the retention rule will shred beside a running server, which
// still refuses `ledger retention` itself as a second writer; and on a
// stopped server, or one a crash left with a write-ahead log, it creates
// and changes no file of the data directory (R-OPS-2, R-PRIV-5).
func TestRetentionDryRunOnlyReads_OPS2(t *testing.T) {
	dir := t.TempDir()
	t.Run("lifecycle", func(t *testing.T) { lifecycle(t, startNode(t, dir)) })
	t.Setenv("LEDGER_DATA_DIR", dir)
	dryRun := func(t *testing.T) {
		t.Helper()
		var out bytes.Buffer
		err := run(context.Background(), []string{"retention", "--dry-run"}, &out, io.Discard)
		if err != nil || !strings.Contains(out.String(), "1 clients have every referral closed") {
			t.Errorf("retention --dry-run: %v\n%s", err, out.String())
		}
	}
	names := func(files map[string]string) []string {
		out := make([]string, 0, len(files))
		for name := range files {
			out = append(out, name)
		}
		slices.Sort(out)
		return out
	}

	t.Run("beside a running server", func(t *testing.T) {
		_, server := serveChild(t, dir)
		before := snapshot(t, dir)
		dryRun(t)
		if after := snapshot(t, dir); !slices.Equal(names(before), names(after)) {
			t.Errorf("beside the server the data directory held %v before retention --dry-run and %v after", names(before), names(after))
		}
		code, stderr := runChild(t, dir, "retention")
		if want := fmt.Sprintf("in use by process %d", server.Process.Pid); code == 0 || !strings.Contains(stderr, want) {
			t.Errorf("retention beside the server: exit %d, %q; want a refusal naming %q", code, stderr, want)
		}
		_ = server.Process.Signal(syscall.SIGTERM)
		if err := server.Wait(); err != nil {
			t.Fatalf("server: %v", err)
		}
	})

	t.Run("on a stopped server it changes nothing", func(t *testing.T) {
		before := snapshot(t, dir)
		dryRun(t)
		sameFiles(t, "retention --dry-run", before, snapshot(t, dir))
	})

	t.Run("after a crash it changes nothing", func(t *testing.T) {
		crashed := t.TempDir()
		for _, name := range []string{eventsFile, "keys.db", "master.key"} {
			copyFile(t, filepath.Join(dir, name), filepath.Join(crashed, name))
		}
		// The server writes one more event, then is killed: the event is
		// in the write-ahead log only.
		n, server := serveChild(t, crashed)
		n.must(t, 201, "POST", "/v1/organisations", n.signIn(t, "admin", adminPassword),
			map[string]any{"name": "Crash Org", "admin_email": "c@example.org", "services": []any{}})
		_ = server.Process.Kill()
		_ = server.Wait()
		if _, err := os.Stat(filepath.Join(crashed, eventsFile+"-wal")); err != nil {
			t.Fatalf("the crash left no write-ahead log: %v", err)
		}
		t.Setenv("LEDGER_DATA_DIR", crashed)
		before := snapshot(t, crashed)
		dryRun(t)
		sameFiles(t, "retention --dry-run", before, snapshot(t, crashed))
	})
}
