package sqlite_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/keystore"
	"github.com/referral-ledger/ledger/keystore/sqlite"
)

// TestTombstones_PRIV8: the tombstones of a key store are listed without
// its master key, so a restore can carry every erasure it records over to
// the key store that replaces it; a missing file or one that is not a key
// store is ErrUnavailable, and the missing one is not created.
func TestTombstones_PRIV8(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, sqlite.FileName)
	s := openAt(t, path, keystore.GenerateMasterKey())
	kept, erased, never := uuid.New(), uuid.New(), uuid.New()
	if _, err := s.Create(ctx, kept); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, erased); err != nil {
		t.Fatal(err)
	}
	for _, id := range []uuid.UUID{erased, never} {
		if err := s.Destroy(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := sqlite.Tombstones(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	want := []uuid.UUID{erased, never}
	slices.SortFunc(want, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
	slices.SortFunc(got, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
	if !slices.Equal(got, want) {
		t.Fatalf("Tombstones = %v, want %v", got, want)
	}

	missing := filepath.Join(dir, "gone.db")
	if _, err := sqlite.Tombstones(ctx, missing); !errors.Is(err, keystore.ErrUnavailable) {
		t.Fatalf("Tombstones of a missing file: %v, want ErrUnavailable", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Tombstones created %s: %v", missing, err)
	}
	other := filepath.Join(dir, "other.db")
	mustExec(t, rawDB(t, other), `CREATE TABLE destroyed (client_id TEXT)`)
	if _, err := sqlite.Tombstones(ctx, other); !errors.Is(err, keystore.ErrUnavailable) {
		t.Fatalf("Tombstones of a file that is no key store: %v, want ErrUnavailable", err)
	}
}
