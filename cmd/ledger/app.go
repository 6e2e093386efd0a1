package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/calendar"
	"github.com/referral-ledger/ledger/config"
	"github.com/referral-ledger/ledger/datadir"
	"github.com/referral-ledger/ledger/eventstore"
	ledgerhttp "github.com/referral-ledger/ledger/http"
	"github.com/referral-ledger/ledger/idempotency"
	"github.com/referral-ledger/ledger/keystore"
	keysqlite "github.com/referral-ledger/ledger/keystore/sqlite"
	"github.com/referral-ledger/ledger/ledger"
	ledgernode "github.com/referral-ledger/ledger/node"
	"github.com/referral-ledger/ledger/notify"
	"github.com/referral-ledger/ledger/projections"
	"github.com/referral-ledger/ledger/session"
	"github.com/referral-ledger/ledger/worker"
)

// app is one ledger node's parts, wired from the configuration by
// node.Build, and its HTTP server.
type app struct {
	cfg      config.Config
	log      zerolog.Logger
	lock     *datadir.Lock
	node     *ledgernode.Node
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
	// discard names databases close removes once the stores are closed,
	// before it releases the lock: what a refused start made and must
	// not leave behind.
	discard []string
}

// nodeOptions are added to every node the binary builds: none, except in
// tests that need the node's clock (a referral made days ago).
var nodeOptions []ledgernode.Option

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
	if staged, err := removeStaged(cfg.DataDir); err != nil {
		return nil, err
	} else if len(staged) > 0 {
		log.Warn().Strs("files", staged).
			Msg("removed the copies an interrupted restore left in the data directory; run the restore again to finish it")
	}
	if err := unfinishedRestore(cfg.DataDir); err != nil {
		return nil, err
	}
	// A keys.db left beside a node on the PostgreSQL key store would keep
	// the keys of clients erased from now on (R-PRIV-4).
	if err := leftoverKeyStore(cfg); err != nil {
		return nil, err
	}
	if err := lostEventLog(cfg); err != nil {
		return nil, err
	}
	n, err := ledgernode.Build(cfg, log, nodeOptions...)
	if err != nil {
		return nil, err
	}
	a.node, a.store, a.sessions, a.idem, a.keys = n, n.Store, n.Sessions, n.Idempotency, n.Keys
	a.keyGuard, a.clients, a.keyring, a.service, a.accounts = n.KeyGuard, n.Clients, n.ClientKeys, n.Service, n.Accounts
	a.runner, a.notifier = n.Runner, n.Notifier

	a.server, err = ledgerhttp.NewForNode(n, log, a.health)
	if err != nil {
		return nil, err
	}
	return a, nil
}

// metricSources are the node's readings /metrics takes at each scrape:
// how far each view is behind the store, the password hashes in flight and
// the notices in the outbox.
func openCalendar(n config.Network) (*calendar.Calendar, error) { return ledgernode.OpenCalendar(n) }

// close releases the stores; the event store last, after everything that
// might still append has stopped.
func (a *app) close() error {
	var errs []error
	if a.node != nil {
		errs = append(errs, a.node.Close())
	}
	for _, name := range a.discard {
		errs = append(errs, removeDatabase(a.cfg.DataDir, name))
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

// openEventStore opens the ledger: the embedded SQLite log in the data
// directory, or a KurrentDB cluster.
func openEventStore(cfg config.Config, log zerolog.Logger) (eventstore.Store, error) {
	return ledgernode.OpenEventStore(cfg, log)
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

// lostEventLog refuses a data directory whose embedded event log is gone
// while files only a ledger that has run leave beside it remain (the key
// store, the views): the event store is opened first, so they never exist
// without it. Opening it would start a new, empty network there, with a
// new bootstrap account, and the old log would be lost for good if
// anything then overwrote its backup (R-OPS-4).
func lostEventLog(cfg config.Config) error {
	if cfg.Store != config.StoreSQLite {
		return nil
	}
	path := filepath.Join(cfg.DataDir, eventsFile)
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) && !emptyLog(path) {
		return nil
	}
	var left []string
	for _, name := range []string{keysqlite.FileName, projections.ViewsFile} {
		if _, err := os.Stat(filepath.Join(cfg.DataDir, name)); err == nil {
			left = append(left, name)
		}
	}
	if len(left) == 0 {
		return nil // a first start
	}
	return fmt.Errorf("no event log at %s (missing or empty), but %s from a ledger that ran here remain: the log was deleted, emptied or moved. "+
		"Put it back, or restore a backup (ledger restore --from DIR); to start a new ledger, use an empty data directory",
		path, strings.Join(left, " and "))
}

// emptyLog reports whether the SQLite file at path holds nothing at all:
// no byte in it and none in its write-ahead log. SQLite would take it for a
// new database.
func emptyLog(path string) bool {
	info, err := os.Stat(path)
	if err != nil || info.Size() != 0 {
		return false
	}
	wal, err := os.Stat(path + "-wal")
	return err != nil || wal.Size() == 0
}
