package sqlite_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/sqlite"
)

// TestOpenReadOnly: a read-only store reads what a writer stored, refuses
// appends, and (immutable) creates and changes no file; Verify likewise
// (R-OPS-2).
func TestOpenReadOnly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "events.db")
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, "thing-1", eventstore.NoStream(), eventstore.EventData{ID: uuid.New(), Type: "thing.made",
		SchemaVersion: 1, Data: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	ro, err := sqlite.OpenReadOnly(path, sqlite.WithImmutable())
	if err != nil {
		t.Fatal(err)
	}
	if evs, err := ro.ReadStream(ctx, "thing-1", 0, 0); err != nil || len(evs) != 1 {
		t.Fatalf("ReadStream = %d events, %v", len(evs), err)
	}
	if _, err := ro.Append(ctx, "thing-2", eventstore.NoStream(), eventstore.EventData{ID: uuid.New(), Type: "thing.made",
		SchemaVersion: 1, Data: []byte(`{}`)}); !errors.Is(err, eventstore.ErrInvalid) {
		t.Fatalf("Append = %v", err)
	}
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}
	if rep, err := sqlite.Verify(ctx, path, sqlite.WithImmutable()); err != nil || rep.Events != 1 {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}
	if _, err := sqlite.OpenReadOnly(filepath.Join(dir, "absent.db")); !errors.Is(err, eventstore.ErrUnavailable) {
		t.Fatalf("OpenReadOnly of a missing file = %v", err)
	}
	entries, _ := os.ReadDir(dir)
	after, _ := os.ReadFile(path)
	if len(entries) != 1 || string(after) != string(before) {
		t.Fatalf("the directory changed: %v", entries)
	}
}
