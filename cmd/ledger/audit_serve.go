package main

import (
	"context"
	"sync"

	"github.com/referral-ledger/ledger/worker"
)

// runAudit signs checkpoints (on the designated node) and keeps the audit
// tree (KurrentDB) in the background; the returned func stops both. The
// tree's follower is restarted with backoff after a failure (a full disk,
// a dropped subscription), resuming after the last event it holds, and
// /readyz names it meanwhile (R-OPS-4, R-AUD-1).
func (a *app) runAudit(log loggerT) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	if a.node.Audit.Signs() {
		log.Info().Dur("interval", a.cfg.Audit.CheckpointInterval).Msg("signing audit checkpoints")
	}
	wg.Go(func() { a.node.SignCheckpoints(ctx) })
	if a.node.FollowsAuditTree() {
		wg.Go(func() { a.health.Run(ctx, log, workerAuditTree, worker.DefaultBackoff, a.node.FollowAuditTree) })
	}
	return func() {
		cancel()
		wg.Wait()
	}
}
