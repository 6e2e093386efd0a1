// Package idempotencytest is the contract every idempotency store must
// pass: one suite, run by each backend's own tests, so the SQLite backend
// and the PostgreSQL one cannot drift apart.
//
//	func TestContract(t *testing.T) { idempotencytest.Run(t, open) }
package idempotencytest

import (
	"context"
	"crypto/sha256"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/idempotency"
)

// Factory returns a new, empty store and arranges (with tb.Cleanup) for it
// to be closed.
type Factory func(tb testing.TB) idempotency.Store

// Run runs the whole contract against stores made by open, one fresh store
// per case: the behaviour every Store must have (R-OPS-1's bookkeeping).
func Run(t *testing.T, open Factory) {
	ctx := context.Background()
	t0 := time.Date(2025, 1, 31, 9, 0, 0, 0, time.UTC)
	fp := sha256.Sum256([]byte("POST\x00/v1/referrals\x00{}"))
	other := sha256.Sum256([]byte("POST\x00/v1/referrals\x00{ }"))
	resp := idempotency.Response{Status: 201, ContentType: "application/json", Location: "/v1/referrals/1", ETag: `"1"`, Body: []byte("sealed")}

	tests := []struct {
		name string
		run  func(t *testing.T, s idempotency.Store)
	}{
		{"FirstClaimHoldsTheKey", func(t *testing.T, s idempotency.Store) {
			MustClaim(t, s, "u1", "k", fp, t0)
		}},
		{"CompletedIsReplayed", func(t *testing.T, s idempotency.Store) {
			MustClaim(t, s, "u1", "k", fp, t0)
			if err := s.Complete(ctx, "u1", "k", resp); err != nil {
				t.Fatal(err)
			}
			got, err := s.Claim(ctx, "u1", "k", fp, t0.Add(time.Hour))
			if err != nil || got == nil {
				t.Fatalf("claim = %v, %v", got, err)
			}
			if got.Status != resp.Status || got.ContentType != resp.ContentType || got.Location != resp.Location ||
				got.ETag != resp.ETag || string(got.Body) != string(resp.Body) {
				t.Errorf("replayed %+v, want %+v", got, resp)
			}
		}},
		{"DifferentRequestIsInvalid", func(t *testing.T, s idempotency.Store) {
			MustClaim(t, s, "u1", "k", fp, t0)
			_ = s.Complete(ctx, "u1", "k", resp)
			if _, err := s.Claim(ctx, "u1", "k", other, t0); domain.ErrorCode(err) != domain.Invalid {
				t.Fatalf("err = %v, want invalid", err)
			}
		}},
		{"InFlightIsConflict", func(t *testing.T, s idempotency.Store) {
			MustClaim(t, s, "u1", "k", fp, t0)
			_, err := s.Claim(ctx, "u1", "k", fp, t0)
			if domain.ErrorCode(err) != domain.Conflict {
				t.Fatalf("err = %v, want conflict", err)
			}
			// It says when to try again (the answer's Retry-After).
			var ra interface{ RetryAfter() time.Duration }
			if !errors.As(err, &ra) || ra.RetryAfter() != idempotency.InFlightRetryAfter {
				t.Fatalf("err = %v, want it to carry Retry-After %v", err, idempotency.InFlightRetryAfter)
			}
		}},
		{"ReleaseFreesTheKey", func(t *testing.T, s idempotency.Store) {
			MustClaim(t, s, "u1", "k", fp, t0)
			if err := s.Release(ctx, "u1", "k"); err != nil {
				t.Fatal(err)
			}
			MustClaim(t, s, "u1", "k", other, t0)
		}},
		{"ReleaseKeepsACompletedEntry", func(t *testing.T, s idempotency.Store) {
			MustClaim(t, s, "u1", "k", fp, t0)
			_ = s.Complete(ctx, "u1", "k", resp)
			_ = s.Release(ctx, "u1", "k")
			if got, err := s.Claim(ctx, "u1", "k", fp, t0); err != nil || got == nil {
				t.Fatalf("claim = %v, %v", got, err)
			}
		}},
		{"KeysAreScopedPerUser", func(t *testing.T, s idempotency.Store) {
			MustClaim(t, s, "u1", "k", fp, t0)
			MustClaim(t, s, "u2", "k", other, t0)
		}},
		{"CompleteNeedsAClaim", func(t *testing.T, s idempotency.Store) {
			if err := s.Complete(ctx, "u1", "k", resp); err == nil {
				t.Fatal("completed an unclaimed key")
			}
		}},
		{"ExpiresAfter24Hours", func(t *testing.T, s idempotency.Store) {
			MustClaim(t, s, "u1", "k", fp, t0)
			_ = s.Complete(ctx, "u1", "k", resp)
			if got, err := s.Claim(ctx, "u1", "k", fp, t0.Add(idempotency.TTL-time.Nanosecond)); err != nil || got == nil {
				t.Fatalf("just before expiry: %v, %v", got, err)
			}
			MustClaim(t, s, "u1", "k", other, t0.Add(idempotency.TTL))
		}},
		{"Purge", func(t *testing.T, s idempotency.Store) {
			MustClaim(t, s, "u1", "old", fp, t0)
			MustClaim(t, s, "u1", "new", fp, t0.Add(time.Hour))
			n, err := s.Purge(ctx, t0.Add(idempotency.TTL))
			if err != nil || n != 1 {
				t.Fatalf("purged %d, %v; want 1", n, err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.run(t, open(t))
		})
	}
}

// ConcurrentClaims checks that of claims racing for one key on s, one wins.
func ConcurrentClaims(t *testing.T, s idempotency.Store) {
	fp := sha256.Sum256([]byte("x"))
	const n = 16
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = s.Claim(context.Background(), "u1", "k", fp, time.Now())
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case domain.ErrorCode(err) != domain.Conflict:
			t.Errorf("unexpected error %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d claims won, want 1", won)
	}
}

// MustClaim claims key in scope at now or fails tb.
func MustClaim(tb testing.TB, s idempotency.Store, scope, key string, fp [32]byte, now time.Time) {
	tb.Helper()
	got, err := s.Claim(context.Background(), scope, key, fp, now)
	if err != nil || got != nil {
		tb.Fatalf("claim %s/%s = %v, %v; want the key", scope, key, got, err)
	}
}
