package config

import (
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/referral-ledger/ledger/domain"
)

// Problem is one thing wrong with a configuration.
type Problem struct {
	Key     string // dotted key, e.g. "http.addr"; empty if the problem is not about one key
	Env     string // its environment variable, e.g. "LEDGER_HTTP_ADDR"; empty for file-only problems
	Message string // what is wrong and what is expected
}

// String reads like `http.addr ("LEDGER_HTTP_ADDR"): must be host:port`.
func (p Problem) String() string {
	switch {
	case p.Key == "":
		return p.Message
	case p.Env == "":
		return p.Key + ": " + p.Message
	default:
		return fmt.Sprintf("%s (%q): %s", p.Key, p.Env, p.Message)
	}
}

// Error lists every problem found in a configuration, so an operator can fix
// them all in one go. Load and Validate return it as *Error.
type Error struct {
	Problems []Problem
}

// Error reads "invalid configuration: " and the problem, or lists the
// problems one per line when there are several.
func (e *Error) Error() string {
	if len(e.Problems) == 1 {
		return "invalid configuration: " + e.Problems[0].String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "invalid configuration, %d problems:", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Validate checks every setting and returns an *Error listing all problems,
// or nil if there are none. It does no I/O: it does not check that data_dir
// or network.bank_holidays_file exist.
func (c Config) Validate() error {
	if ps := c.problems(); len(ps) > 0 {
		return &Error{Problems: ps}
	}
	return nil
}

func (c Config) problems() []Problem {
	var ps problems

	if err := checkHostPort(c.HTTP.Addr); err != "" {
		ps.add("http.addr", c.HTTP.Addr, err)
	}
	for _, p := range c.HTTP.TrustedProxies {
		if _, err := netip.ParsePrefix(p); err == nil {
			continue
		}
		if _, err := netip.ParseAddr(p); err != nil {
			ps.add("http.trusted_proxies", p, "each entry must be an IP address or CIDR, like 10.0.0.1 or 10.0.0.0/8")
		}
	}
	if c.HTTP.MaxBodyBytes <= 0 {
		ps.add("http.max_body_bytes", c.HTTP.MaxBodyBytes, "must be a positive number of bytes")
	}
	if u, err := url.Parse(c.HTTP.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		ps.add("http.public_url", c.HTTP.PublicURL, "must be an absolute http or https URL without query or fragment, like https://referrals.example.org")
	}

	ps.positiveDuration("privacy.retention", c.Privacy.Retention)
	ps.positiveDuration("privacy.retention_check_interval", c.Privacy.RetentionCheckInterval)

	if c.BootstrapEmail != "" {
		if a, err := mail.ParseAddress(c.BootstrapEmail); err != nil || a.Address != c.BootstrapEmail {
			ps.add("bootstrap_email", c.BootstrapEmail, "must be a bare email address, like coordinator@network.example")
		}
	}
	if strings.TrimSpace(c.DataDir) == "" {
		ps.add("data_dir", c.DataDir, "must not be empty")
	}

	// Package logging understands the same names.
	logLevels := []string{"trace", "debug", "info", "warn", "error"}
	if !slices.Contains(logLevels, c.Log.Level) {
		ps.add("log.level", c.Log.Level, "must be one of "+strings.Join(logLevels, ", "))
	}
	oneOf(&ps, "log.format", c.Log.Format, LogFormatAuto, LogFormatJSON, LogFormatConsole)

	oneOf(&ps, "auth.password_policy", c.Auth.PasswordPolicy, PasswordPolicyNetwork, PasswordPolicyModern)
	ps.positiveDuration("auth.session_idle_timeout", c.Auth.SessionIdleTimeout)
	if c.Auth.SessionIdleTimeout > 0 && c.Auth.SessionIdleTimeout < time.Second {
		ps.add("auth.session_idle_timeout", formatDuration(c.Auth.SessionIdleTimeout), "must be at least 1s")
	}
	ps.positiveDuration("auth.session_absolute_timeout", c.Auth.SessionAbsoluteTimeout)
	if c.Auth.SessionIdleTimeout > 0 && c.Auth.SessionAbsoluteTimeout < c.Auth.SessionIdleTimeout {
		ps.add("auth.session_absolute_timeout", formatDuration(c.Auth.SessionAbsoluteTimeout),
			"must not be shorter than auth.session_idle_timeout ("+formatDuration(c.Auth.SessionIdleTimeout)+")")
	}
	ps.positiveInt("auth.max_failed_logins_per_account", c.Auth.MaxFailedLoginsPerAccount)
	ps.positiveInt("auth.max_failed_logins_per_address", c.Auth.MaxFailedLoginsPerAddress)
	ps.positiveDuration("auth.failed_login_window", c.Auth.FailedLoginWindow)
	if c.Auth.MaxConcurrentPasswordHashes < 0 {
		ps.add("auth.max_concurrent_password_hashes", c.Auth.MaxConcurrentPasswordHashes, "must be 0 (one per CPU) or more")
	}

	for _, r := range c.Auth.MFARequiredRoles {
		if r == MFANone && len(c.Auth.MFARequiredRoles) == 1 {
			continue
		}
		if !domain.Role(r).Valid() {
			ps.add("auth.mfa_required_roles", r, "each entry must be a role ("+roleNames()+"), or the list just none")
		}
	}

	oneOf(&ps, "network.region", c.Network.Region, RegionEnglandAndWales, RegionScotland, RegionNorthernIreland)
	ps.workingDays("timescales.acknowledge_working_days", c.Timescales.AcknowledgeWorkingDays)
	ps.workingDays("timescales.close_working_days", c.Timescales.CloseWorkingDays)
	ps.workingDays("timescales.urgent_working_days", c.Timescales.UrgentWorkingDays)
	if n := c.Timescales.ReopenDays; n < 1 || n > 366 {
		ps.add("timescales.reopen_days", n, "must be a whole number of days from 1 to 366")
	}

	ps.positiveInt("projections.max_lag_events", c.Projections.MaxLagEvents)
	ps.positiveDuration("projections.read_your_writes_timeout", c.Projections.ReadYourWritesTimeout)
	ps.positiveDuration("http.request_timeout", c.HTTP.RequestTimeout)
	if c.HTTP.RequestTimeout > 0 && c.HTTP.RequestTimeout <= c.Projections.ReadYourWritesTimeout {
		ps.add("http.request_timeout", formatDuration(c.HTTP.RequestTimeout),
			"must be longer than projections.read_your_writes_timeout ("+formatDuration(c.Projections.ReadYourWritesTimeout)+")")
	}

	oneOf(&ps, "store", c.Store, StoreSQLite, StoreKurrentDB)
	oneOf(&ps, "keystore", c.KeyStore, KeyStoreSQLite, KeyStorePostgres)
	if c.Store == StoreKurrentDB && !strings.HasPrefix(c.KurrentDBURL, "esdb://") && !strings.HasPrefix(c.KurrentDBURL, "esdb+discover://") &&
		!strings.HasPrefix(c.KurrentDBURL, "kurrentdb://") && !strings.HasPrefix(c.KurrentDBURL, "kurrentdb+discover://") {
		ps.add("kurrentdb_url", "[redacted]", "must be an esdb:// or esdb+discover:// connection string when store is kurrentdb")
	}
	if c.KeyStore == KeyStorePostgres && !strings.HasPrefix(c.PostgresURL, "postgres://") && !strings.HasPrefix(c.PostgresURL, "postgresql://") {
		ps.add("postgres_url", "[redacted]", "must be a postgres:// URL when keystore is postgres")
	}

	ps.smtp(c.SMTP)
	if _, _, ok := c.Notify.DigestTime(); !ok {
		ps.add("notify.overdue_digest_at", c.Notify.OverdueDigestAt, "must be a time of day HH:MM, like 07:00")
	}
	if n := c.Notify.IntakeOffReminderDays; n < 1 || n > 365 {
		ps.add("notify.intake_off_reminder_days", n, "must be a whole number of days from 1 to 365")
	}
	ps.positiveInt("notify.max_attempts", c.Notify.MaxAttempts)
	ps.positiveDuration("notify.retry_backoff", c.Notify.RetryBackoff)

	// Checked even with disclosure control off, so switching it on cannot
	// fail at run time.
	if c.Statistics.SuppressMax < 0 || c.Statistics.SuppressMax > 1000 {
		ps.add("statistics.suppress_max", c.Statistics.SuppressMax, "must be a whole number from 0 to 1000")
	}
	if c.Statistics.RoundTo < 1 || c.Statistics.RoundTo > 1000 {
		ps.add("statistics.round_to", c.Statistics.RoundTo, "must be a whole number from 1 to 1000")
	}
	ps.positiveInt("messages.rate_limit", c.Messages.RateLimit)
	ps.positiveDuration("messages.rate_window", c.Messages.RateWindow)
	ps.audit(c)
	return ps
}

// smtp checks the mail settings. Host and from matter only when mail is
// sent, but a bad port or mode is a typo whenever it is written.
func (ps *problems) smtp(s SMTP) {
	if s.Port < 1 || s.Port > 65535 {
		ps.add("smtp.port", s.Port, "must be a port number from 1 to 65535")
	}
	oneOf(ps, "smtp.tls", s.TLS, SMTPStartTLS, SMTPTLSOnly, SMTPNoTLS)
	if s.Host == "" {
		return
	}
	if strings.ContainsAny(s.Host, ":/ ") {
		ps.add("smtp.host", s.Host, "must be a host name or IP address alone; the port goes in smtp.port")
	}
	if _, err := mail.ParseAddress(s.From); err != nil {
		ps.add("smtp.from", s.From, "must be an email address, like ledger@network.example, when smtp.host is set")
	}
}

// checkHostPort returns what is wrong with a listen address, or "".
func checkHostPort(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "must be host:port, like 127.0.0.1:8080 or :8080"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "must be host:port with a port number from 0 to 65535"
	}
	return ""
}

// problems collects Problems; its helpers name the key and its variable.
type problems []Problem

// add records a problem with key, quoting value. No secret is ever checked
// here, so the value can be shown.
func (ps *problems) add(key string, value any, msg string) {
	*ps = append(*ps, Problem{Key: key, Env: envName(key), Message: msg + fmt.Sprintf(" (got %s)", describe(value))})
}

// oneOf records a problem unless v is one of allowed.
func oneOf[T ~string](ps *problems, key string, v T, allowed ...T) {
	if slices.Contains(allowed, v) {
		return
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	ps.add(key, string(v), "must be one of "+strings.Join(names, ", "))
}

func (ps *problems) positiveInt(key string, n int) {
	if n <= 0 {
		ps.add(key, n, "must be a positive whole number")
	}
}

func (ps *problems) positiveDuration(key string, d time.Duration) {
	if d <= 0 {
		ps.add(key, formatDuration(d), "must be a positive duration, like 30m")
	}
}

// workingDays bounds a timescale: a deadline more than a year of working
// days away is surely a typo.
func (ps *problems) workingDays(key string, n int) {
	if n < 1 || n > 260 {
		ps.add(key, n, "must be a whole number of working days from 1 to 260")
	}
}

// roleNames lists the roles, for a message.
func roleNames() string {
	var out []string
	for _, r := range domain.Roles() {
		out = append(out, string(r))
	}
	return strings.Join(out, ", ")
}
