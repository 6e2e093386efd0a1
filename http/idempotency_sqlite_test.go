package http

import (
	"context"
	"crypto/sha256"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/domain"
)

// openTestIdempotencyStore opens a store in a fresh file, closed at the end.
func openTestIdempotencyStore(tb testing.TB) (IdempotencyStore, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "idempotency.db")
	s, err := OpenIdempotencyStore(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s, path
}

func TestSQLiteIdempotencyStore(t *testing.T) { testIdempotencyStore(t, openSQLiteForContract) }

// openSQLiteForContract opens a SQLite store for the tests every
// IdempotencyStore shares (see idempotency_postgres_test.go).
func openSQLiteForContract(tb testing.TB) IdempotencyStore {
	tb.Helper()
	s, _ := openTestIdempotencyStore(tb)
	return s
}

// testIdempotencyStore is the behaviour every IdempotencyStore must have.
func testIdempotencyStore(t *testing.T, open func(testing.TB) IdempotencyStore) {
	ctx := context.Background()
	t0 := time.Date(2025, 1, 31, 9, 0, 0, 0, time.UTC)
	fp := sha256.Sum256([]byte("POST\x00/v1/referrals\x00{}"))
	other := sha256.Sum256([]byte("POST\x00/v1/referrals\x00{ }"))
	resp := IdempotentResponse{Status: 201, ContentType: "application/json", Location: "/v1/referrals/1", ETag: `"1"`, Body: []byte("sealed")}

	tests := []struct {
		name string
		run  func(t *testing.T, s IdempotencyStore)
	}{
		{"FirstClaimHoldsTheKey", func(t *testing.T, s IdempotencyStore) {
			mustClaim(t, s, "u1", "k", fp, t0)
		}},
		{"CompletedIsReplayed", func(t *testing.T, s IdempotencyStore) {
			mustClaim(t, s, "u1", "k", fp, t0)
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
		{"DifferentRequestIsInvalid", func(t *testing.T, s IdempotencyStore) {
			mustClaim(t, s, "u1", "k", fp, t0)
			_ = s.Complete(ctx, "u1", "k", resp)
			if _, err := s.Claim(ctx, "u1", "k", other, t0); domain.ErrorCode(err) != domain.Invalid {
				t.Fatalf("err = %v, want invalid", err)
			}
		}},
		{"InFlightIsConflict", func(t *testing.T, s IdempotencyStore) {
			mustClaim(t, s, "u1", "k", fp, t0)
			if _, err := s.Claim(ctx, "u1", "k", fp, t0); domain.ErrorCode(err) != domain.Conflict {
				t.Fatalf("err = %v, want conflict", err)
			}
		}},
		{"ReleaseFreesTheKey", func(t *testing.T, s IdempotencyStore) {
			mustClaim(t, s, "u1", "k", fp, t0)
			if err := s.Release(ctx, "u1", "k"); err != nil {
				t.Fatal(err)
			}
			mustClaim(t, s, "u1", "k", other, t0)
		}},
		{"ReleaseKeepsACompletedEntry", func(t *testing.T, s IdempotencyStore) {
			mustClaim(t, s, "u1", "k", fp, t0)
			_ = s.Complete(ctx, "u1", "k", resp)
			_ = s.Release(ctx, "u1", "k")
			if got, err := s.Claim(ctx, "u1", "k", fp, t0); err != nil || got == nil {
				t.Fatalf("claim = %v, %v", got, err)
			}
		}},
		{"KeysAreScopedPerUser", func(t *testing.T, s IdempotencyStore) {
			mustClaim(t, s, "u1", "k", fp, t0)
			mustClaim(t, s, "u2", "k", other, t0)
		}},
		{"CompleteNeedsAClaim", func(t *testing.T, s IdempotencyStore) {
			if err := s.Complete(ctx, "u1", "k", resp); err == nil {
				t.Fatal("completed an unclaimed key")
			}
		}},
		{"ExpiresAfter24Hours", func(t *testing.T, s IdempotencyStore) {
			mustClaim(t, s, "u1", "k", fp, t0)
			_ = s.Complete(ctx, "u1", "k", resp)
			if got, err := s.Claim(ctx, "u1", "k", fp, t0.Add(IdempotencyTTL-time.Nanosecond)); err != nil || got == nil {
				t.Fatalf("just before expiry: %v, %v", got, err)
			}
			mustClaim(t, s, "u1", "k", other, t0.Add(IdempotencyTTL))
		}},
		{"Purge", func(t *testing.T, s IdempotencyStore) {
			mustClaim(t, s, "u1", "old", fp, t0)
			mustClaim(t, s, "u1", "new", fp, t0.Add(time.Hour))
			n, err := s.Purge(ctx, t0.Add(IdempotencyTTL))
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

func TestSQLiteIdempotencyStoreReopen(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	s, path := openTestIdempotencyStore(t)
	fp := sha256.Sum256([]byte("x"))
	mustClaim(t, s, "u1", "done", fp, now)
	if err := s.Complete(ctx, "u1", "done", IdempotentResponse{Status: 201, Body: []byte("b")}); err != nil {
		t.Fatal(err)
	}
	mustClaim(t, s, "u1", "crashed", fp, now)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2, err := OpenIdempotencyStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if got, err := s2.Claim(ctx, "u1", "done", fp, now); err != nil || got == nil || got.Status != 201 {
		t.Fatalf("completed entry after reopen: %v, %v", got, err)
	}
	// The claim of a request in flight when the process stopped is dropped.
	mustClaim(t, s2, "u1", "crashed", fp, now)
}

func TestSQLiteIdempotencyStorePragmas(t *testing.T) {
	s, _ := openTestIdempotencyStore(t)
	db := s.(*sqliteIdempotencyStore).db
	for pragma, want := range map[string]string{"journal_mode": "wal", "synchronous": "2", "secure_delete": "1"} {
		t.Run(pragma, func(t *testing.T) {
			var got string
			if err := db.QueryRow("PRAGMA " + pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("%s = %s, want %s", pragma, got, want)
			}
		})
	}
}

func TestSQLiteIdempotencyStoreConcurrentClaims(t *testing.T) {
	testIdempotencyConcurrentClaims(t, openSQLiteForContract(t))
}

// testIdempotencyConcurrentClaims: of claims racing for one key, one wins.
func testIdempotencyConcurrentClaims(t *testing.T, s IdempotencyStore) {
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

func TestOpenIdempotencyStoreRejectsURIPaths(t *testing.T) {
	for _, p := range []string{"", "a.db?mode=memory", "a.db#x"} {
		if s, err := OpenIdempotencyStore(p); err == nil {
			s.Close()
			t.Errorf("opened %q", p)
		}
	}
}

func mustClaim(tb testing.TB, s IdempotencyStore, scope, key string, fp [32]byte, now time.Time) {
	tb.Helper()
	got, err := s.Claim(context.Background(), scope, key, fp, now)
	if err != nil || got != nil {
		tb.Fatalf("claim %s/%s = %v, %v; want the key", scope, key, got, err)
	}
}
