// Package node builds one ledger node from its configuration: the event
// store, the side stores (sessions, idempotency, keys), the ledger service
// and accounts, the projections and their runner, and the email notifier.
// cmd/ledger serves it and the HTTP tests run it, from this one
// constructor. It does not lock or prepare the data directory (the
// command does) and builds no HTTP server (package http does).
package node

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/audit"
	"github.com/referral-ledger/ledger/auth"
	"github.com/referral-ledger/ledger/calendar"
	"github.com/referral-ledger/ledger/config"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/kurrentdb"
	"github.com/referral-ledger/ledger/eventstore/sqlite"
	"github.com/referral-ledger/ledger/idempotency"
	idempg "github.com/referral-ledger/ledger/idempotency/postgres"
	idemsqlite "github.com/referral-ledger/ledger/idempotency/sqlite"
	"github.com/referral-ledger/ledger/keystore"
	keypg "github.com/referral-ledger/ledger/keystore/postgres"
	keysqlite "github.com/referral-ledger/ledger/keystore/sqlite"
	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/notify"
	notifypg "github.com/referral-ledger/ledger/notify/postgres"
	"github.com/referral-ledger/ledger/projections"
	"github.com/referral-ledger/ledger/session"
	sessionpg "github.com/referral-ledger/ledger/session/postgres"
	sessionsqlite "github.com/referral-ledger/ledger/session/sqlite"
	"github.com/referral-ledger/ledger/statistics"
)

// The files of a node's stores in the data directory (SQLite backends).
const (
	EventsFile      = "events.db"
	SessionsFile    = "sessions.db"
	IdempotencyFile = "idempotency.db"
)

// Node is one ledger node's parts, wired from the configuration.
type Node struct {
	Config      config.Config
	Store       eventstore.Store // the event store as opened; closed last
	Sessions    session.Store
	Idempotency idempotency.Store
	Keys        keystore.Store     // the per-client key store, cached
	KeyGuard    *ledger.KeyGuard   // Keys, refusing clients whose key is missing
	ClientKeys  *ledger.ClientKeys // the keys as the ledger uses them
	Service     *ledger.Service
	Accounts    *ledger.Accounts
	Hasher      *auth.LimitedHasher // password hashing, bounded (R-AUTH-5)

	// Views is the database of the persistent read models (views.db in
	// the data directory; each node keeps its own, on KurrentDB too).
	Views      *projections.Views
	Orgs       *projections.Organisations
	Clients    *projections.Clients
	Referrals  *projections.Referrals
	Locks      *projections.Locks
	Statistics *projections.Statistics
	Runner     *projections.Runner
	// KnownClients is the known clients index (R-REF-14): the one read
	// model that decodes client data, to keep a keyed blind index of it
	// in the views.
	KnownClients *projections.KnownClients

	Calendar   *calendar.Calendar
	Timescales domain.Timescales
	Disclosure statistics.Rule    // the statistics' disclosure control (R-STAT-3)
	Notifier   *notify.Notifier   // nil unless notify.enabled
	MasterKey  keystore.MasterKey // the key store's master key
	// Audit signs (on the designated node) and serves checkpoints of the
	// audit tree (R-AUD-1); see audit.go.
	Audit *audit.Checkpointer
	audit *auditParts
}

// Option changes how Build wires a node; production passes none. Tests
// use them to move time, hash cheaply and inject faults.
type Option func(*options)

type options struct {
	now          func() time.Time
	hasher       auth.Hasher
	kek          keystore.MasterKey
	wrapStore    func(eventstore.Store) eventstore.Store
	wrapSessions func(ledger.Sessions) ledger.Sessions
	wrapMFA      func(session.MFAStore) session.MFAStore
	wrapKeys     func(keystore.Store) keystore.Store
	turnRetry    time.Duration
}

// WithClock makes the node read the time from now instead of time.Now.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithHasher hashes passwords with h instead of the production argon2id
// parameters.
func WithHasher(h auth.Hasher) Option { return func(o *options) { o.hasher = h } }

// WithMasterKey opens the key store under k instead of the configured
// master key.
func WithMasterKey(k keystore.MasterKey) Option { return func(o *options) { o.kek = k } }

// WithStoreWrapper makes the service and the projections use wrap(store)
// instead of the event store (to inject faults); Node.Store stays the
// store as opened.
func WithStoreWrapper(wrap func(eventstore.Store) eventstore.Store) Option {
	return func(o *options) { o.wrapStore = wrap }
}

// WithSessionsWrapper makes the accounts use wrap(sessions) instead of the
// session store.
func WithSessionsWrapper(wrap func(ledger.Sessions) ledger.Sessions) Option {
	return func(o *options) { o.wrapSessions = wrap }
}

// WithMFAStoreWrapper makes the accounts keep second factors through
// wrap(store) instead of the shared session store (to order what
// concurrent requests do there).
func WithMFAStoreWrapper(wrap func(session.MFAStore) session.MFAStore) Option {
	return func(o *options) { o.wrapMFA = wrap }
}

// WithKeysWrapper makes the ledger get client keys through wrap(keys)
// instead of the key store (to watch which keys are used); Node.Keys stays
// the store as opened.
func WithKeysWrapper(wrap func(keystore.Store) keystore.Store) Option {
	return func(o *options) { o.wrapKeys = wrap }
}

// WithNoticesTurnRetry makes a node sharing PostgreSQL try to take the
// turn to send the email notices every d instead of
// notify.DefaultTurnRetry.
func WithNoticesTurnRetry(d time.Duration) Option { return func(o *options) { o.turnRetry = d } }

// Build opens the stores named by cfg and wires the node. The caller runs
// the projections (n.Runner.Run) and the notifier, and Closes the node.
func Build(cfg config.Config, log zerolog.Logger, opts ...Option) (n *Node, err error) {
	o := options{now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	n = &Node{Config: cfg}
	built := n // n itself is nil by the time a failure returns
	defer func() {
		if err != nil {
			_ = built.Close()
		}
	}()
	if n.Store, err = OpenEventStore(cfg, log); err != nil {
		return nil, err
	}
	if n.Sessions, n.Idempotency, err = openSharedState(cfg); err != nil {
		return nil, err
	}
	// Sessions are looked up in memory (no SQL per request) when the
	// session store is this node's own: every logout, password change and
	// closure then goes through this node and ends them here at once.
	// Nodes sharing the PostgreSQL store ask it on every request instead,
	// so a logout on one node ends the session on every node at once
	// (R-AUTH-3), not only after a cached look-up expires.
	if cfg.KeyStore != config.KeyStorePostgres {
		n.Sessions = session.NewCached(n.Sessions,
			session.Config{IdleTimeout: cfg.Auth.SessionIdleTimeout}.WithDefaults().IdleTimeout,
			cfg.Projections.ReadYourWritesTimeout)
	}
	if n.Calendar, err = OpenCalendar(cfg.Network); err != nil {
		return nil, err
	}
	policy, err := auth.ParsePolicy(string(cfg.Auth.PasswordPolicy))
	if err != nil {
		return nil, err
	}
	if n.Keys, n.MasterKey, err = openKeyStore(cfg, o.kek, log); err != nil {
		return nil, err
	}
	store := n.Store
	if o.wrapStore != nil {
		store = o.wrapStore(store)
	}
	viewsPath := filepath.Join(cfg.DataDir, projections.ViewsFile)
	if n.Views, err = projections.OpenViews(viewsPath); err != nil {
		return nil, damagedViews(viewsPath, err)
	}
	// The organisations and accounts are loaded from the views, as of
	// their checkpoint there.
	if n.Orgs, err = projections.OpenOrganisations(context.Background(), n.Views); err != nil {
		return nil, damagedViews(viewsPath, err)
	}
	// The clients index is in the views: the erasure records the keys
	// check (R-PRIV-8) are there from the start, without a replay.
	if n.Clients, err = projections.OpenClients(context.Background(), n.Views); err != nil {
		return nil, damagedViews(viewsPath, err)
	}
	keys := n.Keys
	if o.wrapKeys != nil {
		keys = o.wrapKeys(keys)
	}
	n.KeyGuard = ledger.NewKeyGuard(keys)
	n.ClientKeys = ledger.NewClientKeys(n.KeyGuard, n.Clients, ledger.WithKeysLog(log.With().Str("component", "keys").Logger()))
	n.Service = ledger.NewService(store, ledger.NewCodec(n.ClientKeys), o.now, uuid.New)
	// Reads of unlocked cases are written to the access log in batches,
	// within a second; Close writes what is left (R-LOCK-9).
	n.Service.SetAsyncAccessLog(ledger.DefaultAccessLogInterval, log.With().Str("component", "access-log").Logger())
	if n.audit, err = openAudit(cfg, n.Store, n.Service, o.now, log); err != nil {
		return nil, err
	}
	n.Audit = n.audit.checkpointer
	n.Timescales = Timescales(cfg)
	if n.Referrals, err = projections.OpenReferrals(context.Background(), n.Views, n.Calendar, n.Timescales); err != nil {
		return nil, err
	}
	// Projections decode with the public codec: read models never hold
	// client data.
	if n.Locks, err = projections.OpenLocks(context.Background(), n.Views); err != nil {
		return nil, err
	}
	n.Service.SetPeople(n.Orgs)
	if n.Statistics, err = projections.OpenStatistics(context.Background(), n.Views, n.Calendar, n.Timescales); err != nil {
		return nil, err
	}
	n.Disclosure = statistics.Rule{Enabled: cfg.Statistics.DisclosureControl,
		SuppressMax: cfg.Statistics.SuppressMax, RoundTo: cfg.Statistics.RoundTo,
		IncludeCurrentMonth: cfg.Statistics.IncludeCurrentMonth}
	messageRate, err := projections.OpenMessageRate(context.Background(), n.Views, cfg.Messages.RateLimit, cfg.Messages.RateWindow, o.now)
	if err != nil {
		return nil, err
	}
	n.Service.SetMessageQuota(messageRate)
	if n.KnownClients, err = projections.OpenKnownClients(context.Background(), n.Views, store, n.Service.Codec(),
		ledger.NewIndexKey(n.MasterKey)); err != nil {
		return nil, err
	}
	n.KnownClients.SetLogger(log.With().Str("component", "known-clients").Logger())
	n.Runner = projections.NewRunner(store, ledger.NewPublicCodec(), n.Orgs, n.Clients, n.Locks, n.Referrals, n.Statistics, messageRate,
		n.KnownClients)
	n.Runner.SetLogger(log.With().Str("component", "projections").Logger())
	keysLog := log.With().Str("component", "keys").Logger()
	n.Runner.SetBeforeReplay(func(ctx context.Context, after eventstore.Position) error {
		return n.shredErasedAfter(ctx, after, keysLog)
	})
	n.Runner.UseViews(n.Views)
	// Every event's hash link is checked as the views are built, so a
	// damaged log stops the start naming the position (R-OPS-4).
	n.Runner.CheckChains()
	// The throttle keeps its counters in the session store, so its limits
	// hold across restarts and across the nodes sharing it (R-AUTH-5).
	throttle := auth.NewThrottle(auth.ThrottleConfig{AccountFailures: cfg.Auth.MaxFailedLoginsPerAccount,
		AddressFailures: cfg.Auth.MaxFailedLoginsPerAddress, Window: cfg.Auth.FailedLoginWindow}, n.Sessions)
	n.Hasher = auth.NewLimitedHasher(o.hasher, cfg.Auth.MaxConcurrentPasswordHashes)
	index := projections.UserIndex{Organisations: n.Orgs, Runner: n.Runner}
	n.Service.SetOrganisationNames(index)
	n.Service.SetReferences(n.Referrals)
	n.Service.SetReopenDays(cfg.Timescales.ReopenDays)
	n.Service.SetCalendar(n.Calendar)
	var sessions ledger.Sessions = sessionStore{n.Sessions}
	if o.wrapSessions != nil {
		sessions = o.wrapSessions(sessions)
	}
	n.Accounts = ledger.NewAccounts(n.Service, index, policy, n.Hasher, throttle, sessions)
	// Second factors (issue 17): secrets sealed under a key derived from
	// the master key, kept with the throttle's counters in the shared
	// session store, so a code used on one node is refused on all.
	mfaRoles := make([]domain.Role, len(cfg.Auth.MFARoles()))
	for i, r := range cfg.Auth.MFARoles() {
		mfaRoles[i] = domain.Role(r)
	}
	var mfaStore session.MFAStore = n.Sessions
	if o.wrapMFA != nil {
		mfaStore = o.wrapMFA(mfaStore)
	}
	if err := n.Accounts.SetSecondFactor(mfaStore, n.MasterKey, n.Orgs, ledger.MFAConfig{RequiredRoles: mfaRoles}); err != nil {
		return nil, err
	}
	if cfg.Notify.Enabled {
		if n.Notifier, err = openNotifier(cfg, n.Store, n.Calendar, o.turnRetry, log); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// Close releases the stores; the event store last, after everything that
// might still append has stopped.
func (n *Node) Close() error {
	var errs []error
	if n.Service != nil {
		// Before the store closes: the reads recorded after their answer.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		errs = append(errs, n.Service.CloseAccessLog(ctx))
		cancel()
	}
	if n.Idempotency != nil {
		errs = append(errs, n.Idempotency.Close())
	}
	if n.Sessions != nil {
		errs = append(errs, n.Sessions.Close())
	}
	if n.Keys != nil {
		errs = append(errs, n.Keys.Close())
	}
	if n.Notifier != nil {
		errs = append(errs, n.Notifier.Close())
	}
	if n.Views != nil {
		errs = append(errs, n.Views.Close())
	}
	errs = append(errs, n.audit.close())
	if n.Store != nil {
		errs = append(errs, n.Store.Close())
	}
	return errors.Join(errs...)
}

// Timescales is the network's configured timescales (R-TIME-5).
func Timescales(cfg config.Config) domain.Timescales {
	return domain.Timescales{AcknowledgeDays: cfg.Timescales.AcknowledgeWorkingDays,
		CloseDays: cfg.Timescales.CloseWorkingDays, UrgentDays: cfg.Timescales.UrgentWorkingDays}
}

// OpenEventStore opens the ledger: the embedded SQLite log in the data
// directory, or a KurrentDB cluster.
func OpenEventStore(cfg config.Config, log zerolog.Logger) (eventstore.Store, error) {
	if cfg.Store == config.StoreKurrentDB {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s, err := kurrentdb.Open(ctx, cfg.KurrentDBURL, kurrentdb.WithLogger(log.With().Str("component", "kurrentdb").Logger()))
		if err != nil {
			return nil, fmt.Errorf("event store (kurrentdb_url): %w", err)
		}
		return s, nil
	}
	s, err := sqlite.Open(filepath.Join(cfg.DataDir, EventsFile))
	var damaged *sqlite.DamagedError
	if errors.As(err, &damaged) {
		return nil, fmt.Errorf("event store: %s is damaged (%v): run `ledger verify` for the first bad position, "+
			"then restore it from a backup (ledger restore)", filepath.Join(cfg.DataDir, EventsFile), damaged.Cause)
	}
	if err != nil {
		return nil, fmt.Errorf("event store: %w", err)
	}
	return s, nil
}

// OpenSessions opens the session store cfg names: data_dir/sessions.db, or
// the PostgreSQL tables the nodes share (keystore postgres). Besides the
// sessions it keeps the second factors (issue 17), which is why
// rotate-master-key opens it.
func OpenSessions(cfg config.Config) (session.Store, error) {
	scfg := session.Config{IdleTimeout: cfg.Auth.SessionIdleTimeout, AbsoluteTimeout: cfg.Auth.SessionAbsoluteTimeout}
	if cfg.KeyStore == config.KeyStorePostgres {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		sessions, err := sessionpg.Open(ctx, cfg.PostgresURL, scfg)
		if err != nil {
			return nil, fmt.Errorf("session store (postgres_url): %w", err)
		}
		return sessions, nil
	}
	path := filepath.Join(cfg.DataDir, SessionsFile)
	sessions, err := sessionsqlite.OpenWithConfig(path, scfg)
	if err != nil {
		return nil, fmt.Errorf("session store: %w; if it is damaged, restore it from a backup (ledger restore)", err)
	}
	return sessions, nil
}

// openSharedState opens the session and idempotency stores: files in the
// data directory, or PostgreSQL tables several API nodes share, so a token
// issued by one node works on all and a logout or closure ends it on all.
func openSharedState(cfg config.Config) (session.Store, idempotency.Store, error) {
	sessions, err := OpenSessions(cfg)
	if err != nil {
		return nil, nil, err
	}
	if cfg.KeyStore == config.KeyStorePostgres {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		idem, err := idempg.Open(ctx, cfg.PostgresURL)
		if err != nil {
			sessions.Close()
			return nil, nil, fmt.Errorf("idempotency store (postgres_url): %w", err)
		}
		return sessions, idem, nil
	}
	idemPath := filepath.Join(cfg.DataDir, IdempotencyFile)
	idem, err := idemsqlite.Open(idemPath)
	if err != nil {
		sessions.Close()
		return nil, nil, fmt.Errorf("%s: %w; if it is damaged, restore it from a backup (ledger restore)", idemPath, err)
	}
	return sessions, idem, nil
}

// openKeyStore opens the per-client key store in the data directory under
// kek, or when kek is zero the configured master key, warning when that
// key lives beside the data it protects.
func openKeyStore(cfg config.Config, kek keystore.MasterKey, log zerolog.Logger) (keystore.Store, keystore.MasterKey, error) {
	source := ""
	if kek.IsZero() {
		if err := lostMasterKey(cfg); err != nil {
			return nil, kek, err
		}
		var created bool
		var err error
		kek, source, created, err = keystore.ResolveMasterKey(cfg.MasterKey, cfg.MasterKeyFile, cfg.DataDir)
		if err != nil {
			return nil, kek, fmt.Errorf("master key (LEDGER_MASTER_KEY or master_key_file): %w", err)
		}
		if source == keystore.SourceDataDir {
			ev := log.Warn().Str("master_key_id", kek.ID)
			if created {
				ev = ev.Bool("generated", true)
			}
			ev.Msg("the master key is stored in the data directory beside the keys it protects: " +
				"move it to a key file outside it (master_key_file) or LEDGER_MASTER_KEY")
		}
	}
	var ks keystore.Store
	var err error
	if cfg.KeyStore == config.KeyStorePostgres {
		if source == keystore.SourceDataDir {
			return nil, kek, fmt.Errorf("keystore postgres is shared by several nodes, so they need one master key: " +
				"set LEDGER_MASTER_KEY or master_key_file on every node")
		}
		ks, err = keypg.Open(context.Background(), cfg.PostgresURL, kek)
	} else {
		path := filepath.Join(cfg.DataDir, keysqlite.FileName)
		ks, err = keysqlite.Open(path, kek)
		if sqlite.IsDamaged(err) {
			return nil, kek, fmt.Errorf("key store: %s is damaged (%v): restore it from a backup (ledger restore), "+
				"which keeps erased clients erased", path, err)
		}
	}
	if err != nil {
		return nil, kek, fmt.Errorf("key store: %w", err)
	}
	return keystore.NewCached(ks, keystore.DefaultCacheSize), kek, nil
}

// damagedViews adds to err, when it says views.db at path is damaged, how
// to mend it: the views are derived from the log and rebuilt from it.
// err names the file already.
func damagedViews(path string, err error) error {
	if !sqlite.IsDamaged(err) {
		return err
	}
	if !strings.Contains(err.Error(), path) {
		err = fmt.Errorf("%s: %w", path, err)
	}
	return fmt.Errorf("%w; the views are derived from the event log: rebuild them with `ledger rebuild-views` "+
		"(the server stopped), then start it again", err)
}

// lostMasterKey refuses to generate a master key in the data directory
// when the key store there already exists: its keys are wrapped under the
// key that was in master.key, and a new one would open none of them but
// stay behind for the next start (R-OPS-4). The master key is made before
// the key store, so a key store without it means the key was lost or
// moved.
func lostMasterKey(cfg config.Config) error {
	if strings.TrimSpace(cfg.MasterKey) != "" || cfg.MasterKeyFile != "" || cfg.KeyStore == config.KeyStorePostgres {
		return nil
	}
	key := filepath.Join(cfg.DataDir, keystore.MasterKeyFileName)
	if _, err := os.Stat(key); !errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	keys := filepath.Join(cfg.DataDir, keysqlite.FileName)
	if _, err := os.Stat(keys); err != nil {
		return nil // a first start
	}
	return fmt.Errorf("no master key: %s holds the client keys, but %s, the master key they are wrapped under, is missing. "+
		"Put it back (or set master_key_file or LEDGER_MASTER_KEY to where it is kept); a new key would open none of them", keys, key)
}

// openNotifier opens the email notifier (R-NOTE-1..3) on its own database
// in the data directory. It sends through smtp.host, or writes notices to
// the log when no host is set. With keystore postgres it shares a turn
// with the other nodes on that database (notify/postgres): every node
// derives the notices, one at a time sends them (R-OPS-2).
func openNotifier(cfg config.Config, store eventstore.Store, cal *calendar.Calendar, turnRetry time.Duration,
	log zerolog.Logger) (*notify.Notifier, error) {
	nlog := log.With().Str("component", "notify").Logger()
	sender, err := mailSender(cfg, nlog)
	if err != nil {
		return nil, err
	}
	hour, minute, _ := cfg.Notify.DigestTime() // valid: the configuration was validated
	opts := notify.Options{
		PublicURL: cfg.HTTP.PublicURL, DigestAt: notify.TimeOfDay{Hour: hour, Minute: minute},
		IntakeOffReminderDays: cfg.Notify.IntakeOffReminderDays, MaxAttempts: cfg.Notify.MaxAttempts,
		RetryBackoff: cfg.Notify.RetryBackoff, Calendar: cal, Log: nlog,
		Timescales: Timescales(cfg), TurnRetry: turnRetry,
	}
	if cfg.KeyStore == config.KeyStorePostgres {
		// Nodes sharing PostgreSQL derive the same notices from one log:
		// they take turns at sending them, so each goes out once (R-OPS-2).
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		turn, err := notifypg.Open(ctx, cfg.PostgresURL, noticesNodeName())
		if err != nil {
			return nil, fmt.Errorf("email notices (postgres_url): %w", err)
		}
		opts.Turn = turn
	}
	n, err := notify.Open(context.Background(), filepath.Join(cfg.DataDir, notify.FileName), store, sender, opts)
	if sqlite.IsDamaged(err) {
		err = fmt.Errorf("%w; if it is damaged, restore it from a backup (ledger restore)", err)
	}
	if err != nil && opts.Turn != nil {
		_ = opts.Turn.Close()
	}
	return n, err
}

// noticesNodeName is how this node is named to the others in the logs of
// who sends the email notices: its host name and process id.
func noticesNodeName() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown host"
	}
	return fmt.Sprintf("%s pid %d", host, os.Getpid())
}

// OpenCalendar is the bank-holiday calendar of the network's region, from
// network.bank_holidays_file when set.
func OpenCalendar(n config.Network) (*calendar.Calendar, error) {
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

func (s sessionStore) Peek(token string, now time.Time) (string, string, time.Time, error) {
	sess, ends, err := s.Store.Peek(token, now)
	return sess.UserID, sess.Credential, ends, err
}

// shredErasedAfter destroys the key of every client erased in the part of
// the log after position, which the views are about to replay. The views
// learn of an erasure only when they reach it, so a replay from an early
// checkpoint (a rebuild from scratch, views.db deleted or reset) would
// otherwise decrypt an erased client's earlier events with a key that a
// restored key-store backup brought back: such a key is destroyed on
// sight, never used (R-PRIV-8). Views at the log's head read nothing here.
func (n *Node) shredErasedAfter(ctx context.Context, position eventstore.Position, log zerolog.Logger) error {
	records, err := ledger.ReadErasureRecordsAfter(ctx, n.Store, position)
	if err != nil {
		return fmt.Errorf("reading the erasures the views have not applied: %w", err)
	}
	before, _ := n.ClientKeys.Revived()
	var errs []error
	for _, client := range records.Erased() {
		errs = append(errs, n.ClientKeys.ShredErased(ctx, client))
	}
	if after, _ := n.ClientKeys.Revived(); after > before {
		log.Warn().Int64("erased_client_keys_destroyed", after-before).
			Msg("destroyed keys of erased clients that were back in the key store (a restored backup?) before replaying the log")
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("destroying keys of erased clients before replaying the log: %w", err)
	}
	return nil
}
