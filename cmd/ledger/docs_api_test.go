package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDocsAPIWalkthrough runs docs/api.md: every block fenced as sh, in
// order, in one bash against the real server, with curl and jq. Each curl
// must answer the status written above it ("# answers 201 Created"), so the
// walkthrough cannot drift from the API (issue 16 point 7).
func TestDocsAPIWalkthrough(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq", "oathtool"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is missing, and CI requires it to run docs/api.md", tool)
			}
			t.Skipf("SKIPPED: %s is missing, so docs/api.md cannot be run", tool)
		}
	}
	script, want := walkthrough(t, filepath.Join("..", "..", "docs", "api.md"))
	if len(want) < 20 {
		t.Fatalf("docs/api.md announces only %d answers", len(want))
	}
	// The walkthrough shows the production default: the coordinator must
	// set up a second factor first (issue 17).
	t.Setenv(envMFARoles, networkMFARoles)
	n := startNode(t, t.TempDir())
	dir := t.TempDir()
	statuses := filepath.Join(dir, "statuses")
	// curl is wrapped to note each answer's status on a file of its own.
	prelude := "set -euo pipefail\n" +
		"curl() { command curl -w '%{stderr}HTTP %{http_code}\\n' \"$@\" 2>>" + shellQuote(statuses) + "; }\n"
	cmd := exec.Command("bash", "-c", prelude+script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "BASE="+n.base, "ADMIN_PASSWORD="+adminPassword)
	out, err := cmd.CombinedOutput()
	log, _ := os.ReadFile(statuses)
	var got []string
	for _, line := range strings.Split(string(log), "\n") {
		if s, ok := strings.CutPrefix(line, "HTTP "); ok {
			got = append(got, s)
		}
	}
	if err != nil {
		t.Fatalf("the walkthrough stopped: %v\nafter %d answers %v\noutput:\n%s\ncurl:\n%s", err, len(got), got, out, log)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("statuses\n got  %v\n want %v\noutput:\n%s", got, want, out)
	}
}

var answers = regexp.MustCompile(`^# answers (\d{3}) `)

// walkthrough returns the sh blocks of the markdown file at path, joined,
// and the statuses their "# answers" comments announce, in order.
func walkthrough(t *testing.T, path string) (script string, statuses []string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	in := false
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		line := lines.Text()
		switch {
		case !in && line == "```sh":
			in = true
		case in && line == "```":
			in = false
		case in:
			b.WriteString(line + "\n")
			if m := answers.FindStringSubmatch(line); m != nil {
				statuses = append(statuses, m[1])
			}
		}
	}
	if err := lines.Err(); err != nil {
		t.Fatal(err)
	}
	if in {
		t.Fatalf("%s: a sh block is not closed", path)
	}
	return b.String(), statuses
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
