package config

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files and the README's configuration table")

const (
	readmePath  = "../README.md"
	tableBegin  = "<!-- BEGIN config table: generated from package config; refresh with `go test ./config -run TestREADME -update` -->"
	tableEnd    = "<!-- END config table -->"
	emptyMarker = "*(empty)*"
)

// markdownTable renders Keys as the README's configuration table.
func markdownTable() string {
	var b strings.Builder
	b.WriteString("| Key (ledger.yaml) | Environment variable | Default | Meaning |\n")
	b.WriteString("|---|---|---|---|\n")
	for _, k := range Keys() {
		def := emptyMarker
		if k.Default != "" {
			def = "`" + k.Default + "`"
		}
		b.WriteString("| `" + k.Name + "` | `" + k.Env + "` | " + def + " | " + strings.ReplaceAll(k.Help, "|", `\|`) + " |\n")
	}
	return b.String()
}

// TestREADME keeps the README's configuration table in step with Config.
func TestREADME(t *testing.T) {
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	begin := bytes.Index(readme, []byte(tableBegin))
	end := bytes.Index(readme, []byte(tableEnd))
	if begin < 0 || end < begin {
		t.Fatalf("%s lacks the markers around the configuration table:\n%s\n%s", readmePath, tableBegin, tableEnd)
	}
	start := begin + len(tableBegin) + 1
	want := markdownTable()
	if string(readme[start:end]) == want {
		return
	}
	if !*update {
		t.Fatalf("%s's configuration table is out of date; run go test ./config -run TestREADME -update", readmePath)
	}
	out := append(append(append([]byte(nil), readme[:start]...), want...), readme[end:]...)
	if err := os.WriteFile(readmePath, out, 0o644); err != nil {
		t.Fatal(err)
	}
}
