package postgres

import (
	"context"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/referral-ledger/ledger/metrics"
)

// countReconnects makes the pool count every connection it opens after its
// first as a key-store reconnect (ledger_store_reconnects_total): pgxpool
// replaces a connection that broke by opening another, and also one past
// its lifetime or idle time, so a burst means the database went away and
// a low steady rate is normal.
func countReconnects(cfg *pgxpool.Config) {
	var opened atomic.Int64
	next := cfg.AfterConnect
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		if opened.Add(1) > 1 {
			metrics.Reconnected(metrics.KeyStore)
		}
		if next != nil {
			return next(ctx, c)
		}
		return nil
	}
}
