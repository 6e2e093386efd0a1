package main

import (
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// TestVersionStamped builds the binary as make build and make dist do,
// with the version and commit given to the linker, and checks `ledger
// version` shows both (issue 16, version in the binary).
func TestVersionStamped(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "ledger")
	const v, commit = "v9.8.7-1-gabcdef0", "abcdef0123456789abcdef0123456789abcdef01"
	ldflags := "-X github.com/referral-ledger/ledger/version.Version=" + v +
		" -X github.com/referral-ledger/ledger/version.Commit=" + commit
	if out, err := exec.Command("go", "build", "-buildvcs=false", "-ldflags", ldflags, "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if line := strings.TrimSpace(string(out)); !strings.HasPrefix(line, "ledger "+v+" (revision "+commit) {
		t.Fatalf("ledger version = %q, want the stamped version and commit", line)
	}
}

// TestWithCommit: the stamped commit fills in only a missing revision.
func TestWithCommit(t *testing.T) {
	recorded := &debug.BuildInfo{Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "recorded"}}}
	if got := withCommit(recorded, "stamped"); got != recorded {
		t.Errorf("a recorded revision was replaced: %v", got.Settings)
	}
	bare := &debug.BuildInfo{}
	got := withCommit(bare, "stamped")
	if len(got.Settings) != 1 || got.Settings[0].Value != "stamped" || len(bare.Settings) != 0 {
		t.Errorf("got %v, and the original %v", got.Settings, bare.Settings)
	}
	if withCommit(nil, "stamped") != nil || withCommit(bare, "") != bare {
		t.Error("nothing to add should change nothing")
	}
}
