package main

import (
	"context"
)

// runAudit keeps the audit tree (KurrentDB) and signs checkpoints (on the
// designated node) in the background; the returned func stops it.
func (a *app) runAudit(log loggerT) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if a.node.Audit.Signs() {
			log.Info().Dur("interval", a.cfg.Audit.CheckpointInterval).Msg("signing audit checkpoints")
		}
		if err := a.node.RunAudit(ctx); err != nil {
			log.Error().Err(err).Msg("the audit tree stopped following the ledger; proofs and checkpoints may lag")
		}
	}()
	return func() {
		cancel()
		<-done
	}
}
