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
	"github.com/referral-ledger/ledger/eventstore/sqlite"
	ledgerhttp "github.com/referral-ledger/ledger/http"
	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/projections"
)

// app is one ledger node's parts, wired from the configuration.
type app struct {
	cfg      config.Config
	log      zerolog.Logger
	store    *sqlite.Store
	sessions *auth.SQLiteSessions
	idem     ledgerhttp.IdempotencyStore
	service  *ledger.Service
	accounts *ledger.Accounts
	runner   *projections.Runner
	server   *ledgerhttp.Server
}

// openApp opens the data directory's stores and builds the node. The
// caller starts the projections (a.runner.Run) and closes it.
func openApp(cfg config.Config, log zerolog.Logger) (a *app, err error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	a = &app{cfg: cfg, log: log}
	defer func() {
		if err != nil {
			a.close()
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
	codec := ledger.NewCodec()
	a.service = ledger.NewService(a.store, codec, time.Now, uuid.New)
	orgs, clients := projections.NewOrganisations(), projections.NewClients()
	a.runner = projections.NewRunner(a.store, codec, orgs, clients)
	throttle := auth.NewThrottle(auth.ThrottleConfig{AccountFailures: cfg.Auth.MaxFailedLoginsPerAccount,
		AddressFailures: cfg.Auth.MaxFailedLoginsPerAddress, Window: cfg.Auth.FailedLoginWindow})
	a.accounts = ledger.NewAccounts(a.service, projections.UserIndex{Organisations: orgs, Runner: a.runner},
		policy, auth.Hasher{}, throttle, sessionStore{a.sessions})

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a.server, err = ledgerhttp.New(ledgerhttp.Deps{
		Service: a.service, Accounts: a.accounts, Orgs: orgs, Clients: clients, Runner: a.runner,
		Idempotency: a.idem, Calendar: cal,
		Timescales: domain.Timescales{AcknowledgeDays: cfg.Timescales.AcknowledgeWorkingDays,
			CloseDays: cfg.Timescales.CloseWorkingDays, UrgentDays: cfg.Timescales.UrgentWorkingDays},
		Logger: log, Registry: reg,
		Options: ledgerhttp.Options{TrustedProxies: cfg.HTTP.TrustedProxies, MaxBodyBytes: cfg.HTTP.MaxBodyBytes,
			ReadYourWritesTimeout: cfg.Projections.ReadYourWritesTimeout, MaxProjectionLag: uint64(cfg.Projections.MaxLagEvents)},
	})
	if err != nil {
		return nil, err
	}
	return a, nil
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
