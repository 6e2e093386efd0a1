package config

import (
	"strings"
	"testing"
	"time"
)

func TestDefaultIsValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
}

func TestKeys(t *testing.T) {
	keys := Keys()
	seenEnv := map[string]string{}
	for _, k := range keys {
		t.Run(k.Name, func(t *testing.T) {
			if k.Help == "" {
				t.Errorf("no help tag")
			}
			if !strings.HasPrefix(k.Env, "LEDGER_") || strings.ToUpper(k.Env) != k.Env {
				t.Errorf("Env = %q, want LEDGER_ and upper case", k.Env)
			}
			if other, ok := seenEnv[k.Env]; ok {
				t.Errorf("Env %s also used by %s", k.Env, other)
			}
			seenEnv[k.Env] = k.Name
		})
	}

	want := map[string]string{ // a sample of names, variables and defaults from the brief
		"http.addr":                            "LEDGER_HTTP_ADDR=127.0.0.1:8080",
		"http.trusted_proxies":                 "LEDGER_HTTP_TRUSTED_PROXIES=",
		"http.max_body_bytes":                  "LEDGER_HTTP_MAX_BODY_BYTES=1048576",
		"http.request_timeout":                 "LEDGER_HTTP_REQUEST_TIMEOUT=30s",
		"data_dir":                             "LEDGER_DATA_DIR=./data",
		"bootstrap_password":                   "LEDGER_BOOTSTRAP_PASSWORD=",
		"auth.session_idle_timeout":            "LEDGER_AUTH_SESSION_IDLE_TIMEOUT=30m",
		"auth.session_absolute_timeout":        "LEDGER_AUTH_SESSION_ABSOLUTE_TIMEOUT=12h",
		"auth.max_concurrent_password_hashes":  "LEDGER_AUTH_MAX_CONCURRENT_PASSWORD_HASHES=0",
		"projections.read_your_writes_timeout": "LEDGER_PROJECTIONS_READ_YOUR_WRITES_TIMEOUT=2s",
		"store":                                "LEDGER_STORE=sqlite",
		"smtp.port":                            "LEDGER_SMTP_PORT=587",
		"smtp.tls":                             "LEDGER_SMTP_TLS=starttls",
		"notify.overdue_digest_at":             "LEDGER_NOTIFY_OVERDUE_DIGEST_AT=07:00",
		"notify.intake_off_reminder_days":      "LEDGER_NOTIFY_INTAKE_OFF_REMINDER_DAYS=7",
		"statistics.disclosure_control":        "LEDGER_STATISTICS_DISCLOSURE_CONTROL=true",
		"statistics.suppress_max":              "LEDGER_STATISTICS_SUPPRESS_MAX=7",
		"statistics.round_to":                  "LEDGER_STATISTICS_ROUND_TO=5",
		"statistics.include_current_month":     "LEDGER_STATISTICS_INCLUDE_CURRENT_MONTH=false",
		"messages.rate_limit":                  "LEDGER_MESSAGES_RATE_LIMIT=20",
		"messages.rate_window":                 "LEDGER_MESSAGES_RATE_WINDOW=1h",
		"audit.checkpoint_interval":            "LEDGER_AUDIT_CHECKPOINT_INTERVAL=1h",
		"timescales.reopen_days":               "LEDGER_TIMESCALES_REOPEN_DAYS=30",
		"auth.mfa_required_roles":              "LEDGER_AUTH_MFA_REQUIRED_ROLES=coordinator,auditor,system_support,emergency_duty",
	}
	got := map[string]string{}
	for _, k := range keys {
		got[k.Name] = k.Env + "=" + k.Default
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("key %s: got %q, want %q", name, got[name], w)
		}
	}
	if len(keys) != 56 {
		t.Errorf("len(Keys()) = %d, want 56: update this test and the README when adding a setting", len(keys))
	}
}

func TestFormatDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{30 * time.Minute, "30m"},
		{12 * time.Hour, "12h"},
		{90 * time.Minute, "1h30m"},
		{2 * time.Second, "2s"},
		{1500 * time.Millisecond, "1.5s"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			if got := formatDuration(tc.d); got != tc.want {
				t.Errorf("formatDuration(%v) = %q, want %q", tc.d, got, tc.want)
			}
		})
	}
}

func TestRedacted(t *testing.T) {
	c := Default()
	c.BootstrapPassword = "S3cret!pass"
	r := c.Redacted()
	if r.BootstrapPassword == c.BootstrapPassword {
		t.Errorf("Redacted kept the bootstrap password")
	}
	if Default().Redacted().BootstrapPassword != "" {
		t.Errorf("Redacted masked an empty password, hiding that one will be generated")
	}
	c.SMTP.Password = "smtp-S3cret"
	if r := c.Redacted(); r.SMTP.Password == c.SMTP.Password {
		t.Errorf("Redacted kept the SMTP password")
	}
}
