package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/internal/walvfs"
)

// TestWALWritesGathered_Issue14 proves the writer's WAL frames reach the
// file in far fewer system calls than SQLite asks for (two per frame),
// and that what a commit wrote is in the file, for a connection that
// knows nothing of the gathering, as soon as Append has returned: every
// acknowledged append is durable and visible (R-LEDGER-1), as before.
func TestWALWritesGathered_Issue14(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger?#%.db") // escaped in the DSN
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })

	// A plain connection with SQLite's default VFS, outside the store.
	other, err := sql.Open("sqlite", dsn(path, pragmas(5_000_000_000), "mode", "ro"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Close() })
	other.SetMaxOpenConns(1)

	asked, written := walvfs.Counts()
	ctx := context.Background()
	const rounds, writers = 20, 16
	for round := range rounds {
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				ev := eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: "t", SchemaVersion: 1, Data: []byte(`{}`)}
				if _, err := s.Append(ctx, fmt.Sprintf("s-%d", w), eventstore.Any(), ev); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		var n int
		if err := other.QueryRowContext(ctx, `SELECT count(*) FROM events`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if want := (round + 1) * writers; n != want {
			t.Fatalf("round %d: another connection sees %d events, want %d", round, n, want)
		}
	}
	a, w := walvfs.Counts()
	asked, written = a-asked, w-written
	t.Logf("SQLite asked for %d WAL writes; %d reached the file", asked, written)
	if asked == 0 || written*4 > asked {
		t.Errorf("SQLite asked for %d WAL writes and %d reached the file: not gathered", asked, written)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(ctx, path)
	if err != nil || rep.Events != rounds*writers {
		t.Fatalf("Verify = %+v, %v; want %d events", rep, err, rounds*writers)
	}
}

// TestWALVFSKnowsItsFiles_Issue14 checks the writer's database file and its
// WAL are paired by path, so the barrier before a commit is published
// writes out that WAL's gathered frames, and that closing forgets both.
func TestWALVFSKnowsItsFiles_Issue14(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "ledger?#%.db"))
	if err != nil {
		t.Fatal(err)
	}
	ev := eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: "t", SchemaVersion: 1, Data: []byte(`{}`)}
	if _, err := s.Append(context.Background(), "s", eventstore.Any(), ev); err != nil {
		t.Fatal(err)
	}
	paired := func() (dbs, wals int) { return walvfs.Paired(s.path) }
	if dbs, wals := paired(); dbs != 1 || wals != 1 {
		t.Fatalf("open store: %d database files and %d WALs paired, want 1 and 1", dbs, wals)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if dbs, wals := paired(); dbs != 0 || wals != 0 {
		t.Fatalf("closed store: %d database files and %d WALs still known", dbs, wals)
	}
}
