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
	"github.com/referral-ledger/ledger/datadir"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/kurrentdb"
	"github.com/referral-ledger/ledger/eventstore/sqlite"
	ledgerhttp "github.com/referral-ledger/ledger/http"
	"github.com/referral-ledger/ledger/idempotency"
	idempg "github.com/referral-ledger/ledger/idempotency/postgres"
	idemsqlite "github.com/referral-ledger/ledger/idempotency/sqlite"
	"github.com/referral-ledger/ledger/keystore"
	keypg "github.com/referral-ledger/ledger/keystore/postgres"
	keysqlite "github.com/referral-ledger/ledger/keystore/sqlite"
	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/notify"
	"github.com/referral-ledger/ledger/projections"
	"github.com/referral-ledger/ledger/session"
	sessionpg "github.com/referral-ledger/ledger/session/postgres"
	sessionsqlite "github.com/referral-ledger/ledger/session/sqlite"
	"github.com/referral-ledger/ledger/statistics"
	"github.com/referral-ledger/ledger/worker"
)

// app is one ledger node's parts, wired from the configuration.
type app struct {
	cfg      config.Config
	log      zerolog.Logger
	lock     *datadir.Lock
	store    eventstore.Store
	sessions session.Store
	idem     idempotency.Store
	keys     keystore.Store
	keyGuard *ledger.KeyGuard // keys, refusing clients whose key is missing
	clients  *projections.Clients
	keyring  *ledger.ClientKeys
	service  *ledger.Service
	accounts *ledger.Accounts
	runner   *projections.Runner
	server   *ledgerhttp.Server
	notifier *notify.Notifier
	health   *worker.Health // the background jobs that cannot run, for /readyz
}

// openApp takes the data directory's writer lock (R-OPS-2), opens its
// stores and builds the node. The caller starts the projections
// (a.runner.Run) and closes it, which releases the lock.
func openApp(cfg config.Config, log zerolog.Logger) (a *app, err error) {
	lock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	// The directory 0700 and its files 0600, whatever the umask or an
	// earlier version left (R-PRIV-4); each store creates its file 0600.
	tightened, err := datadir.Prepare(cfg.DataDir)
	if err != nil {
		_ = lock.Release()
		return nil, err
	}
	if len(tightened) > 0 {
		log.Warn().Strs("files", tightened).
			Msg("the data directory or files in it were readable by other users; made them private to the ledger's user")
	}
	a = &app{cfg: cfg, log: log, lock: lock, health: worker.NewHealth()}
	built := a // a itself is nil by the time a failure returns
	defer func() {
		if err != nil {
			built.close()
		}
	}()
	if err := unfinishedRotation(cfg.DataDir); err != nil {
		return nil, err
	}
	if a.store, err = openEventStore(cfg, log); err != nil {
		return nil, err
	}
	if a.sessions, a.idem, err = openSharedState(cfg); err != nil {
		return nil, err
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
	a.keyGuard = ledger.NewKeyGuard(a.keys)
	a.keyring = ledger.NewClientKeys(a.keyGuard, a.clients, ledger.WithKeysLog(log.With().Str("component", "keys").Logger()))
	a.service = ledger.NewService(a.store, ledger.NewCodec(a.keyring), time.Now, uuid.New)
	timescales := timescalesOf(cfg)
	referrals := projections.NewReferrals(cal, timescales)
	// Projections decode with the public codec: read models never hold
	// client data.
	locks := projections.NewLocks()
	a.service.SetPeople(orgs)
	stats := projections.NewStatistics(cal, timescales)
	messageRate := projections.NewMessageRate(cfg.Messages.RateLimit, cfg.Messages.RateWindow, time.Now)
	a.service.SetMessageQuota(messageRate)
	a.runner = projections.NewRunner(a.store, ledger.NewPublicCodec(), orgs, a.clients, locks, referrals, stats, messageRate)
	a.runner.SetLogger(log.With().Str("component", "projections").Logger())
	// Every event's hash link is checked as the views are built, so a
	// damaged log stops the start naming the position (R-OPS-4).
	a.runner.CheckChains()
	// The throttle keeps its counters in the session store, so its limits
	// hold across restarts and across the nodes sharing it (R-AUTH-5).
	throttle := auth.NewThrottle(auth.ThrottleConfig{AccountFailures: cfg.Auth.MaxFailedLoginsPerAccount,
		AddressFailures: cfg.Auth.MaxFailedLoginsPerAddress, Window: cfg.Auth.FailedLoginWindow}, a.sessions)
	hasher := auth.NewLimitedHasher(auth.Hasher{}, cfg.Auth.MaxConcurrentPasswordHashes)
	index := projections.UserIndex{Organisations: orgs, Runner: a.runner}
	a.service.SetOrganisationNames(index)
	a.service.SetReferences(referrals)
	a.accounts = ledger.NewAccounts(a.service, index, policy, hasher, throttle, sessionStore{a.sessions})
	maxLag := uint64(cfg.Projections.MaxLagEvents)
	if cfg.Store == config.StoreKurrentDB {
		// Positions on KurrentDB are byte offsets in its log, not event
		// counts: allow about a kilobyte an event.
		maxLag *= 1024
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ledger_password_hashes_in_flight",
			Help: "Password hashes (argon2id) being computed now; at most auth.max_concurrent_password_hashes."},
			func() float64 { return float64(hasher.InFlight()) }))
	a.server, err = ledgerhttp.New(ledgerhttp.Deps{
		Service: a.service, Accounts: a.accounts, Orgs: orgs, Clients: a.clients, Runner: a.runner, Keys: a.keyring, Locks: locks,
		Idempotency: a.idem, Calendar: cal,
		Timescales: timescales, Referrals: referrals,
		Statistics: stats, Disclosure: statistics.Rule{Enabled: cfg.Statistics.DisclosureControl,
			SuppressMax: cfg.Statistics.SuppressMax, RoundTo: cfg.Statistics.RoundTo,
			IncludeCurrentMonth: cfg.Statistics.IncludeCurrentMonth},
		Logger: log, Registry: reg, Workers: a.health,
		Options: ledgerhttp.Options{TrustedProxies: cfg.HTTP.TrustedProxies, MaxBodyBytes: cfg.HTTP.MaxBodyBytes,
			ReadYourWritesTimeout: cfg.Projections.ReadYourWritesTimeout, MaxProjectionLag: maxLag,
			RequestTimeout: cfg.HTTP.RequestTimeout, PublicURL: cfg.HTTP.PublicURL, WebInterface: true},
	})
	if err != nil {
		return nil, err
	}
	if cfg.Notify.Enabled {
		if a.notifier, err = openNotifier(cfg, a.store, cal, log); err != nil {
			return nil, err
		}
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
	var ks keystore.Store
	if cfg.KeyStore == config.KeyStorePostgres {
		if source == keystore.SourceDataDir {
			return nil, fmt.Errorf("keystore postgres is shared by several nodes, so they need one master key: " +
				"set LEDGER_MASTER_KEY or master_key_file on every node")
		}
		ks, err = keypg.Open(context.Background(), cfg.PostgresURL, kek)
	} else {
		ks, err = keysqlite.Open(filepath.Join(cfg.DataDir, keysqlite.FileName), kek)
	}
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
		Timescales: timescalesOf(cfg),
	})
}

// timescalesOf is the network's configured timescales (R-TIME-5).
func timescalesOf(cfg config.Config) domain.Timescales {
	return domain.Timescales{AcknowledgeDays: cfg.Timescales.AcknowledgeWorkingDays,
		CloseDays: cfg.Timescales.CloseWorkingDays, UrgentDays: cfg.Timescales.UrgentWorkingDays}
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
	// Last: another process may write once every file is closed.
	errs = append(errs, a.lock.Release())
	return errors.Join(errs...)
}

// sessionPurgeInterval is how often a node clears expired sessions and
// stale throttle counters out of the session store.
const sessionPurgeInterval = 10 * time.Minute

// sessionPurgeLoop purges the session store every interval until ctx ends,
// so neither old sessions nor the throttle counters of every username and
// address ever tried pile up (R-AUTH-5).
func (a *app) sessionPurgeLoop(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := a.sessions.Purge(time.Now()); err != nil {
			a.log.Warn().Err(err).Msg("purging expired sessions failed; will retry")
		}
	}
}

// sessionStore adapts the session store to what ledger.Accounts needs.
type sessionStore struct{ session.Store }

func (s sessionStore) Create(userID, organisationID, credential string, now time.Time) (string, time.Time, error) {
	token, sess, err := s.Store.Create(userID, organisationID, credential, now)
	return token, sess.ExpiresAt, err
}

func (s sessionStore) Lookup(token string, now time.Time) (string, string, error) {
	sess, err := s.Store.Lookup(token, now)
	return sess.UserID, sess.Credential, err
}

// openEventStore opens the ledger: the embedded SQLite log in the data
// directory, or a KurrentDB cluster.
func openEventStore(cfg config.Config, log zerolog.Logger) (eventstore.Store, error) {
	if cfg.Store == config.StoreKurrentDB {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s, err := kurrentdb.Open(ctx, cfg.KurrentDBURL, kurrentdb.WithLogger(log.With().Str("component", "kurrentdb").Logger()))
		if err != nil {
			return nil, fmt.Errorf("event store (kurrentdb_url): %w", err)
		}
		return s, nil
	}
	s, err := sqlite.Open(filepath.Join(cfg.DataDir, eventsFile))
	var damaged *sqlite.DamagedError
	if errors.As(err, &damaged) {
		return nil, fmt.Errorf("event store: %s is damaged (%v): run `ledger verify` for the first bad position, "+
			"then restore it from a backup (ledger restore)", filepath.Join(cfg.DataDir, eventsFile), damaged.Cause)
	}
	if err != nil {
		return nil, fmt.Errorf("event store: %w", err)
	}
	return s, nil
}

// openSharedState opens the session and idempotency stores: files in the
// data directory, or PostgreSQL tables several API nodes share, so a token
// issued by one node works on all and a logout or closure ends it on all.
func openSharedState(cfg config.Config) (session.Store, idempotency.Store, error) {
	scfg := session.Config{IdleTimeout: cfg.Auth.SessionIdleTimeout, AbsoluteTimeout: cfg.Auth.SessionAbsoluteTimeout}
	if cfg.KeyStore == config.KeyStorePostgres {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		sessions, err := sessionpg.Open(ctx, cfg.PostgresURL, scfg)
		if err != nil {
			return nil, nil, fmt.Errorf("session store (postgres_url): %w", err)
		}
		idem, err := idempg.Open(ctx, cfg.PostgresURL)
		if err != nil {
			sessions.Close()
			return nil, nil, fmt.Errorf("idempotency store (postgres_url): %w", err)
		}
		return sessions, idem, nil
	}
	sessions, err := sessionsqlite.OpenWithConfig(filepath.Join(cfg.DataDir, "sessions.db"), scfg)
	if err != nil {
		return nil, nil, fmt.Errorf("session store: %w", err)
	}
	idem, err := idemsqlite.Open(filepath.Join(cfg.DataDir, "idempotency.db"))
	if err != nil {
		sessions.Close()
		return nil, nil, fmt.Errorf("idempotency store: %w", err)
	}
	return sessions, idem, nil
}

// waitReady blocks until the projections have caught up with the store as
// it was when called, so the first requests see a complete picture. It
// logs progress every few seconds and has no time limit (a large ledger
// takes as long as it takes); ctx ends it.
func (a *app) waitReady(ctx context.Context) error {
	t := time.NewTicker(startupProgressEvery)
	defer t.Stop()
	err := catchUp(ctx, a.store, a.runner, t.C, a.cfg.Store != config.StoreKurrentDB, a.log)
	if stopped := a.runner.Err(); err != nil && stopped != nil {
		return unreadableEvent(a.runner.Position(), stopped)
	}
	return err
}
