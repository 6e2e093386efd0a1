// Package headreq marks a request that came as HEAD and is being answered
// as the GET of the same target (RFC 9110, 9.3.2). A HEAD is checked as
// the GET is and answers its status and headers, but its answer holds
// nothing, so it must leave no trace a GET leaves because of what it
// gives: the ledger records no read of a case in its access log
// (R-LOCK-9), the audit checkpointer signs no checkpoint on demand
// (R-AUD-1, R-AUD-3), and the subject access export is checked, not
// made (R-PRIV-6).
package headreq

import "context"

type key struct{}

// With returns ctx marked as a HEAD request's.
func With(ctx context.Context) context.Context {
	return context.WithValue(ctx, key{}, true)
}

// Is reports whether ctx is a HEAD request's (With).
func Is(ctx context.Context) bool {
	v, _ := ctx.Value(key{}).(bool)
	return v
}
