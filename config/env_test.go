package config

import (
	"reflect"
	"testing"
)

// TestUnknownEnv: a LEDGER_ variable that names no setting is found, with
// the nearest real name (issue 10 point 11); settings, LEDGER_CONFIG, other
// programs' variables and the test suites' LEDGER_TEST_ ones are not.
func TestUnknownEnv(t *testing.T) {
	got := UnknownEnv([]string{
		"LEDGER_HTTP_ADRR=127.0.0.1:1",
		"LEDGER_HTTP_ADDR=127.0.0.1:2",
		"LEDGER_CONFIG=/etc/ledger.yaml",
		"LEDGER_MASTERKEY=c2VjcmV0",
		"LEDGER_DATADIR=/srv",
		"LEDGER_TEST_POSTGRES_URL=postgres://",
		"HOME=/root",
		"LEDGER_LOG_LEVLE=debug",
	})
	want := []UnknownVar{
		{Name: "LEDGER_DATADIR", Nearest: "LEDGER_DATA_DIR"},
		{Name: "LEDGER_HTTP_ADRR", Nearest: "LEDGER_HTTP_ADDR"},
		{Name: "LEDGER_LOG_LEVLE", Nearest: "LEDGER_LOG_LEVEL"},
		{Name: "LEDGER_MASTERKEY", Nearest: "LEDGER_MASTER_KEY"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("UnknownEnv = %v\nwant %v", got, want)
	}
	if s := got[1].String(); s != "environment variable LEDGER_HTTP_ADRR names no setting; did you mean LEDGER_HTTP_ADDR?" {
		t.Fatalf("message %q", s)
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"ADDR", "ADDR", 0}, {"ADRR", "ADDR", 1}, {"ADRD", "ADDR", 1}, {"AD", "ADDR", 2}, {"ADDR", "", 4}, {"kitten", "sitting", 3}} {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
