// Package config holds the ledger's settings: a plain Config struct, its
// defaults, loading from ledger.yaml and LEDGER_* environment variables, and
// validation.
//
// Viper is used only inside this package, to read and layer the sources; no
// viper type appears in its API, so the rest of the tree depends on Config
// alone and tests can build one as a literal.
package config

import (
	"slices"
	"time"
)

// Config is every setting of a ledger node. The yaml tag is the key's name in
// ledger.yaml (nested under its section); the environment variable is LEDGER_
// followed by the upper-cased dotted key with dots replaced by underscores
// (http.addr is LEDGER_HTTP_ADDR). The help tag feeds Keys and the README.
type Config struct {
	HTTP              HTTP         `yaml:"http"`
	DataDir           string       `yaml:"data_dir" help:"Directory holding the event log, key store and other state."`
	BootstrapPassword string       `yaml:"bootstrap_password" secret:"true" help:"Password of the first coordinator account, set on first start only (a later start says it is ignored). Empty: generate one on first start and print it once."`
	BootstrapEmail    string       `yaml:"bootstrap_email" help:"Email address of the first coordinator account and of the coordinating body, set on first start only; change it later with PATCH /v1/organisations/{id}/users/{user_id}. Empty: coordinator@localhost."`
	Log               Log          `yaml:"log"`
	Auth              Auth         `yaml:"auth"`
	Network           Network      `yaml:"network"`
	Timescales        Timescales   `yaml:"timescales"`
	Projections       Projections  `yaml:"projections"`
	Store             StoreKind    `yaml:"store" help:"Event store backend: sqlite (the embedded log in data_dir) or kurrentdb (a KurrentDB/EventStoreDB cluster at kurrentdb_url)."`
	KurrentDBURL      string       `yaml:"kurrentdb_url" secret:"true" help:"Connection string of the KurrentDB cluster, e.g. esdb://node1:2113,node2:2113,node3:2113?tls=true, when store is kurrentdb."`
	KeyStore          KeyStoreKind `yaml:"keystore" help:"Where client keys, sessions and idempotency replies live: sqlite (in data_dir, one node) or postgres (shared by several API nodes, at postgres_url)."`
	PostgresURL       string       `yaml:"postgres_url" secret:"true" help:"PostgreSQL connection URL when keystore is postgres, e.g. postgres://ledger@db:5432/ledger."`
	MasterKey         string       `yaml:"master_key" secret:"true" help:"Master key (KEK) wrapping the per-client data keys: base64 of 32 bytes. Wins over master_key_file."`
	MasterKeyFile     string       `yaml:"master_key_file" help:"File holding the master key (base64, mode 0600). Neither set: generated into data_dir/master.key on first start, with a warning to move it."`
	Privacy           Privacy      `yaml:"privacy"`
	SMTP              SMTP         `yaml:"smtp"`
	Notify            Notify       `yaml:"notify"`
	Statistics        Statistics   `yaml:"statistics"`
	Messages          Messages     `yaml:"messages"`
	Audit             Audit        `yaml:"audit"`
}

// Privacy configures retention of client data (R-PRIV-5).
type Privacy struct {
	Retention              time.Duration `yaml:"retention" help:"Client data is shredded this long after the client's last referral closed (52560h is 6 years)."`
	RetentionCheckInterval time.Duration `yaml:"retention_check_interval" help:"How often the retention job looks for clients due to be shredded."`
}

// SMTP configures the mail server email notices are sent through
// (R-NOTE-1). With no host, notices are written to the log instead.
type SMTP struct {
	Host     string  `yaml:"host" help:"SMTP server for email notices. Empty: notices are written to the log (reference and recipient domain only) instead of sent."`
	Port     int     `yaml:"port" help:"SMTP server port: 587 for STARTTLS, 465 for implicit TLS."`
	Username string  `yaml:"username" help:"SMTP user name. Empty: no authentication."`
	Password string  `yaml:"password" secret:"true" help:"SMTP password."`
	TLS      SMTPTLS `yaml:"tls" help:"starttls (required, not opportunistic), tls (implicit, SMTPS) or none (only for a relay on the same host)."`
	From     string  `yaml:"from" help:"From address of every notice, like ledger@network.example. Required when smtp.host is set."`
}

// Notify configures which email notices go out when (R-NOTE-1, R-ORG-2).
type Notify struct {
	Enabled               bool          `yaml:"enabled" help:"Derive and send email notices on this node. Nodes sharing PostgreSQL (keystore postgres) take turns: one at a time sends and another takes over when it stops, so leave it on on every node. Off: this node sends none."`
	OverdueDigestAt       string        `yaml:"overdue_digest_at" help:"Europe/London time of day (HH:MM) the overdue digest goes out, on working days."`
	IntakeOffReminderDays int           `yaml:"intake_off_reminder_days" help:"Org leads are reminded once their intake has been off this many days."`
	MaxAttempts           int           `yaml:"max_attempts" help:"Attempts to send a notice the mail server refuses for good (5xx) before it is marked failed and logged; a deferred notice (4xx, server unreachable) is retried until taken."`
	RetryBackoff          time.Duration `yaml:"retry_backoff" help:"Wait after a failed attempt, doubling after each further one up to 1h."`
}

// SMTPTLS selects how the connection to the SMTP server is protected.
type SMTPTLS string

// The SMTP TLS modes.
const (
	SMTPStartTLS SMTPTLS = "starttls"
	SMTPTLSOnly  SMTPTLS = "tls"
	SMTPNoTLS    SMTPTLS = "none"
)

// DigestTime returns the hour and minute of OverdueDigestAt, and false if
// it is not a valid HH:MM.
func (n Notify) DigestTime() (hour, minute int, ok bool) {
	t, err := time.Parse("15:04", n.OverdueDigestAt)
	if err != nil {
		return 0, 0, false
	}
	return t.Hour(), t.Minute(), true
}

// Statistics configures disclosure control of the anonymised statistics
// (R-STAT-3); see statistics.Rule for the method.
type Statistics struct {
	DisclosureControl bool `yaml:"disclosure_control" help:"Apply disclosure control to GET /v1/statistics: suppress small counts, round the rest, suppress further counts a total would give away, and report whole completed months only (from/to as YYYY-MM). Off: exact counts, any days, not for publication."`
	SuppressMax       int  `yaml:"suppress_max" help:"Counts from 1 to this are suppressed (NHS Digital: 7)."`
	RoundTo           int  `yaml:"round_to" help:"Other counts are rounded to the nearest multiple of this (NHS Digital: 5); 1 leaves them exact."`
	// IncludeCurrentMonth is off by default: a month so far grows day by
	// day, and successive figures for it can be subtracted (R-STAT-5).
	IncludeCurrentMonth bool `yaml:"include_current_month" help:"With disclosure control on, also allow the current month so far in GET /v1/statistics (to=this month), for the network's own dashboards. NOT for publication: a growing month can be subtracted to reveal small counts."`
}

// Messages configures messages passed to a locked case's responsible
// person (R-LOCK-8).
type Messages struct {
	RateLimit  int           `yaml:"rate_limit" help:"Messages one user may pass on about one client within messages.rate_window; past it, 429 with Retry-After. Counted per user and client id, whether or not the client exists."`
	RateWindow time.Duration `yaml:"rate_window" help:"The sliding window messages.rate_limit counts over."`
}

// HTTP configures the API server.
type HTTP struct {
	Addr           string        `yaml:"addr" help:"Address the HTTP server listens on, host:port."`
	TrustedProxies []string      `yaml:"trusted_proxies" help:"IPs or CIDRs of reverse proxies whose X-Forwarded-For is believed (comma-separated in the environment). Empty: trust none."`
	MaxBodyBytes   int64         `yaml:"max_body_bytes" help:"Largest request body accepted, in bytes."`
	PublicURL      string        `yaml:"public_url" help:"Base URL users reach the service at, used for links in emails. Empty: http:// + http.addr (localhost when it names no host)."`
	RequestTimeout time.Duration `yaml:"request_timeout" help:"Every request is answered within this: a request still waiting for the store or the views then gets 503 with Retry-After. Longer than projections.read_your_writes_timeout."`
}

// Log configures logging; see package logging.
type Log struct {
	Level  string    `yaml:"level" help:"Least severe level logged: trace, debug, info, warn or error."`
	Format LogFormat `yaml:"format" help:"auto (console on a terminal, JSON otherwise), json or console."`
}

// Auth configures accounts, sessions and login throttling (R-AUTH-2, R-AUTH-3).
type Auth struct {
	PasswordPolicy            PasswordPolicy `yaml:"password_policy" help:"network (8+ chars with digits, upper, lower and another character; change after 6 months) or modern (NIST SP 800-63B: 12+ chars, no composition rules)."`
	SessionIdleTimeout        time.Duration  `yaml:"session_idle_timeout" help:"A session ends after this long without a request."`
	SessionAbsoluteTimeout    time.Duration  `yaml:"session_absolute_timeout" help:"A session ends this long after sign-in, however active."`
	MaxFailedLoginsPerAccount int            `yaml:"max_failed_logins_per_account" help:"Failed logins allowed per account within the window; the next attempt locks it (for the window, doubling with each lockout in a row up to 4h). Attempts still being checked count towards it too, so no more are ever checked, but lock nothing: one beyond it is asked to retry in a second."`
	MaxFailedLoginsPerAddress int            `yaml:"max_failed_logins_per_address" help:"The same per client address (higher, as an office shares one)."`
	FailedLoginWindow         time.Duration  `yaml:"failed_login_window" help:"Window over which failed logins are counted."`

	MaxConcurrentPasswordHashes int `yaml:"max_concurrent_password_hashes" help:"Most password hashes (argon2id, 19 MiB each) computed at once; sign-ins beyond it wait up to 2s, then get 503. 0: one per CPU."`

	MFARequiredRoles []string `yaml:"mfa_required_roles" help:"Roles whose holders must sign in with a second factor (an authenticator app's code), comma-separated in the environment. Empty or none: no role (an org lead may still require it of their organisation)."`
}

// MFANone, alone in auth.mfa_required_roles, requires a second factor of
// no role: the way to empty the list from the environment, where an empty
// value means unset.
const MFANone = "none"

// MFARoles returns the roles of auth.mfa_required_roles; none for an empty
// list or the list just "none".
func (a Auth) MFARoles() []string {
	if len(a.MFARequiredRoles) == 1 && a.MFARequiredRoles[0] == MFANone {
		return nil
	}
	return a.MFARequiredRoles
}

// Network configures the referral network's calendar.
type Network struct {
	Region           Region `yaml:"region" help:"Bank-holiday calendar: england-and-wales, scotland or northern-ireland."`
	BankHolidaysFile string `yaml:"bank_holidays_file" help:"Optional file of bank holidays replacing the built-in calendar of the region."`
}

// Timescales are the network's agreed deadlines, in working days (R-TIME-1..5).
type Timescales struct {
	AcknowledgeWorkingDays int `yaml:"acknowledge_working_days" help:"Working days to acknowledge a referral, counting the day it was made."`
	CloseWorkingDays       int `yaml:"close_working_days" help:"Further working days to close a referral after the day of acknowledgement."`
	UrgentWorkingDays      int `yaml:"urgent_working_days" help:"Working days to acknowledge and close an urgent referral, counting the day it was made."`
	ReopenDays             int `yaml:"reopen_days" help:"Calendar days after closing or declining a referral during which its receiver may reopen it (R-REF-12)."`
}

// Projections configures the read models.
type Projections struct {
	MaxLagEvents          int           `yaml:"max_lag_events" help:"/readyz fails while a projection is more than this many events behind the store."`
	ReadYourWritesTimeout time.Duration `yaml:"read_your_writes_timeout" help:"How long a request waits for projections to catch up with the caller's own write."`
}

// LogFormat selects how log lines are written.
type LogFormat string

// The log formats.
const (
	LogFormatAuto    LogFormat = "auto"    // console on a terminal, JSON otherwise
	LogFormatJSON    LogFormat = "json"    // one JSON object per line
	LogFormatConsole LogFormat = "console" // human-readable lines
)

// PasswordPolicy selects the password rules of R-AUTH-2.
type PasswordPolicy string

// The password policies.
const (
	PasswordPolicyNetwork PasswordPolicy = "network" // the networks' own policy
	PasswordPolicyModern  PasswordPolicy = "modern"  // NIST SP 800-63B / NCSC
)

// Region selects the bank-holiday calendar used to count working days.
type Region string

// The UK bank-holiday regions.
const (
	RegionEnglandAndWales Region = "england-and-wales"
	RegionScotland        Region = "scotland"
	RegionNorthernIreland Region = "northern-ireland"
)

// StoreKind selects the event store backend.
type StoreKind string

// The event store backends.
const (
	StoreSQLite    StoreKind = "sqlite"
	StoreKurrentDB StoreKind = "kurrentdb"
)

// KeyStoreKind selects where keys, sessions and idempotency replies live.
type KeyStoreKind string

// The key store backends.
const (
	KeyStoreSQLite   KeyStoreKind = "sqlite"
	KeyStorePostgres KeyStoreKind = "postgres"
)

// Default returns the configuration used when nothing is set: a node
// listening on 127.0.0.1:8080 with its data in ./data. It is valid.
func Default() Config {
	const addr = "127.0.0.1:8080"
	return Config{
		HTTP: HTTP{
			Addr:           addr,
			TrustedProxies: []string{},
			MaxBodyBytes:   1 << 20,
			PublicURL:      "http://" + addr,
			RequestTimeout: 30 * time.Second,
		},
		DataDir: "./data",
		Log: Log{
			Level:  "info",
			Format: LogFormatAuto,
		},
		Auth: Auth{
			PasswordPolicy:            PasswordPolicyNetwork,
			SessionIdleTimeout:        30 * time.Minute,
			SessionAbsoluteTimeout:    12 * time.Hour,
			MaxFailedLoginsPerAccount: 5,
			MaxFailedLoginsPerAddress: 20,
			FailedLoginWindow:         15 * time.Minute,
			MFARequiredRoles:          []string{"coordinator", "auditor", "system_support", "emergency_duty"},
		},
		Network: Network{
			Region: RegionEnglandAndWales,
		},
		Timescales: Timescales{
			AcknowledgeWorkingDays: 3,
			CloseWorkingDays:       5,
			UrgentWorkingDays:      2,
			ReopenDays:             30,
		},
		Projections: Projections{
			MaxLagEvents:          1000,
			ReadYourWritesTimeout: 2 * time.Second,
		},
		Store:    StoreSQLite,
		KeyStore: KeyStoreSQLite,
		Privacy: Privacy{
			Retention:              6 * 365 * 24 * time.Hour,
			RetentionCheckInterval: time.Hour,
		},
		SMTP: SMTP{
			Port: 587,
			TLS:  SMTPStartTLS,
		},
		Notify: Notify{
			Enabled:               true,
			OverdueDigestAt:       "07:00",
			IntakeOffReminderDays: 7,
			MaxAttempts:           10,
			RetryBackoff:          time.Minute,
		},
		Statistics: Statistics{
			DisclosureControl: true,
			SuppressMax:       7,
			RoundTo:           5,
		},
		Messages: Messages{
			RateLimit:  20,
			RateWindow: time.Hour,
		},
		Audit: Audit{
			CheckpointInterval:   time.Hour,
			CheckpointRecipients: []string{},
		},
	}
}

// Redacted returns a copy of c that is safe to log: secrets are masked.
func (c Config) Redacted() Config {
	if c.BootstrapPassword != "" {
		c.BootstrapPassword = "[redacted]"
	}
	if c.MasterKey != "" {
		c.MasterKey = "[redacted]"
	}
	if c.KurrentDBURL != "" {
		c.KurrentDBURL = "[redacted]"
	}
	if c.PostgresURL != "" {
		c.PostgresURL = "[redacted]"
	}
	if c.SMTP.Password != "" {
		c.SMTP.Password = "[redacted]"
	}
	c.HTTP.TrustedProxies = slices.Clone(c.HTTP.TrustedProxies)
	c.Auth.MFARequiredRoles = slices.Clone(c.Auth.MFARequiredRoles)
	return c
}
