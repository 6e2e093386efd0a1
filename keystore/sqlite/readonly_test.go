package sqlite_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/keystore"
	"github.com/referral-ledger/ledger/keystore/sqlite"
)

// listing names every file of dir with its bytes.
func listing(tb testing.TB, dir string) map[string]string {
	tb.Helper()
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			tb.Fatal(err)
		}
		out[e.Name()] = string(b)
	}
	return out
}

// TestOpenReadOnly: a read-only store reads keys and tombstones, refuses
// every write and a wrong master key, and (immutable) leaves the directory
// exactly as it was (R-OPS-2).
func TestOpenReadOnly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, sqlite.FileName)
	kek := keystore.GenerateMasterKey()
	kept, erased := uuid.New(), uuid.New()
	s, err := sqlite.Open(path, kek)
	if err != nil {
		t.Fatal(err)
	}
	want, err := s.Create(ctx, kept)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Destroy(ctx, erased); err != nil {
		t.Fatal(err)
	}
	s.Close()
	before := listing(t, dir)

	ro, err := sqlite.OpenReadOnly(path, kek, sqlite.WithImmutable())
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ro.Get(ctx, kept); err != nil || got != want {
		t.Errorf("Get = %v", err)
	}
	if _, err := ro.Get(ctx, erased); !errors.Is(err, keystore.ErrDestroyed) {
		t.Errorf("Get of an erased client = %v", err)
	}
	if _, err := ro.Create(ctx, uuid.New()); !errors.Is(err, keystore.ErrUnavailable) {
		t.Errorf("Create = %v", err)
	}
	if err := ro.Destroy(ctx, kept); !errors.Is(err, keystore.ErrUnavailable) {
		t.Errorf("Destroy = %v", err)
	}
	if _, err := ro.Rewrap(ctx, keystore.GenerateMasterKey()); !errors.Is(err, keystore.ErrUnavailable) {
		t.Errorf("Rewrap = %v", err)
	}
	ro.Close()
	if _, err := sqlite.OpenReadOnly(path, keystore.GenerateMasterKey(), sqlite.WithImmutable()); !errors.Is(err, keystore.ErrWrongMasterKey) {
		t.Errorf("OpenReadOnly under another master key = %v", err)
	}
	if _, err := sqlite.OpenReadOnly(filepath.Join(dir, "absent.db"), kek); !errors.Is(err, keystore.ErrUnavailable) {
		t.Errorf("OpenReadOnly of a missing file = %v", err)
	}
	after := listing(t, dir)
	if len(after) != len(before) {
		t.Fatalf("files before %d, after %d", len(before), len(after))
	}
	for name, b := range before {
		if after[name] != b {
			t.Errorf("%s changed", name)
		}
	}
}
