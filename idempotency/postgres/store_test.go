package postgres

import (
	"context"
	"crypto/sha256"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/idempotency"
	"github.com/referral-ledger/ledger/idempotency/idempotencytest"
	"github.com/referral-ledger/ledger/internal/pgtest"
)

// openAt opens the store at url and closes it when tb
// ends.
func openAt(tb testing.TB, url string) idempotency.Store {
	tb.Helper()
	s, err := Open(context.Background(), url)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func openForContract(tb testing.TB) idempotency.Store {
	tb.Helper()
	return openAt(tb, pgtest.URL(tb))
}

// The behaviour the SQLite store has, case for case.
func TestContract(t *testing.T) { idempotencytest.Run(t, openForContract) }

// Claims racing on two nodes for one key: exactly one wins.
func TestConcurrentClaims(t *testing.T) {
	url := pgtest.URL(t)
	a, b := openAt(t, url), openAt(t, url)
	idempotencytest.ConcurrentClaims(t, twoNodes{a, b, new(atomic.Int64)})
}

// twoNodes sends calls to two stores on one database in turn, as a load
// balancer would.
type twoNodes struct {
	a, b idempotency.Store
	n    *atomic.Int64
}

func (n twoNodes) pick() idempotency.Store {
	if n.n.Add(1)%2 == 0 {
		return n.a
	}
	return n.b
}

func (n twoNodes) Claim(ctx context.Context, scope, key string, fp [32]byte, now time.Time) (*idempotency.Response, error) {
	return n.pick().Claim(ctx, scope, key, fp, now)
}
func (n twoNodes) Complete(ctx context.Context, scope, key string, resp idempotency.Response) error {
	return n.pick().Complete(ctx, scope, key, resp)
}
func (n twoNodes) Release(ctx context.Context, scope, key string) error {
	return n.pick().Release(ctx, scope, key)
}
func (n twoNodes) Purge(ctx context.Context, now time.Time) (int64, error) {
	return n.pick().Purge(ctx, now)
}
func (n twoNodes) Close() error { return nil }

// A retry that the load balancer sends to another node is answered from the
// first node's result, and a request in flight on one node is a conflict on
// the other.
func TestAcrossNodes(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	a, b := openAt(t, url), openAt(t, url)
	fp := sha256.Sum256([]byte("x"))
	now := time.Now()
	idempotencytest.MustClaim(t, a, "u1", "k", fp, now)
	if _, err := b.Claim(ctx, "u1", "k", fp, now); domain.ErrorCode(err) != domain.Conflict {
		t.Fatalf("claim on node b while in flight on node a = %v, want conflict", err)
	}
	if err := a.Complete(ctx, "u1", "k", idempotency.Response{Status: 201, Location: "/v1/x", Body: []byte("sealed")}); err != nil {
		t.Fatal(err)
	}
	got, err := b.Claim(ctx, "u1", "k", fp, now.Add(time.Minute))
	if err != nil || got == nil || got.Status != 201 || got.Location != "/v1/x" || string(got.Body) != "sealed" {
		t.Fatalf("replay on node b = %+v, %v", got, err)
	}
}

// A claim whose node died mid-request (nothing completes or releases it)
// blocks the key for abandonedClaimAfter, then may be claimed again.
func TestAbandonedClaim(t *testing.T) {
	ctx := context.Background()
	s := openForContract(t)
	t0 := time.Date(2025, 1, 31, 9, 0, 0, 0, time.UTC)
	fp := sha256.Sum256([]byte("x"))
	idempotencytest.MustClaim(t, s, "u1", "k", fp, t0)
	if _, err := s.Claim(ctx, "u1", "k", fp, t0.Add(abandonedClaimAfter-time.Second)); domain.ErrorCode(err) != domain.Conflict {
		t.Fatalf("claim before the claim is abandoned = %v, want conflict", err)
	}
	// Only the same request may take an abandoned claim over (R-OPS-1).
	other := sha256.Sum256([]byte("y"))
	if _, err := s.Claim(ctx, "u1", "k", other, t0.Add(abandonedClaimAfter)); domain.ErrorCode(err) != domain.Invalid {
		t.Fatalf("another request under an abandoned claim = %v, want invalid", err)
	}
	idempotencytest.MustClaim(t, s, "u1", "k", fp, t0.Add(abandonedClaimAfter))
	// A completed entry is never taken for abandoned.
	if err := s.Complete(ctx, "u1", "k", idempotency.Response{Status: 201}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Claim(ctx, "u1", "k", fp, t0.Add(3*abandonedClaimAfter)); err != nil || got == nil {
		t.Fatalf("claim of a completed key = %v, %v; want the stored response", got, err)
	}
}

// A database that cannot be reached is 503 (domain.Unavailable).
func TestUnavailable(t *testing.T) {
	_, err := Open(context.Background(),
		"postgres://postgres:secret@127.0.0.1:1/x?sslmode=disable&connect_timeout=2")
	if domain.ErrorCode(err) != domain.Unavailable || strings.Contains(err.Error(), "secret") {
		t.Errorf("Open = %v, want code %s without the password", err, domain.Unavailable)
	}
	s, err := Open(context.Background(), pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := s.Claim(context.Background(), "u1", "k", sha256.Sum256(nil), time.Now()); domain.ErrorCode(err) != domain.Unavailable {
		t.Errorf("Claim on a closed store = %v, want code %s", err, domain.Unavailable)
	}
}
