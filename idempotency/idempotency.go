// Package idempotency keeps the first result of each request sent with an
// Idempotency-Key (API.md), so a retry gets it again instead of running
// twice: the Store contract every backend meets. The backends are
// idempotency/sqlite (a file in the data directory) and idempotency/postgres
// (shared by several API nodes); idempotency/idempotencytest is the
// contract suite both run. The HTTP middleware that uses a Store, and seals
// what it stores, is in package http.
package idempotency

import (
	"context"
	"time"

	"github.com/referral-ledger/ledger/domain"
)

// TTL is how long the first result of an idempotent request is kept: the
// same key can be retried for 24 hours.
const TTL = 24 * time.Hour

// Store keeps, per scope (a user id) and Idempotency-Key, the fingerprint
// of the first request and, once it succeeded, its response.
// Implementations must make Claim atomic. Response bodies reach the store
// already sealed; the store treats them as opaque bytes.
type Store interface {
	// Claim starts a request. It returns (nil, nil) when the caller now
	// holds the key and must Complete or Release it; the stored response
	// when the key's request with the same fingerprint has completed; an
	// Invalid error when the key was used with a different fingerprint; a
	// Conflict error while the key's first request is still in flight
	// (ErrInFlight).
	// Entries created at or before now-TTL count as absent.
	Claim(ctx context.Context, scope, key string, fingerprint [32]byte, now time.Time) (*Response, error)
	// Complete stores the response of a claimed key.
	Complete(ctx context.Context, scope, key string, resp Response) error
	// Release gives up a claimed key that has no response, so it can be
	// used again.
	Release(ctx context.Context, scope, key string) error
	// Purge deletes the entries that have expired at now and returns how
	// many it deleted.
	Purge(ctx context.Context, now time.Time) (int64, error)
	// Close releases the store's resources.
	Close() error
}

// Response is the stored first result of an idempotent request. Body is
// sealed by the caller: the store never sees it in the clear.
type Response struct {
	Status      int
	ContentType string
	Location    string
	ETag        string
	Body        []byte
}

// InFlightRetryAfter is how long a client is told to wait (Retry-After)
// before sending a request again while the first with its key is still in
// flight: a request takes well under a second.
const InFlightRetryAfter = time.Second

// ErrInFlight is the Conflict a Store's Claim answers while the first
// request with the key is still being processed. It carries
// InFlightRetryAfter (a RetryAfter method), which the HTTP answer gives as
// Retry-After.
func ErrInFlight() error { return errInFlight }

var errInFlight = &inFlightError{err: domain.Errorf(domain.Conflict,
	"the first request with this Idempotency-Key is still being processed; retry later")}

type inFlightError struct{ err *domain.Error }

func (e *inFlightError) Error() string             { return e.err.Error() }
func (e *inFlightError) Unwrap() error             { return e.err }
func (e *inFlightError) RetryAfter() time.Duration { return InFlightRetryAfter }
