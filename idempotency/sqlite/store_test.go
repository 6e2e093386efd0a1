package sqlite

import (
	"context"
	"crypto/sha256"
	"path/filepath"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/idempotency"
	"github.com/referral-ledger/ledger/idempotency/idempotencytest"
)

// TestContract runs the idempotency store contract against SQLite.
func TestContract(t *testing.T) { idempotencytest.Run(t, openForContract) }

func openForContract(tb testing.TB) idempotency.Store {
	tb.Helper()
	s, _ := openTestStore(tb)
	return s
}

// Of claims racing for one key, one wins.
func TestConcurrentClaims(t *testing.T) {
	idempotencytest.ConcurrentClaims(t, openForContract(t))
}

// openTestStore opens a store in a fresh file, closed at the end.
func openTestStore(tb testing.TB) (*Store, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "idempotency.db")
	s, err := Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s, path
}

// TestReopenKeepsAbandonedClaims_OPS1: what a restart does to the entries
// (R-OPS-1).
func TestReopenKeepsAbandonedClaims_OPS1(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	s, path := openTestStore(t)
	fp := sha256.Sum256([]byte("x"))
	idempotencytest.MustClaim(t, s, "u1", "done", fp, now)
	if err := s.Complete(ctx, "u1", "done", idempotency.Response{Status: 201, Body: []byte("b")}); err != nil {
		t.Fatal(err)
	}
	idempotencytest.MustClaim(t, s, "u1", "crashed", fp, now)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if got, err := s2.Claim(ctx, "u1", "done", fp, now); err != nil || got == nil || got.Status != 201 {
		t.Fatalf("completed entry after reopen: %v, %v", got, err)
	}
	// The claim of a request in flight when the process stopped is kept for
	// that request (R-OPS-1): another request under the key is still
	// refused, and a retry of the same one takes the claim over, once.
	other := sha256.Sum256([]byte("y"))
	if _, err := s2.Claim(ctx, "u1", "crashed", other, now); domain.ErrorCode(err) != domain.Invalid {
		t.Fatalf("another request under an abandoned claim: %v, want invalid", err)
	}
	idempotencytest.MustClaim(t, s2, "u1", "crashed", fp, now)
	if _, err := s2.Claim(ctx, "u1", "crashed", fp, now); domain.ErrorCode(err) != domain.Conflict {
		t.Fatalf("a second retry while the first runs: %v, want conflict", err)
	}
}

func TestPragmas(t *testing.T) {
	s, _ := openTestStore(t)
	db := s.db
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

func TestOpenRejectsURIPaths(t *testing.T) {
	for _, p := range []string{"", "a.db?mode=memory", "a.db#x"} {
		if s, err := Open(p); err == nil {
			s.Close()
			t.Errorf("opened %q", p)
		}
	}
}
