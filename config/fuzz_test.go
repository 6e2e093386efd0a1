package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad checks that no file or environment value makes Load panic, and
// that whatever it accepts is valid.
func FuzzLoad(f *testing.F) {
	f.Add("http:\n  addr: :8080\n", "30m")
	f.Add("http:\n  trusted_proxies: [10.0.0.1]\n", "")
	f.Add("auth: [1, 2]\n", "1h")
	f.Add("timescales:\n  close_working_days: 1e3\n", "-5s")
	f.Fuzz(func(t *testing.T, file, idle string) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, FileName), []byte(file), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := Load(LoadOptions{Dir: dir, LookupEnv: env(map[string]string{"LEDGER_AUTH_SESSION_IDLE_TIMEOUT": idle})})
		var cerr *Error
		if err != nil && errors.As(err, &cerr) && len(cerr.Problems) == 0 {
			t.Fatalf("Load returned an *Error with no problems")
		}
		if err == nil {
			if verr := c.Validate(); verr != nil {
				t.Fatalf("Load accepted a configuration Validate refuses: %v", verr)
			}
		}
	})
}
