package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/referral-ledger/ledger/config"
	"github.com/referral-ledger/ledger/keystore"
	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/projections"
)

// checkKeys checks, before the node serves, that every client with data in
// the ledger and not erased has a key that opens (R-OPS-4). If some have
// none it refuses to start, saying how many and what to restore, unless
// allowMissing: then it serves degraded, answering 503 for those clients
// and "degraded" on /readyz. It logs counts only, never client ids.
func (a *app) checkKeys(ctx context.Context, allowMissing bool) error {
	check, err := ledger.CheckKeys(ctx, a.clients, a.keys)
	if errors.Is(err, projections.ErrUnreadable) {
		return fmt.Errorf("checking the client keys: %w", a.unreadableViews(err))
	}
	if err != nil {
		return fmt.Errorf("checking the key store: %w", err)
	}
	if check.DestroyedUnrecorded > 0 {
		a.log.Warn().Int("clients", check.DestroyedUnrecorded).
			Msg("the key store records keys as destroyed that the event log records no erasure of: " +
				"the event log is older than the key store; those clients read as erased")
	}
	failed := check.Failed()
	if len(failed) == 0 {
		a.log.Info().Int("clients_checked", check.Checked).Msg("every client with data in the ledger has its key")
		return nil
	}
	what := a.keyStoreName()
	problem := fmt.Sprintf("%d of the %d clients with data in the ledger have no usable key in %s "+
		"(%d missing, %d unreadable)", len(failed), check.Checked, what, len(check.Missing), len(check.Unreadable))
	if !allowMissing && a.cfg.Store == config.StoreKurrentDB && a.cfg.KeyStore == config.KeyStoreSQLite {
		return fmt.Errorf("%s: this node keeps client keys in its own keys.db (keystore: sqlite) but its events in KurrentDB, "+
			"which other nodes may share. Nodes on KurrentDB need keystore: postgres with the same postgres_url and master key "+
			"as the others; a single node needs its keys.db back (ledger restore), or start with --allow-missing-keys to serve "+
			"everything else", problem)
	}
	if !allowMissing {
		return fmt.Errorf("%s: the key store is older than the event log, or was lost or damaged. "+
			"Restore %s from a backup taken at the same time as the event log or later (ledger restore), "+
			"or start with --allow-missing-keys to serve everything else: those clients' data then answers 503 "+
			"until their keys are restored", problem, what)
	}
	a.keyGuard.Refuse(failed)
	a.server.SetDegraded(fmt.Sprintf("missing_client_keys: %s; restore the key store", problem))
	a.log.Error().Int("clients_without_key", len(failed)).Int("clients_checked", check.Checked).
		Msg("serving degraded (--allow-missing-keys): " + problem + "; their data answers 503 until the key store is restored")
	return nil
}

// unreadableViews adds to err, when it says the views could not be read,
// which file they are in and how to mend it: they are derived from the
// event log and rebuilt from it. A start that could not read who is erased
// or who has data would check nothing, so it stops (R-OPS-4, R-PRIV-8).
func (a *app) unreadableViews(err error) error {
	if !errors.Is(err, projections.ErrUnreadable) {
		return err
	}
	return fmt.Errorf("%s cannot be read (%w); the views are derived from the event log: "+
		"rebuild them with `ledger rebuild-views` (the server stopped), then start it again",
		filepath.Join(a.cfg.DataDir, projections.ViewsFile), err)
}

// sharedKeysWithoutLog refuses to start a new ledger in an empty embedded
// event log beside a PostgreSQL key store that another ledger already
// keeps its keys in: a node of a KurrentDB network left with store: sqlite
// (the default) would otherwise start a network of its own, with its own
// bootstrap account, sharing the others' sessions and key store (R-OPS-2).
func (a *app) sharedKeysWithoutLog(ctx context.Context) error {
	if a.cfg.Store != config.StoreSQLite || a.cfg.KeyStore != config.KeyStorePostgres {
		return nil
	}
	head, err := a.store.Head(ctx)
	if err != nil || head > 0 {
		return err
	}
	h, ok := a.keys.(keystore.Holder)
	if !ok {
		return nil
	}
	used, err := h.Used(ctx)
	if err != nil {
		return fmt.Errorf("checking the key store: %w", err)
	}
	if !used {
		return nil
	}
	return fmt.Errorf("the PostgreSQL key store (postgres_url) already holds another ledger's client keys, "+
		"but this node's event log (store: sqlite, in %s) is empty: starting would begin a new network beside it. "+
		"A node joining several nodes on KurrentDB needs store: kurrentdb and the same kurrentdb_url as the others; "+
		"a single node needs its own events.db back (ledger restore) or its own PostgreSQL database", a.cfg.DataDir)
}

// keyStoreName names the key store for an operator.
func (a *app) keyStoreName() string {
	if a.cfg.KeyStore == config.KeyStorePostgres {
		return "the PostgreSQL key store (postgres_url)"
	}
	return "keys.db"
}
