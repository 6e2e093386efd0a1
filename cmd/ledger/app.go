package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/auth"
	"github.com/referral-ledger/ledger/calendar"
	"github.com/referral-ledger/ledger/config"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/sqlite"
	ledgerhttp "github.com/referral-ledger/ledger/http"
	"github.com/referral-ledger/ledger/keystore"
	keysqlite "github.com/referral-ledger/ledger/keystore/sqlite"
	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/notify"
	"github.com/referral-ledger/ledger/projections"
	"github.com/referral-ledger/ledger/statistics"
)

// app is one ledger node's parts, wired from the configuration.
type app struct {
	cfg      config.Config
	log      zerolog.Logger
	store    *sqlite.Store
	sessions *auth.SQLiteSessions
	idem     ledgerhttp.IdempotencyStore
	keys     keystore.Store
	clients  *projections.Clients
	keyring  *ledger.ClientKeys
	service  *ledger.Service
	accounts *ledger.Accounts
	runner   *projections.Runner
	server   *ledgerhttp.Server
	notifier *notify.Notifier
}

// openApp opens the data directory's stores and builds the node. The
// caller starts the projections (a.runner.Run) and closes it.
func openApp(cfg config.Config, log zerolog.Logger) (a *app, err error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	a = &app{cfg: cfg, log: log}
	built := a // a itself is nil by the time a failure returns
	defer func() {
		if err != nil {
			built.close()
		}
	}()
	if a.store, err = sqlite.Open(filepath.Join(cfg.DataDir, eventsFile)); err != nil {
		return nil, fmt.Errorf("event store: %w", err)
	}
	if a.sessions, err = auth.OpenSessionsWithConfig(filepath.Join(cfg.DataDir, "sessions.db"), auth.SessionConfig{
		IdleTimeout: cfg.Auth.SessionIdleTimeout, AbsoluteTimeout: cfg.Auth.SessionAbsoluteTimeout}); err != nil {
		return nil, fmt.Errorf("session store: %w", err)
	}
	if a.idem, err = ledgerhttp.OpenIdempotencyStore(filepath.Join(cfg.DataDir, "idempotency.db")); err != nil {
		return nil, fmt.Errorf("idempotency store: %w", err)
	}
	cal, err := openCalendar(cfg.Network)
	if err != nil {
		return nil, err
	}
	policy, err := auth.ParsePolicy(string(cfg.Auth.PasswordPolicy))
	if err != nil {
		return nil, err
	}
	if a.keys, err = openKeyStore(cfg, log); err != nil {
		return nil, err
	}
	orgs := projections.NewOrganisations()
	a.clients = projections.NewClients()
	a.keyring = ledger.NewClientKeys(a.keys, a.clients)
	a.service = ledger.NewService(a.store, ledger.NewCodec(a.keyring), time.Now, uuid.New)
	timescales := domain.Timescales{AcknowledgeDays: cfg.Timescales.AcknowledgeWorkingDays,
		CloseDays: cfg.Timescales.CloseWorkingDays, UrgentDays: cfg.Timescales.UrgentWorkingDays}
	referrals := projections.NewReferrals(cal, timescales)
	// Projections decode with the public codec: read models never hold
	// client data.
	locks := projections.NewLocks()
	a.service.SetPeople(orgs)
	stats := projections.NewStatistics(cal, timescales)
	a.runner = projections.NewRunner(a.store, ledger.NewPublicCodec(), orgs, a.clients, locks, referrals, stats)
	throttle := auth.NewThrottle(auth.ThrottleConfig{AccountFailures: cfg.Auth.MaxFailedLoginsPerAccount,
		AddressFailures: cfg.Auth.MaxFailedLoginsPerAddress, Window: cfg.Auth.FailedLoginWindow})
	a.accounts = ledger.NewAccounts(a.service, projections.UserIndex{Organisations: orgs, Runner: a.runner},
		policy, auth.Hasher{}, throttle, sessionStore{a.sessions})

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a.server, err = ledgerhttp.New(ledgerhttp.Deps{
		Service: a.service, Accounts: a.accounts, Orgs: orgs, Clients: a.clients, Runner: a.runner, Keys: a.keyring, Locks: locks,
		Idempotency: a.idem, Calendar: cal,
		Timescales: timescales, Referrals: referrals,
		Statistics: stats, Disclosure: statistics.Rule{Enabled: cfg.Statistics.DisclosureControl,
			SuppressMax: cfg.Statistics.SuppressMax, RoundTo: cfg.Statistics.RoundTo},
		Logger: log, Registry: reg,
		Options: ledgerhttp.Options{TrustedProxies: cfg.HTTP.TrustedProxies, MaxBodyBytes: cfg.HTTP.MaxBodyBytes,
			ReadYourWritesTimeout: cfg.Projections.ReadYourWritesTimeout, MaxProjectionLag: uint64(cfg.Projections.MaxLagEvents)},
	})
	if err != nil {
		return nil, err
	}
	if a.notifier, err = openNotifier(cfg, a.store, cal, log); err != nil {
		return nil, err
	}
	return a, nil
}

// openKeyStore opens the per-client key store in the data directory under
// the configured master key, warning when that key lives beside the data it
// protects.
func openKeyStore(cfg config.Config, log zerolog.Logger) (keystore.Store, error) {
	kek, source, created, err := keystore.ResolveMasterKey(cfg.MasterKey, cfg.MasterKeyFile, cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("master key (LEDGER_MASTER_KEY or master_key_file): %w", err)
	}
	if source == keystore.SourceDataDir {
		ev := log.Warn().Str("master_key_id", kek.ID)
		if created {
			ev = ev.Bool("generated", true)
		}
		ev.Msg("the master key is stored in the data directory beside the keys it protects: " +
			"move it to a key file outside it (master_key_file) or LEDGER_MASTER_KEY")
	}
	ks, err := keysqlite.Open(filepath.Join(cfg.DataDir, keysqlite.FileName), kek)
	if err != nil {
		return nil, fmt.Errorf("key store: %w", err)
	}
	return keystore.NewCached(ks, keystore.DefaultCacheSize), nil
}

// openNotifier opens the email notifier (R-NOTE-1..3) on its own database
// in the data directory. It sends through smtp.host, or writes notices to
// the log when no host is set.
func openNotifier(cfg config.Config, store eventstore.Store, cal *calendar.Calendar, log zerolog.Logger) (*notify.Notifier, error) {
	nlog := log.With().Str("component", "notify").Logger()
	var sender notify.Sender = notify.LogSender{Log: nlog}
	if cfg.SMTP.Host != "" {
		s, err := notify.NewSMTPSender(notify.SMTPConfig{Host: cfg.SMTP.Host, Port: cfg.SMTP.Port,
			Username: cfg.SMTP.Username, Password: cfg.SMTP.Password, TLS: notify.TLSMode(cfg.SMTP.TLS), From: cfg.SMTP.From})
		if err != nil {
			return nil, err
		}
		sender = s
	}
	hour, minute, _ := cfg.Notify.DigestTime() // valid: the configuration was validated
	return notify.Open(context.Background(), filepath.Join(cfg.DataDir, notify.FileName), store, sender, notify.Options{
		PublicURL: cfg.HTTP.PublicURL, DigestAt: notify.TimeOfDay{Hour: hour, Minute: minute},
		IntakeOffReminderDays: cfg.Notify.IntakeOffReminderDays, MaxAttempts: cfg.Notify.MaxAttempts,
		RetryBackoff: cfg.Notify.RetryBackoff, Calendar: cal, Log: nlog,
		Timescales: domain.Timescales{AcknowledgeDays: cfg.Timescales.AcknowledgeWorkingDays,
			CloseDays: cfg.Timescales.CloseWorkingDays, UrgentDays: cfg.Timescales.UrgentWorkingDays},
	})
}

func openCalendar(n config.Network) (*calendar.Calendar, error) {
	region, err := calendar.ParseRegion(string(n.Region))
	if err != nil {
		return nil, err
	}
	if n.BankHolidaysFile == "" {
		return calendar.New(region, nil)
	}
	f, err := os.Open(n.BankHolidaysFile)
	if err != nil {
		return nil, fmt.Errorf("network.bank_holidays_file: %w", err)
	}
	defer f.Close()
	o, err := calendar.LoadGovUK(f)
	if err != nil {
		return nil, fmt.Errorf("network.bank_holidays_file: %w", err)
	}
	return calendar.New(region, &o)
}

// close releases the stores; the event store last, after everything that
// might still append has stopped.
func (a *app) close() error {
	var errs []error
	if a.idem != nil {
		errs = append(errs, a.idem.Close())
	}
	if a.sessions != nil {
		errs = append(errs, a.sessions.Close())
	}
	if a.keys != nil {
		errs = append(errs, a.keys.Close())
	}
	if a.notifier != nil {
		errs = append(errs, a.notifier.Close())
	}
	if a.store != nil {
		errs = append(errs, a.store.Close())
	}
	return errors.Join(errs...)
}

// sessionStore adapts auth's session store to what ledger.Accounts needs.
type sessionStore struct{ *auth.SQLiteSessions }

func (s sessionStore) Create(userID, organisationID string, now time.Time) (string, time.Time, error) {
	token, sess, err := s.SQLiteSessions.Create(userID, organisationID, now)
	return token, sess.ExpiresAt, err
}

func (s sessionStore) Lookup(token string, now time.Time) (string, error) {
	sess, err := s.SQLiteSessions.Lookup(token, now)
	return sess.UserID, err
}

// waitReady blocks until the projections have caught up with the store as
// it was when called, so the first requests see a complete picture.
func (a *app) waitReady(ctx context.Context) error {
	head, err := a.store.Head(ctx)
	if err != nil {
		return err
	}
	return a.runner.WaitFor(ctx, head)
}
