package domain

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"
)

var updateReferences = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestReferenceGolden pins the derivation of references from ids (R-REF-13):
// a reference people have written down must never change, so any change to
// ReferenceOf shows here in review.
func TestReferenceGolden(t *testing.T) {
	ids := []string{
		"00000000-0000-0000-0000-000000000000",
		"6f1c1f0e-2b7a-4c1d-9a55-2f6f0c1b9e01",
		"0191f1a4-7c2e-7b3a-8d10-4e5f6a7b8c9d",
		"ffffffff-ffff-ffff-ffff-ffffffffffff",
	}
	var b strings.Builder
	for _, s := range ids {
		b.WriteString(s + " " + ReferenceOf(uuid.MustParse(s)).String() + "\n")
	}
	golden := filepath.Join("testdata", "references.golden")
	if *updateReferences {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./domain -run TestReferenceGolden -update)", err)
	}
	if b.String() != string(want) {
		t.Fatalf("references changed:\n%s\nwant:\n%s", b.String(), want)
	}
}

// TestParseReference reads references as people type them (R-REF-13).
func TestParseReference(t *testing.T) {
	ref := ReferenceOf(uuid.MustParse("6f1c1f0e-2b7a-4c1d-9a55-2f6f0c1b9e01"))
	for _, in := range []string{ref.String(), string(ref), strings.ToLower(ref.String()), " " + ref[:4].String() + " " + string(ref[4:]) + " "} {
		got, err := ParseReference(in)
		if err != nil || got != ref {
			t.Errorf("ParseReference(%q) = %q, %v; want %q", in, got, err, ref)
		}
	}
	if got, err := ParseReference("io1l-0000"); err != nil || got != "1011"+"0000" {
		t.Errorf("ParseReference reads I, O, L as digits: got %q, %v", got, err)
	}
	for _, bad := range []string{"", "7KQ4-M2X", "7KQ4-M2XDD", "7KQ4-M2XU", "7KQ4_M2XD", "ÅKQ4-M2XD"} {
		if _, err := ParseReference(bad); ErrorCode(err) != Invalid || len(ErrorFields(err)) != 1 || ErrorFields(err)[0].Field != "reference" {
			t.Errorf("ParseReference(%q) = %v, want Invalid naming reference", bad, err)
		}
	}
}
