package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
)

// TestFormatVersion: the version line carries the module version and the VCS
// revision from the build information (issue 10 point 11).
func TestFormatVersion(t *testing.T) {
	info := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/referral-ledger/ledger", Version: "v1.4.0"},
		Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
			{Key: "vcs.time", Value: "2026-12-01T10:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	for _, tc := range []struct {
		name, override string
		info           *debug.BuildInfo
		want           string
	}{
		{"Stamped", "", info, "ledger v1.4.0 (revision 0123456789abcdef0123456789abcdef01234567, committed 2026-12-01T10:00:00Z, with uncommitted changes) go1.26.8"},
		{"Override", "v1.4.1", info, "ledger v1.4.1 (revision 0123456789abcdef0123456789abcdef01234567, committed 2026-12-01T10:00:00Z, with uncommitted changes) go1.26.8"},
		{"NoVCS", "", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}, "ledger (devel) (no VCS revision recorded) go1.26.8"},
		{"NoBuildInfo", "", nil, "ledger (unknown version) (no build information)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := formatVersion(tc.info, tc.override); got != tc.want {
				t.Fatalf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestVersionOfBuiltBinary builds the binary and checks that `ledger
// version` and `ledger --version` print the same line, naming the module
// version and VCS revision `go version -m` reads from it (issue 10 point 11).
func TestVersionOfBuiltBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "ledger")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	meta, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	modVersion, revision := "", ""
	for _, line := range strings.Split(string(meta), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 3 && f[0] == "mod":
			modVersion = f[2]
		case len(f) >= 2 && strings.HasPrefix(f[1], "vcs.revision="):
			revision = strings.TrimPrefix(f[1], "vcs.revision=")
		}
	}
	var lines []string
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, err := exec.Command(bin, args...).Output()
		if err != nil {
			t.Fatalf("ledger %v: %v", args, err)
		}
		lines = append(lines, strings.TrimSpace(string(out)))
	}
	if lines[0] != lines[1] {
		t.Fatalf("version %q, --version %q", lines[0], lines[1])
	}
	if !strings.HasPrefix(lines[0], "ledger "+modVersion+" (") {
		t.Errorf("%q does not give the module version %q", lines[0], modVersion)
	}
	if revision != "" && !strings.Contains(lines[0], "revision "+revision) {
		t.Errorf("%q does not give the revision %s", lines[0], revision)
	}
	if revision == "" && !strings.Contains(lines[0], "no VCS revision recorded") {
		t.Errorf("%q: the build recorded no revision, and the line should say so", lines[0])
	}
	if strings.Contains(lines[0], " dev ") {
		t.Errorf("%q still says dev", lines[0])
	}
}

// syncBuffer is a bytes.Buffer safe for a logger writing while a test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestMisspeltEnvironmentVariable: a LEDGER_ variable that names no setting
// is warned of in serve's log and on other commands' stderr, with the
// nearest real name, and refused with --strict-config before anything is
// opened (issue 10 point 11).
func TestMisspeltEnvironmentVariable(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("LEDGER_DATA_DIR", dir)
	t.Setenv("LEDGER_HTTP_ADRR", "127.0.0.1:0")
	t.Setenv("LEDGER_HTTP_ADDR", "127.0.0.1:0")
	t.Setenv("LEDGER_BOOTSTRAP_PASSWORD", adminPassword)
	t.Setenv("LEDGER_LOG_FORMAT", "json")
	t.Run("strict refuses before touching the data directory", func(t *testing.T) {
		err := run(context.Background(), []string{"--strict-config", "serve"}, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "LEDGER_HTTP_ADRR names no setting; did you mean LEDGER_HTTP_ADDR?") {
			t.Fatalf("err = %v", err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Fatalf("the data directory holds %d files", len(entries))
		}
	})
	t.Run("a tool warns on stderr", func(t *testing.T) {
		var stderr bytes.Buffer
		_ = run(context.Background(), []string{"verify"}, io.Discard, &stderr)
		if !strings.Contains(stderr.String(), "did you mean LEDGER_HTTP_ADDR?") {
			t.Fatalf("stderr: %q", stderr.String())
		}
	})
	t.Run("serve warns in its log", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		pr, pw := io.Pipe()
		var logs syncBuffer
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, []string{"serve"}, pw, &logs)
			pw.Close()
		}()
		lines := bufio.NewScanner(pr)
		for lines.Scan() {
			if strings.HasPrefix(lines.Text(), "API description:") {
				break
			}
		}
		go func() { _, _ = io.Copy(io.Discard, pr) }()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(logs.String(), `"level":"warn","variable":"LEDGER_HTTP_ADRR","did_you_mean":"LEDGER_HTTP_ADDR"`) {
			t.Fatalf("log:\n%s", logs.String())
		}
	})
}
