// Package docs holds the project's documentation; its tests keep the
// documents true to the code.
package docs

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/config"
)

var ruleID = regexp.MustCompile(`\bR-[A-Z]+-[0-9]+\b`)

// documented returns the rule ids rules.md explains (its "- **R-…**" items)
// and fails on one explained twice.
func documented(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile("rules.md")
	if err != nil {
		t.Fatal(err)
	}
	item := regexp.MustCompile(`(?m)^- \*\*(R-[A-Z]+-[0-9]+)\*\* `)
	ids := map[string]bool{}
	for _, m := range item.FindAllStringSubmatch(string(b), -1) {
		if ids[m[1]] {
			t.Errorf("rules.md explains %s twice", m[1])
		}
		ids[m[1]] = true
	}
	return ids
}

// named returns every rule id named in the module's Go files (tests' names
// and comments, and the code's comments), each with a file naming it, and
// which of them a test file names.
func named(t *testing.T) (inCode map[string]string, inTests map[string]bool) {
	t.Helper()
	inCode, inTests = map[string]string{}, map[string]bool{}
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != ".." && (strings.HasPrefix(name, ".") || name == "bin" || name == "dist" || name == "data" || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || path == filepath.Join("..", "docs", "docs_test.go") {
			return nil // not this file, whose list names rules no test names
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, id := range ruleID.FindAllString(string(b), -1) {
			if _, ok := inCode[id]; !ok {
				inCode[id] = path
			}
			if strings.HasSuffix(path, "_test.go") {
				inTests[id] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return inCode, inTests
}

// notYetTested are the rules rules.md explains that no test names yet.
// When a test comes to name one, take it off this list.
var notYetTested = []string{}

// TestRuleIdsAreDocumented: every rule id named in the code leads to its
// explanation in rules.md, and every rule explained there is proved by a
// test that names it, apart from those listed as not yet tested (issue 16
// point 7).
func TestRuleIdsAreDocumented(t *testing.T) {
	docs := documented(t)
	if len(docs) < 70 {
		t.Fatalf("rules.md explains only %d rules", len(docs))
	}
	inCode, inTests := named(t)
	for id, path := range inCode {
		if !docs[id] {
			t.Errorf("%s names %s, which docs/rules.md does not explain", path, id)
		}
	}
	for id := range docs {
		switch {
		case !inTests[id] && !slices.Contains(notYetTested, id):
			t.Errorf("docs/rules.md explains %s, but no test names it", id)
		case inTests[id] && slices.Contains(notYetTested, id):
			t.Errorf("a test now names %s: take it off notYetTested", id)
		}
	}
}

// TestDocsStayInTheRepository: the documents and deployment files link to
// nothing outside the repository, and their relative links resolve.
func TestDocsStayInTheRepository(t *testing.T) {
	link := regexp.MustCompile(`\]\(([^)#\s]+)(#[^)]*)?\)`)
	files, _ := filepath.Glob("*.md")
	deploy, _ := filepath.Glob("../deploy/*")
	for _, f := range append(append(files, deploy...), "../README.md") {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "../shared") {
			t.Errorf("%s points outside the repository (../shared)", f)
		}
		if !strings.HasSuffix(f, ".md") {
			continue
		}
		for _, m := range link.FindAllStringSubmatch(string(b), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(f), target)); err != nil {
				t.Errorf("%s links to %s, which does not exist", f, target)
			}
		}
	}
}

// TestDeployConfigLoads: the example configuration in deploy/ is one the
// ledger accepts, every key known and every value valid.
func TestDeployConfigLoads(t *testing.T) {
	cfg, err := config.Load(config.LoadOptions{ConfigFile: filepath.Join("..", "deploy", "ledger.yaml"),
		LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != "/var/lib/ledger" || cfg.MasterKeyFile != "/etc/ledger/master.key" || len(cfg.HTTP.TrustedProxies) != 1 {
		t.Errorf("deploy/ledger.yaml read as data_dir %q, master_key_file %q, trusted_proxies %v",
			cfg.DataDir, cfg.MasterKeyFile, cfg.HTTP.TrustedProxies)
	}
}
