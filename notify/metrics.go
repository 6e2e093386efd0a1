package notify

import "context"

// Counts returns how many notices the outbox holds in each status:
// "pending", "sent", "failed" and "cancelled" (absent when none). The
// metrics read it at every scrape (ledger_notices).
func (n *Notifier) Counts(ctx context.Context) (map[string]int, error) {
	return n.outbox.counts(ctx)
}
