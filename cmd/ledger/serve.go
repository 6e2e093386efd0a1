package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime/debug"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/referral-ledger/ledger/domain"
	keysqlite "github.com/referral-ledger/ledger/keystore/sqlite"
	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/version"
	"github.com/referral-ledger/ledger/worker"
)

// shutdownGrace is how long in-flight requests get to finish after SIGTERM.
const shutdownGrace = 15 * time.Second

// serveCommand runs a node: the HTTP API on the embedded store.
func serveCommand(configFile *string, stdout, stderr io.Writer) *cobra.Command {
	var opts serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the HTTP API on the embedded event store",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, log, err := loadConfigAndLog(*configFile, stderr)
			if err != nil {
				return err
			}
			logUnknownEnv(log)
			return serve(cmd.Context(), cfg, opts, stdout, log)
		},
	}
	cmd.Flags().BoolVar(&opts.allowMissingKeys, "allow-missing-keys", false,
		"start even if some clients with data in the ledger have no key in the key store: "+
			"their data answers 503 and /readyz says \"degraded\" (default: refuse to start)")
	return cmd
}

// handlerWrapKey carries, in serve's context, a function that wraps the
// HTTP handler: the tests' OpenAPI checker. Nothing else sets it.
type handlerWrapKey struct{}

// serveOptions are serve's flags.
type serveOptions struct {
	allowMissingKeys bool
}

// serve runs until ctx ends, then drains in-flight requests and closes the
// stores cleanly. The data directory is locked, its stores opened (a new
// one's empty databases and generated master key created) and the port
// bound before anything is replayed or written to the log, so a port in
// use fails fast and a first start's generated password is printed by the
// process that serves it.
func serve(ctx context.Context, cfg configT, opts serveOptions, stdout io.Writer, log loggerT) error {
	keysGone := keyStoreGone(cfg)
	a, err := openApp(cfg, log)
	if err != nil {
		return err
	}
	defer a.close()

	ln, err := net.Listen("tcp", cfg.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("http.addr (LEDGER_HTTP_ADDR): %w", err)
	}
	defer ln.Close()

	runCtx, stopRunner := context.WithCancel(context.Background())
	runnerDone := make(chan error, 1)
	go func() { runnerDone <- a.runner.Run(runCtx) }()
	defer func() {
		stopRunner()
		<-runnerDone
	}()
	// Every hash chain of the log is checked while the views catch up,
	// both before the server answers (R-OPS-4).
	verifyCtx, stopVerify := context.WithCancel(ctx)
	defer stopVerify()
	verified := make(chan error, 1)
	go func() { verified <- a.verifyLog(verifyCtx) }()
	// No time limit: a large log takes as long as it takes, with progress
	// in the log; SIGTERM (ctx) still stops it.
	if err := a.waitReady(ctx); err != nil {
		return fmt.Errorf("building the views: %w", err)
	}
	if err := <-verified; err != nil {
		return err
	}

	// An erasure interrupted by a crash is finished before serving, and
	// every erased client's key is destroyed again, in case a restored
	// key-store backup brought one back (R-PRIV-3).
	if n, err := a.service.FinishErasures(ctx, a.clients, a.keyring); err != nil {
		return fmt.Errorf("finishing erasures: %w", a.unreadableViews(err))
	} else if n > 0 {
		log.Info().Int("erasures", n).Msg("finished interrupted erasures")
	}

	if err := a.checkKeys(ctx, opts.allowMissingKeys); err != nil {
		if keysGone {
			// The empty key store opening made goes again: left, it
			// would pass for the real one with the other tools.
			a.discard = append(a.discard, keysqlite.FileName)
			err = fmt.Errorf("%w. If `ledger migrate --to postgres` moved the keys to PostgreSQL, "+
				"set keystore: postgres (LEDGER_KEYSTORE)", err)
		}
		return err
	}

	if err := a.sharedKeysWithoutLog(ctx); err != nil {
		return err
	}
	password, created, err := a.accounts.Bootstrap(ctx, cfg.BootstrapPassword, cfg.BootstrapEmail)
	if err != nil {
		return err
	}
	// The start-up work (the log's verification, the key check, the
	// views' catch-up) is done: the memory it used goes back to the
	// system now rather than when the runtime gets round to it, so the
	// server's footprint is what serving needs.
	debug.FreeOSMemory()
	// A request's body must have arrived within http.request_timeout, so
	// a client sending it slowly is answered within that time too, as
	// every request is (R-OPS-4); the write timeout leaves room to send
	// the answer of a request that used all of it.
	handler := a.server.Handler()
	if wrap, ok := ctx.Value(handlerWrapKey{}).(func(http.Handler) http.Handler); ok {
		handler = wrap(handler)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: cfg.HTTP.RequestTimeout, WriteTimeout: max(60*time.Second, cfg.HTTP.RequestTimeout+10*time.Second),
		IdleTimeout: 2 * time.Minute}
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(stdout, "referral ledger listening on %s (data in %s)\n", base, cfg.DataDir)
	fmt.Fprintf(stdout, "web interface: open %s/ in a browser\n", base)
	switch {
	case created && cfg.BootstrapPassword == "":
		fmt.Fprintf(stdout, "first start: sign in as %q with password %s (shown once; change it with PUT /v1/users/me/password)\n", ledger.BootstrapUsername, password)
	case created:
		fmt.Fprintf(stdout, "first start: sign in as %q with the password in LEDGER_BOOTSTRAP_PASSWORD\n", ledger.BootstrapUsername)
	default:
		fmt.Fprintf(stdout, "sign in with POST %s/v1/sessions {\"username\":…, \"password\":…}\n", base)
		if cfg.BootstrapPassword != "" {
			// Set for a first start that happened before: admin's
			// password is the one set then or since, not this one.
			fmt.Fprintf(stdout, "LEDGER_BOOTSTRAP_PASSWORD (bootstrap_password) is ignored: it sets %q's password on a ledger's first start only, "+
				"and this ledger was started before; remove it from the configuration\n", ledger.BootstrapUsername)
		}
	}
	if created && slices.Contains(cfg.Auth.MFARoles(), string(domain.RoleCoordinator)) {
		fmt.Fprintf(stdout, "then set up a second factor (an authenticator app), required of the coordinator: "+
			"the web interface asks at first sign-in; with the API, POST /v1/users/me/mfa/totp and confirm a code\n")
	}
	fmt.Fprintf(stdout, "API description: %s/v1/openapi.json\n", base)
	log.Info().Str("addr", ln.Addr().String()).Str("version", version.Get().Version).Msg("serving")

	// Email notices (R-NOTE-1..3) stop before the stores close: what is
	// due but unsent stays in notifications.db for the next start.
	notifyCtx, stopNotify := context.WithCancel(context.Background())
	notifyDone := make(chan struct{})
	go func() {
		defer close(notifyDone)
		if a.notifier == nil {
			log.Info().Msg("email notices are sent by another node (notify.enabled is false)")
			return
		}
		// Restarted with backoff after any failure (a full disk, the
		// store); /readyz names it meanwhile (R-OPS-4).
		a.health.Run(notifyCtx, log, workerNotices, worker.DefaultBackoff, a.notifier.RunReporting)
	}()
	defer func() {
		stopNotify()
		<-notifyDone
	}()

	retentionCtx, stopRetention := context.WithCancel(context.Background())
	retentionDone := make(chan struct{})
	go func() {
		defer close(retentionDone)
		a.retentionLoop(retentionCtx, cfg.Privacy.RetentionCheckInterval)
	}()
	defer func() {
		stopRetention()
		<-retentionDone
	}()

	purgeCtx, stopPurge := context.WithCancel(context.Background())
	purgeDone := make(chan struct{})
	go func() {
		defer close(purgeDone)
		a.sessionPurgeLoop(purgeCtx, sessionPurgeInterval)
	}()
	defer func() {
		stopPurge()
		<-purgeDone
	}()

	// Signed checkpoints of the audit tree (R-AUD-1): audit.go.
	stopAudit := a.runAudit(log)
	defer stopAudit()

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case err := <-runnerDone:
		runnerDone <- err
		log.Error().Err(err).Msg("projections stopped; shutting down")
	case <-ctx.Done():
		log.Info().Msg("shutting down: finishing in-flight requests")
	}
	// In-flight requests end within http.request_timeout (R-OPS-4).
	shutCtx, cancel := context.WithTimeout(context.Background(), max(shutdownGrace, cfg.HTTP.RequestTimeout+time.Second))
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	// The reads answered last are still queued for the access log: write
	// them now, while the read models still run, and let the views take
	// them in, so a restart finds its views level with the log.
	if err := a.service.CloseAccessLog(shutCtx); err != nil {
		log.Error().Err(err).Msg("writing the access log's last reads")
	} else if head, err := a.node.Store.Head(shutCtx); err == nil && a.runner.Err() == nil {
		_ = a.runner.WaitFor(shutCtx, head)
	}
	log.Info().Msg("stopped")
	return nil
}
