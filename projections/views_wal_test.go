package projections

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/internal/fulldisk"
	"github.com/referral-ledger/ledger/internal/walvfs"
)

// plainReader opens the views file with SQLite's default VFS, read-only:
// a connection that knows nothing of the gathered WAL writes.
func plainReader(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	db.SetMaxOpenConns(1)
	return db
}

// openWithReader opens the views at path, closed when the test ends, and
// a plain read-only connection beside them.
func openWithReader(t *testing.T, path string) (*Views, *sql.DB) {
	t.Helper()
	v, err := OpenViews(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	return v, plainReader(t, path)
}

// smallCacheConn is a connection of v with a page cache of two pages, so
// a transaction of a few rows writes WAL frames before it commits; it is
// given back when the test ends.
func smallCacheConn(t *testing.T, v *Views) *sql.Conn {
	t.Helper()
	ctx := context.Background()
	small, err := v.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = small.Close() })
	if _, err := small.ExecContext(ctx, `PRAGMA cache_size = 2`); err != nil {
		t.Fatal(err)
	}
	return small
}

// intact checks the views file is sound and holds the checkpoint want for
// view, as a plain connection and as the views' own read it.
func intact(t *testing.T, v *Views, plain *sql.DB, view string, want eventstore.Position) {
	t.Helper()
	ctx := context.Background()
	var check string
	if err := plain.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}
	var pos int64
	if err := plain.QueryRowContext(ctx, `SELECT position FROM checkpoints WHERE view = ?`, view).Scan(&pos); err != nil || eventstore.Position(pos) != want {
		t.Fatalf("a plain connection reads the checkpoint of %s as %d (%v), want %d", view, pos, err, want)
	}
	if got, err := v.Checkpoint(ctx, view); err != nil || got != want {
		t.Fatalf("Checkpoint(%s) = %d, %v; want %d", view, got, err, want)
	}
}

// commitCheckpoint commits a batch that sets view's checkpoint to pos.
func commitCheckpoint(t *testing.T, v *Views, view string, pos eventstore.Position) error {
	t.Helper()
	b, err := v.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := b.SetCheckpoint(view, pos); err != nil {
		t.Fatal(err)
	}
	return b.Commit()
}

// TestViewsCommitThatCannotBeWrittenIsNeverSeen_ROPS4_Issue14: the views'
// WAL frames are gathered and written in one go, and views.db runs at
// synchronous=NORMAL, where SQLite calls no sync before it publishes a
// commit. A commit whose frames cannot be written (a full or failing disk)
// must fail, be reported, and never be seen by any reader; the next commit
// works once the disk does, and the file stays sound.
func TestViewsCommitThatCannotBeWrittenIsNeverSeen_ROPS4_Issue14(t *testing.T) {
	path := filepath.Join(t.TempDir(), ViewsFile)
	v, plain := openWithReader(t, path)

	if err := commitCheckpoint(t, v, "view", 1); err != nil {
		t.Fatal(err)
	}
	intact(t, v, plain, "view", 1)

	restore := walvfs.FailWrites(path)
	err := commitCheckpoint(t, v, "view", 2)
	restore()
	if err == nil {
		t.Fatal("a commit whose WAL frames could not be written succeeded")
	}
	intact(t, v, plain, "view", 1)

	if err := commitCheckpoint(t, v, "view", 3); err != nil {
		t.Fatalf("the commit after the disk came back: %v", err)
	}
	intact(t, v, plain, "view", 3)
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	v, err = OpenViews(path)
	if err != nil {
		t.Fatal(err)
	}
	intact(t, v, plain, "view", 3)
}

// TestViewsRolledBackFramesNeverOverwriteACommit_Issue14: a transaction
// larger than its connection's page cache writes frames to the WAL before
// it commits; rolled back, those frames are not part of the database, and
// the next writer, on another connection, writes its own at the same
// place. What the first gathered and never wrote must not land over them.
func TestViewsRolledBackFramesNeverOverwriteACommit_Issue14(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), ViewsFile)
	v, plain := openWithReader(t, path)
	if err := commitCheckpoint(t, v, "view", 1); err != nil {
		t.Fatal(err)
	}

	small := smallCacheConn(t, v)
	tx, err := small.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
		INSERT INTO known_pending (position, client) SELECT i, randomblob(200) FROM n`); err != nil {
		t.Fatal(err)
	}
	if walvfs.Gathered(path) == 0 {
		t.Fatal("the transaction left nothing gathered for the WAL before its end: the test proves nothing")
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if n := walvfs.Gathered(path); n != 0 {
		t.Errorf("%d bytes of the rolled-back transaction are still gathered", n)
	}

	// Another connection commits: the pool's other connection, as the
	// small one is held.
	if err := commitCheckpoint(t, v, "view", 2); err != nil {
		t.Fatal(err)
	}
	intact(t, v, plain, "view", 2)
	// The small connection reads again (a read writes out whatever it
	// had gathered).
	var n int
	if err := small.QueryRowContext(ctx, `SELECT count(*) FROM known_pending`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("known_pending has %d rows (%v) after the rollback", n, err)
	}
	intact(t, v, plain, "view", 2)
	if err := commitCheckpoint(t, v, "view", 3); err != nil {
		t.Fatal(err)
	}
	intact(t, v, plain, "view", 3)
}

// TestViewsCommitOnAFullDiskIsNeverSeen_ROPS4_Issue14 is the test above on
// a real filesystem that fills up: the commit that finds no room fails and
// no reader sees it; once room is freed the views commit again.
func TestViewsCommitOnAFullDiskIsNeverSeen_ROPS4_Issue14(t *testing.T) {
	disk := fulldisk.Mount(t, "4m")
	path := filepath.Join(disk.Dir, ViewsFile)
	v, plain := openWithReader(t, path)
	if err := commitCheckpoint(t, v, "view", 1); err != nil {
		t.Fatal(err)
	}
	intact(t, v, plain, "view", 1)

	disk.Fill(t)
	// Enough rows that the commit needs WAL frames past those written.
	b, err := v.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := b.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
		INSERT INTO known_pending (position, client) SELECT i, randomblob(200) FROM n`); err != nil {
		b.Rollback()
		t.Logf("the write failed before the commit: %v", err)
	} else {
		if err := b.SetCheckpoint("view", 2); err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(); err == nil {
			t.Fatal("a commit on a full disk succeeded")
		}
	}
	intact(t, v, plain, "view", 1)

	disk.Free(t)
	if err := commitCheckpoint(t, v, "view", 3); err != nil {
		t.Fatalf("the commit after room was freed: %v", err)
	}
	intact(t, v, plain, "view", 3)
	var n int
	if err := plain.QueryRowContext(context.Background(), `SELECT count(*) FROM known_pending`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("known_pending has %d rows (%v): the failed commit's rows are seen", n, err)
	}
}

// TestViewsWALWritesGathered_Issue14: a views commit of many pages reaches
// the WAL in far fewer system calls than SQLite's two per frame, and a
// plain connection sees it as soon as it has committed.
func TestViewsWALWritesGathered_Issue14(t *testing.T) {
	path := filepath.Join(t.TempDir(), ViewsFile)
	v, plain := openWithReader(t, path)
	asked, written := walvfs.Counts()
	for round := range 5 {
		b, err := v.Begin(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if err := b.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
			INSERT INTO known_pending (position, client) SELECT ? * 1000 + i, randomblob(200) FROM n`, round); err != nil {
			t.Fatal(err)
		}
		if err := b.SetCheckpoint("view", eventstore.Position(round+1)); err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		intact(t, v, plain, "view", eventstore.Position(round+1))
	}
	a, w := walvfs.Counts()
	asked, written = a-asked, w-written
	t.Logf("SQLite asked for %d WAL writes; %d reached the file", asked, written)
	if asked == 0 || written*4 > asked {
		t.Errorf("SQLite asked for %d WAL writes and %d reached the file: not gathered", asked, written)
	}
}

// TestViewsCommitLargerThanTheCache_Issue14: a transaction larger than its
// connection's page cache writes frames before it commits, and at the
// commit overwrites those of its own pages it changed again and rewrites
// the frames' checksums, the commit frame's last. Such a commit is seen
// whole once it has returned; one that cannot be written fails and is
// never seen.
func TestViewsCommitLargerThanTheCache_Issue14(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), ViewsFile)
	v, plain := openWithReader(t, path)
	small := smallCacheConn(t, v)
	large := func(round int, fail bool) error {
		tx, err := small.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
			INSERT INTO known_pending (position, client) SELECT ? * 1000 + i, randomblob(200) FROM n`, round); err != nil {
			t.Fatal(err)
		}
		// Pages written out already, changed again.
		if _, err := tx.ExecContext(ctx, `UPDATE known_pending SET client = randomblob(190) WHERE position % 7 = 0`); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO checkpoints (view, position) VALUES ('view', ?)
			ON CONFLICT (view) DO UPDATE SET position = excluded.position`, round); err != nil {
			t.Fatal(err)
		}
		if fail {
			defer walvfs.FailWrites(path)()
		}
		return tx.Commit()
	}
	if err := large(1, false); err != nil {
		t.Fatal(err)
	}
	intact(t, v, plain, "view", 1)
	if err := large(2, true); err == nil {
		t.Fatal("a commit whose WAL frames could not be written succeeded")
	}
	intact(t, v, plain, "view", 1)
	if err := large(3, false); err != nil {
		t.Fatal(err)
	}
	intact(t, v, plain, "view", 3)
	var n int
	if err := plain.QueryRowContext(ctx, `SELECT count(*) FROM known_pending`).Scan(&n); err != nil || n != 600 {
		t.Fatalf("known_pending has %d rows (%v), want the 600 of the two commits", n, err)
	}
}
