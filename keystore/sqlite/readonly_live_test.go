package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/keystore"
	"github.com/referral-ledger/ledger/keystore/sqlite"
)

// TestReadOnlyBesideAWriterLeavesItsWALAlone_OPS2: a read-only store
// opened beside a running writer (ledger history beside ledger serve)
// reads through the writer's WAL and, closing, leaves that WAL as it was:
// it neither checkpoints nor truncates a file it does not own (R-OPS-2).
func TestReadOnlyBesideAWriterLeavesItsWALAlone_OPS2(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, sqlite.FileName)
	kek := keystore.GenerateMasterKey()
	client := uuid.New()
	w, err := sqlite.Open(path, kek)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	want, err := w.Create(ctx, client)
	if err != nil {
		t.Fatal(err)
	}
	// Fold the writer's WAL into the file without truncating it, as the
	// writer's own checkpoints do: the WAL keeps its frames, all copied.
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	before, err := os.ReadFile(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if len(before) == 0 {
		t.Fatal("the writer's WAL is empty: nothing to check")
	}
	main, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	ro, err := sqlite.OpenReadOnly(path, kek)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ro.Get(ctx, client); err != nil || got != want {
		t.Errorf("Get = %v", err)
	}
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}

	after, err := os.ReadFile(path + "-wal")
	if err != nil {
		t.Fatalf("the writer's WAL after a read-only store closed: %v", err)
	}
	if string(after) != string(before) {
		t.Errorf("a read-only store changed the writer's WAL: %d bytes before, %d after", len(before), len(after))
	}
	if got, _ := os.ReadFile(path); string(got) != string(main) {
		t.Error("a read-only store changed the key store's file")
	}
	if got, err := w.Get(ctx, client); err != nil || got != want {
		t.Errorf("the writer's Get after the read-only store closed = %v", err)
	}
}
