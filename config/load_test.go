package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// env returns a LookupEnv over vars, so tests never see the real environment.
func env(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

// writeFile writes content to name in a new temporary directory and returns
// the directory.
func writeFile(tb testing.TB, name, content string) string {
	tb.Helper()
	dir := tb.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
	return dir
}

func TestLoad(t *testing.T) {
	for _, tc := range []struct {
		name string
		file string // contents of ledger.yaml in Dir; "" for none
		env  map[string]string
		want func(c *Config) // applied to Default() to give the expected result
	}{
		{
			name: "Defaults",
			want: func(c *Config) {},
		},
		{
			name: "EnvOverrides",
			env: map[string]string{
				"LEDGER_HTTP_ADDR":                      "0.0.0.0:9090",
				"LEDGER_HTTP_TRUSTED_PROXIES":           "10.0.0.0/8, 192.168.1.1",
				"LEDGER_HTTP_MAX_BODY_BYTES":            "2048",
				"LEDGER_DATA_DIR":                       "/var/lib/ledger",
				"LEDGER_LOG_FORMAT":                     "json",
				"LEDGER_AUTH_SESSION_IDLE_TIMEOUT":      "45m",
				"LEDGER_AUTH_PASSWORD_POLICY":           "modern",
				"LEDGER_NETWORK_REGION":                 "scotland",
				"LEDGER_TIMESCALES_URGENT_WORKING_DAYS": "1",
				"LEDGER_STORE":                          "sqlite",
			},
			want: func(c *Config) {
				c.HTTP.Addr = "0.0.0.0:9090"
				c.HTTP.PublicURL = "http://0.0.0.0:9090"
				c.HTTP.TrustedProxies = []string{"10.0.0.0/8", "192.168.1.1"}
				c.HTTP.MaxBodyBytes = 2048
				c.DataDir = "/var/lib/ledger"
				c.Log.Format = LogFormatJSON
				c.Auth.SessionIdleTimeout = 45 * time.Minute
				c.Auth.PasswordPolicy = PasswordPolicyModern
				c.Network.Region = RegionScotland
				c.Timescales.UrgentWorkingDays = 1
			},
		},
		{
			name: "BootstrapPasswordFromEnv",
			env:  map[string]string{"LEDGER_BOOTSTRAP_PASSWORD": "Correct-Horse-9"},
			want: func(c *Config) { c.BootstrapPassword = "Correct-Horse-9" },
		},
		{
			name: "BootstrapEmailFromEnv",
			env:  map[string]string{"LEDGER_BOOTSTRAP_EMAIL": "lead@network.example"},
			want: func(c *Config) { c.BootstrapEmail = "lead@network.example" },
		},
		{
			// An address without a host listens on every interface and
			// names no host for links: they go to localhost, never to
			// "http://:8080", which no mail reader can follow.
			name: "HostlessAddressLinksToLocalhost",
			env:  map[string]string{"LEDGER_HTTP_ADDR": ":8081"},
			want: func(c *Config) {
				c.HTTP.Addr = ":8081"
				c.HTTP.PublicURL = "http://localhost:8081"
			},
		},
		{
			name: "EmptyEnvIsUnset",
			env:  map[string]string{"LEDGER_HTTP_ADDR": ""},
			want: func(c *Config) {},
		},
		{
			name: "FileOverrides",
			file: `
http:
  addr: ":8443"
  public_url: https://referrals.example.org/
  trusted_proxies: [10.1.2.3, "fd00::/8"]
log:
  level: debug
auth:
  session_absolute_timeout: 8h
  max_failed_logins_per_account: 3
network:
  region: northern-ireland
  bank_holidays_file: /etc/ledger/holidays.json
projections:
  read_your_writes_timeout: 500ms
`,
			want: func(c *Config) {
				c.HTTP.Addr = ":8443"
				c.HTTP.PublicURL = "https://referrals.example.org"
				c.HTTP.TrustedProxies = []string{"10.1.2.3", "fd00::/8"}
				c.Log.Level = "debug"
				c.Auth.SessionAbsoluteTimeout = 8 * time.Hour
				c.Auth.MaxFailedLoginsPerAccount = 3
				c.Network.Region = RegionNorthernIreland
				c.Network.BankHolidaysFile = "/etc/ledger/holidays.json"
				c.Projections.ReadYourWritesTimeout = 500 * time.Millisecond
			},
		},
		{
			name: "EnvWinsOverFile",
			file: "http:\n  addr: 127.0.0.1:7000\nlog:\n  level: warn\n",
			env:  map[string]string{"LEDGER_HTTP_ADDR": "127.0.0.1:7001"},
			want: func(c *Config) {
				c.HTTP.Addr = "127.0.0.1:7001"
				c.HTTP.PublicURL = "http://127.0.0.1:7001"
				c.Log.Level = "warn"
			},
		},
		{
			name: "KeysAreCaseInsensitive",
			file: "HTTP:\n  Max_Body_Bytes: 4096\n",
			want: func(c *Config) { c.HTTP.MaxBodyBytes = 4096 },
		},
		{
			name: "StatisticsFromFile",
			file: "statistics:\n  disclosure_control: false\n  suppress_max: 10\n  round_to: 10\n",
			want: func(c *Config) { c.Statistics = Statistics{DisclosureControl: false, SuppressMax: 10, RoundTo: 10} },
		},
		{
			name: "StatisticsFromEnv",
			env:  map[string]string{"LEDGER_STATISTICS_DISCLOSURE_CONTROL": "false", "LEDGER_STATISTICS_ROUND_TO": "1"},
			want: func(c *Config) { c.Statistics.DisclosureControl, c.Statistics.RoundTo = false, 1 },
		},
		{
			name: "EmptySection",
			file: "http:\nlog:\n  level: error\n",
			want: func(c *Config) { c.Log.Level = "error" },
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.file != "" {
				dir = writeFile(t, FileName, tc.file)
			}
			got, err := Load(LoadOptions{Dir: dir, LookupEnv: env(tc.env)})
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			want := Default()
			tc.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Load:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestLoadConfigFile(t *testing.T) {
	other := writeFile(t, "node.yml", "data_dir: /srv/from-file\n")
	path := filepath.Join(other, "node.yml")
	cwd := writeFile(t, FileName, "data_dir: /srv/from-cwd\n")

	for _, tc := range []struct {
		name    string
		opts    LoadOptions
		env     map[string]string
		want    string // data_dir
		wantErr string
	}{
		{name: "WorkingDir", opts: LoadOptions{Dir: cwd}, want: "/srv/from-cwd"},
		{name: "Flag", opts: LoadOptions{Dir: cwd, ConfigFile: path}, want: "/srv/from-file"},
		{name: "EnvVar", opts: LoadOptions{Dir: cwd}, env: map[string]string{"LEDGER_CONFIG": path}, want: "/srv/from-file"},
		{name: "FlagWinsOverEnvVar", opts: LoadOptions{Dir: t.TempDir(), ConfigFile: path}, env: map[string]string{"LEDGER_CONFIG": "/nonexistent.yaml"}, want: "/srv/from-file"},
		{name: "ErrFlagFileMissing", opts: LoadOptions{ConfigFile: filepath.Join(other, "missing.yaml")}, wantErr: "--config"},
		{name: "ErrEnvFileMissing", env: map[string]string{"LEDGER_CONFIG": filepath.Join(other, "missing.yaml")}, wantErr: "LEDGER_CONFIG"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Load(LoadOptions{ConfigFile: tc.opts.ConfigFile, Dir: tc.opts.Dir, LookupEnv: env(tc.env)})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Load error = %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got.DataDir != tc.want {
				t.Errorf("DataDir = %q, want %q", got.DataDir, tc.want)
			}
		})
	}
}

func TestLoadProblems(t *testing.T) {
	for _, tc := range []struct {
		name string
		file string
		env  map[string]string
		want []string // each must appear in one problem, in this order
	}{
		{
			name: "ErrUnknownKey",
			file: "htp:\n  addr: :80\nhttp:\n  adr: :80\n",
			want: []string{`htp.addr: unknown key in`, `http.adr: unknown key in`},
		},
		{
			name: "ErrSectionGivenValue",
			file: "auth: strict\n",
			want: []string{`auth: is a section`},
		},
		{
			name: "ErrBadDuration",
			env:  map[string]string{"LEDGER_AUTH_SESSION_IDLE_TIMEOUT": "ten minutes"},
			want: []string{`auth.session_idle_timeout ("LEDGER_AUTH_SESSION_IDLE_TIMEOUT"): must be a duration with a unit, like 30m or 1h30m (got "ten minutes")`},
		},
		{
			name: "ErrDurationWithoutUnit",
			file: "projections:\n  read_your_writes_timeout: 2\n",
			want: []string{`projections.read_your_writes_timeout ("LEDGER_PROJECTIONS_READ_YOUR_WRITES_TIMEOUT"): must be a duration with a unit`},
		},
		{
			name: "ErrNotANumber",
			env:  map[string]string{"LEDGER_TIMESCALES_CLOSE_WORKING_DAYS": "five"},
			want: []string{`timescales.close_working_days ("LEDGER_TIMESCALES_CLOSE_WORKING_DAYS"): must be a whole number (got "five")`},
		},
		{
			name: "ErrNotABool",
			env:  map[string]string{"LEDGER_STATISTICS_DISCLOSURE_CONTROL": "sometimes"},
			want: []string{`statistics.disclosure_control ("LEDGER_STATISTICS_DISCLOSURE_CONTROL"): must be true or false (got "sometimes")`},
		},
		{
			name: "ErrListOfMaps",
			file: "http:\n  trusted_proxies:\n    - ip: 10.0.0.1\n",
			want: []string{`http.trusted_proxies ("LEDGER_HTTP_TRUSTED_PROXIES"): must be a list of strings`},
		},
		{
			name: "ErrInvalidValues",
			env: map[string]string{
				"LEDGER_HTTP_ADDR":  "localhost",
				"LEDGER_STORE":      "mongodb",
				"LEDGER_LOG_LEVEL":  "verbose",
				"LEDGER_LOG_FORMAT": "xml",
			},
			want: []string{
				`http.addr ("LEDGER_HTTP_ADDR"): must be host:port`,
				`log.level ("LEDGER_LOG_LEVEL"): must be one of trace, debug, info, warn, error (got "verbose")`,
				`log.format ("LEDGER_LOG_FORMAT"): must be one of auto, json, console (got "xml")`,
				`store ("LEDGER_STORE"): must be one of sqlite, kurrentdb (got "mongodb")`,
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.file != "" {
				dir = writeFile(t, FileName, tc.file)
			}
			_, err := Load(LoadOptions{Dir: dir, LookupEnv: env(tc.env)})
			assertProblems(t, err, tc.want)
		})
	}
}

func TestLoadNeverEchoesSecret(t *testing.T) {
	dir := writeFile(t, FileName, "bootstrap_password:\n  - Hunter2-secret\n")
	_, err := Load(LoadOptions{Dir: dir, LookupEnv: env(nil)})
	assertProblems(t, err, []string{`bootstrap_password ("LEDGER_BOOTSTRAP_PASSWORD"): must be a single value`})
	if strings.Contains(err.Error(), "Hunter2") {
		t.Errorf("error echoes the bootstrap password: %v", err)
	}
}

// assertProblems checks that err is an *Error whose problems contain want, in
// order, one substring per problem.
func assertProblems(tb testing.TB, err error, want []string) {
	tb.Helper()
	var cerr *Error
	if !errors.As(err, &cerr) {
		tb.Fatalf("error = %v, want *config.Error", err)
	}
	if len(cerr.Problems) != len(want) {
		tb.Fatalf("got %d problems, want %d:\n%v", len(cerr.Problems), len(want), err)
	}
	for i, w := range want {
		if got := cerr.Problems[i].String(); !strings.Contains(got, w) {
			tb.Errorf("problem %d = %q, want it to contain %q", i, got, w)
		}
	}
}
