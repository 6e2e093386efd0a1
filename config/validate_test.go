package config

import (
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		modify func(c *Config)
		want   []string // substrings, one per problem, in order; nil for valid
	}{
		{name: "OK", modify: func(c *Config) {}},
		{name: "OKAllInterfaces", modify: func(c *Config) { c.HTTP.Addr = ":8080" }},
		{name: "OKRandomPort", modify: func(c *Config) { c.HTTP.Addr = "127.0.0.1:0" }},
		{name: "OKIPv6", modify: func(c *Config) { c.HTTP.Addr = "[::1]:8080"; c.HTTP.TrustedProxies = []string{"::1", "fd00::/8"} }},
		{name: "OKModernScotland", modify: func(c *Config) {
			c.Auth.PasswordPolicy = PasswordPolicyModern
			c.Network.Region = RegionScotland
			c.Log.Format = LogFormatConsole
		}},
		{name: "OKBootstrapEmail", modify: func(c *Config) { c.BootstrapEmail = "coordinator@network.example" }},
		{
			// R-ORG-1: the first coordinator's address, set at first start.
			name:   "ErrBootstrapEmail",
			modify: func(c *Config) { c.BootstrapEmail = "Coordinator <c@network.example>" },
			want:   []string{`bootstrap_email ("LEDGER_BOOTSTRAP_EMAIL"): must be a bare email address`},
		},
		{
			name:   "ErrAddrNoPort",
			modify: func(c *Config) { c.HTTP.Addr = "127.0.0.1" },
			want:   []string{`http.addr ("LEDGER_HTTP_ADDR"): must be host:port`},
		},
		{
			name:   "ErrAddrBadPort",
			modify: func(c *Config) { c.HTTP.Addr = "127.0.0.1:99999" },
			want:   []string{`http.addr ("LEDGER_HTTP_ADDR"): must be host:port with a port number from 0 to 65535 (got "127.0.0.1:99999")`},
		},
		{
			name:   "ErrTrustedProxy",
			modify: func(c *Config) { c.HTTP.TrustedProxies = []string{"10.0.0.0/8", "proxy.local"} },
			want:   []string{`http.trusted_proxies ("LEDGER_HTTP_TRUSTED_PROXIES"): each entry must be an IP address or CIDR, like 10.0.0.1 or 10.0.0.0/8 (got "proxy.local")`},
		},
		{
			name:   "ErrMaxBodyBytes",
			modify: func(c *Config) { c.HTTP.MaxBodyBytes = 0 },
			want:   []string{`http.max_body_bytes ("LEDGER_HTTP_MAX_BODY_BYTES"): must be a positive number of bytes (got 0)`},
		},
		{
			name:   "ErrPublicURL",
			modify: func(c *Config) { c.HTTP.PublicURL = "referrals.example.org" },
			want:   []string{`http.public_url ("LEDGER_HTTP_PUBLIC_URL"): must be an absolute http or https URL`},
		},
		{
			name:   "ErrDataDir",
			modify: func(c *Config) { c.DataDir = " " },
			want:   []string{`data_dir ("LEDGER_DATA_DIR"): must not be empty`},
		},
		{
			name:   "ErrPasswordPolicy",
			modify: func(c *Config) { c.Auth.PasswordPolicy = "strict" },
			want:   []string{`auth.password_policy ("LEDGER_AUTH_PASSWORD_POLICY"): must be one of network, modern (got "strict")`},
		},
		{
			name:   "ErrAbsoluteShorterThanIdle",
			modify: func(c *Config) { c.Auth.SessionAbsoluteTimeout = 10 * time.Minute },
			want:   []string{`auth.session_absolute_timeout ("LEDGER_AUTH_SESSION_ABSOLUTE_TIMEOUT"): must not be shorter than auth.session_idle_timeout (30m) (got "10m")`},
		},
		{
			// R-AUTH-3: the idle timeout holds for any value from a second up.
			name:   "ErrIdleUnderASecond",
			modify: func(c *Config) { c.Auth.SessionIdleTimeout = 500 * time.Millisecond },
			want:   []string{`auth.session_idle_timeout ("LEDGER_AUTH_SESSION_IDLE_TIMEOUT"): must be at least 1s`},
		},
		{
			name:   "ErrNegativeHashes",
			modify: func(c *Config) { c.Auth.MaxConcurrentPasswordHashes = -1 },
			want:   []string{`auth.max_concurrent_password_hashes ("LEDGER_AUTH_MAX_CONCURRENT_PASSWORD_HASHES"): must be 0 (one per CPU) or more (got -1)`},
		},
		{
			name: "ErrThrottling",
			modify: func(c *Config) {
				c.Auth.MaxFailedLoginsPerAccount = 0
				c.Auth.MaxFailedLoginsPerAddress = -1
				c.Auth.FailedLoginWindow = 0
			},
			want: []string{
				`auth.max_failed_logins_per_account ("LEDGER_AUTH_MAX_FAILED_LOGINS_PER_ACCOUNT"): must be a positive whole number (got 0)`,
				`auth.max_failed_logins_per_address ("LEDGER_AUTH_MAX_FAILED_LOGINS_PER_ADDRESS"): must be a positive whole number (got -1)`,
				`auth.failed_login_window ("LEDGER_AUTH_FAILED_LOGIN_WINDOW"): must be a positive duration`,
			},
		},
		{
			name:   "ErrRegion",
			modify: func(c *Config) { c.Network.Region = "wales" },
			want:   []string{`network.region ("LEDGER_NETWORK_REGION"): must be one of england-and-wales, scotland, northern-ireland (got "wales")`},
		},
		{
			name: "ErrTimescales",
			modify: func(c *Config) {
				c.Timescales.AcknowledgeWorkingDays = 0
				c.Timescales.UrgentWorkingDays = 1000
			},
			want: []string{
				`timescales.acknowledge_working_days ("LEDGER_TIMESCALES_ACKNOWLEDGE_WORKING_DAYS"): must be a whole number of working days from 1 to 260 (got 0)`,
				`timescales.urgent_working_days ("LEDGER_TIMESCALES_URGENT_WORKING_DAYS"): must be a whole number of working days from 1 to 260 (got 1000)`,
			},
		},
		{
			name: "ErrProjections",
			modify: func(c *Config) {
				c.Projections.MaxLagEvents = 0
				c.Projections.ReadYourWritesTimeout = -time.Second
			},
			want: []string{
				`projections.max_lag_events ("LEDGER_PROJECTIONS_MAX_LAG_EVENTS"): must be a positive whole number`,
				`projections.read_your_writes_timeout ("LEDGER_PROJECTIONS_READ_YOUR_WRITES_TIMEOUT"): must be a positive duration, like 30m (got "-1s")`,
			},
		},
		{
			// R-OPS-4: a request must be allowed longer than its wait for the views.
			name: "ErrRequestTimeoutNotLongerThanReadYourWrites",
			modify: func(c *Config) {
				c.HTTP.RequestTimeout = 2 * time.Second
				c.Projections.ReadYourWritesTimeout = 2 * time.Second
			},
			want: []string{
				`http.request_timeout ("LEDGER_HTTP_REQUEST_TIMEOUT"): must be longer than projections.read_your_writes_timeout (2s) (got "2s")`,
			},
		},
		{
			name:   "OKStatisticsExact",
			modify: func(c *Config) { c.Statistics = Statistics{DisclosureControl: false, SuppressMax: 0, RoundTo: 1} },
		},
		{
			name:   "ErrStatistics",
			modify: func(c *Config) { c.Statistics.SuppressMax, c.Statistics.RoundTo = -1, 0 },
			want: []string{
				`statistics.suppress_max ("LEDGER_STATISTICS_SUPPRESS_MAX"): must be a whole number from 0 to 1000 (got -1)`,
				`statistics.round_to ("LEDGER_STATISTICS_ROUND_TO"): must be a whole number from 1 to 1000 (got 0)`,
			},
		},
		{
			name:   "ErrMessagesRate", // R-LOCK-8: messages are always limited
			modify: func(c *Config) { c.Messages.RateLimit, c.Messages.RateWindow = 0, 0 },
			want: []string{
				`messages.rate_limit ("LEDGER_MESSAGES_RATE_LIMIT"): `,
				`messages.rate_window ("LEDGER_MESSAGES_RATE_WINDOW"): `,
			},
		},
		{
			name: "OKSMTP",
			modify: func(c *Config) {
				c.SMTP = SMTP{Host: "smtp.example.org", Port: 465, Username: "ledger", Password: "pw", TLS: SMTPTLSOnly,
					From: "Referral ledger <ledger@example.org>"}
				c.Notify.OverdueDigestAt = "23:59"
			},
		},
		{
			name: "ErrSMTP",
			modify: func(c *Config) {
				c.SMTP = SMTP{Host: "smtp.example.org:587", Port: 70000, TLS: "ssl", From: "ledger"}
			},
			want: []string{
				`smtp.port ("LEDGER_SMTP_PORT"): must be a port number from 1 to 65535 (got 70000)`,
				`smtp.tls ("LEDGER_SMTP_TLS"): must be one of starttls, tls, none (got "ssl")`,
				`smtp.host ("LEDGER_SMTP_HOST"): must be a host name or IP address alone; the port goes in smtp.port (got "smtp.example.org:587")`,
				`smtp.from ("LEDGER_SMTP_FROM"): must be an email address, like ledger@network.example, when smtp.host is set (got "ledger")`,
			},
		},
		{
			name: "ErrNotify",
			modify: func(c *Config) {
				c.Notify = Notify{OverdueDigestAt: "7am", IntakeOffReminderDays: 0, MaxAttempts: 0, RetryBackoff: -time.Second}
			},
			want: []string{
				`notify.overdue_digest_at ("LEDGER_NOTIFY_OVERDUE_DIGEST_AT"): must be a time of day HH:MM, like 07:00 (got "7am")`,
				`notify.intake_off_reminder_days ("LEDGER_NOTIFY_INTAKE_OFF_REMINDER_DAYS"): must be a whole number of days from 1 to 365 (got 0)`,
				`notify.max_attempts ("LEDGER_NOTIFY_MAX_ATTEMPTS"): must be a positive whole number (got 0)`,
				`notify.retry_backoff ("LEDGER_NOTIFY_RETRY_BACKOFF"): must be a positive duration, like 30m (got "-1s")`,
			},
		},
		{
			name:   "ErrStore",
			modify: func(c *Config) { c.Store = "" },
			want:   []string{`store ("LEDGER_STORE"): must be one of sqlite, kurrentdb (got "")`},
		},
		{
			name:   "ErrKurrentDBWithoutURL",
			modify: func(c *Config) { c.Store = StoreKurrentDB },
			want:   []string{`kurrentdb_url ("LEDGER_KURRENTDB_URL"): must be an esdb:// or esdb+discover:// connection string`},
		},
		{
			name:   "ErrPostgresWithoutURL",
			modify: func(c *Config) { c.KeyStore = KeyStorePostgres; c.PostgresURL = "mysql://x" },
			want:   []string{`postgres_url ("LEDGER_POSTGRES_URL"): must be a postgres:// URL`},
		},
		{
			name: "OKSeveralNodes",
			modify: func(c *Config) {
				c.Store, c.KurrentDBURL = StoreKurrentDB, "esdb://node1:2113,node2:2113?tls=false"
				c.KeyStore, c.PostgresURL = KeyStorePostgres, "postgres://ledger@db:5432/ledger"
			},
		},
		{
			name:   "ErrZeroConfigReportsEverything",
			modify: func(c *Config) { *c = Config{} },
			want: []string{
				"http.addr", "http.max_body_bytes", "http.public_url", "privacy.retention", "privacy.retention_check_interval",
				"data_dir", "log.level", "log.format",
				"auth.password_policy", "auth.session_idle_timeout", "auth.session_absolute_timeout",
				"auth.max_failed_logins_per_account", "auth.max_failed_logins_per_address", "auth.failed_login_window",
				"network.region", "timescales.acknowledge_working_days", "timescales.close_working_days",
				"timescales.urgent_working_days", "timescales.reopen_days", "projections.max_lag_events", "projections.read_your_writes_timeout", "http.request_timeout", "store", "keystore",
				"smtp.port", "smtp.tls", "notify.overdue_digest_at", "notify.intake_off_reminder_days",
				"notify.max_attempts", "notify.retry_backoff",
				"statistics.round_to", "messages.rate_limit", "messages.rate_window", "audit.checkpoint_interval",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.modify(&c)
			err := c.Validate()
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			assertProblems(t, err, tc.want)
		})
	}
}

func TestErrorMessage(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  *Error
		want string
	}{
		{
			name: "One",
			err:  &Error{Problems: []Problem{{Key: "http.addr", Env: "LEDGER_HTTP_ADDR", Message: "must be host:port"}}},
			want: `invalid configuration: http.addr ("LEDGER_HTTP_ADDR"): must be host:port`,
		},
		{
			name: "Several",
			err: &Error{Problems: []Problem{
				{Key: "htp", Message: "unknown key in ledger.yaml"},
				{Key: "store", Env: "LEDGER_STORE", Message: "must be one of sqlite"},
			}},
			want: "invalid configuration, 2 problems:\n  htp: unknown key in ledger.yaml\n  store (\"LEDGER_STORE\"): must be one of sqlite",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("Error() =\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}
