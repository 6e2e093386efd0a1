// Package headreq marks a request that came as HEAD and is being answered
// as the GET of the same target (RFC 9110, 9.3.2), so that a GET whose
// answer is itself a recorded act, such as a subject access export
// (R-PRIV-6), can check the request without doing it.
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
