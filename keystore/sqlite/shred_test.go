package sqlite_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/keystore"
	"github.com/referral-ledger/ledger/keystore/sqlite"
)

// client is what a test knows about one client's key: the key, and every
// wrapping of it the store has written.
type client struct {
	id        uuid.UUID
	key       keystore.DataKey
	wrappings [][]byte
}

// storeFiles reads the key store's files: the database and, when present,
// its WAL and SHM.
func storeFiles(tb testing.TB, path string) map[string][]byte {
	tb.Helper()
	files := map[string][]byte{}
	for _, name := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		b, err := os.ReadFile(name)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			tb.Fatal(err)
		}
		files[filepath.Base(name)] = b
	}
	return files
}

// holding returns the names of the files containing needle.
func holding(files map[string][]byte, needle []byte) []string {
	var in []string
	for name, b := range files {
		if bytes.Contains(b, needle) {
			in = append(in, name)
		}
	}
	return in
}

// createClients creates n clients in s and records each wrapped key as the
// file holds it.
func createClients(tb testing.TB, s *sqlite.Store, path string, n int) []*client {
	tb.Helper()
	cs := make([]*client, n)
	for i := range cs {
		c := &client{id: uuid.New()}
		k, err := s.Create(context.Background(), c.id)
		if err != nil {
			tb.Fatal(err)
		}
		c.key = k
		cs[i] = c
	}
	recordWrapped(tb, path, cs)
	return cs
}

// recordWrapped appends each client's current wrapped key, read with a
// connection of the test's own.
func recordWrapped(tb testing.TB, path string, cs []*client) {
	tb.Helper()
	db := rawDB(tb, path)
	defer db.Close()
	for _, c := range cs {
		var w []byte
		if err := db.QueryRow("SELECT wrapped FROM keys WHERE client_id = ?", c.id.String()).Scan(&w); err != nil {
			tb.Fatal(err)
		}
		c.wrappings = append(c.wrappings, w)
	}
}

// checkGone fails for every byte of a gone client's key or wrapped key
// still in the store's files, and, so the scan is known to see the data,
// for every kept client's current wrapped key that is missing.
func checkGone(tb testing.TB, when, path string, gone, kept []*client) {
	tb.Helper()
	files := storeFiles(tb, path)
	for _, c := range gone {
		if in := holding(files, c.key[:]); len(in) > 0 {
			tb.Errorf("%s: destroyed client's key is in %v", when, in)
		}
		for i, w := range c.wrappings {
			if in := holding(files, w); len(in) > 0 {
				tb.Errorf("%s: destroyed client's wrapped key (version %d) is in %v", when, i, in)
			}
		}
	}
	for _, c := range kept {
		if len(holding(files, c.wrappings[len(c.wrappings)-1])) == 0 {
			tb.Fatalf("%s: a kept client's wrapped key is not in any file; the scan sees nothing", when)
		}
	}
}

func destroy(tb testing.TB, s keystore.Store, cs []*client) {
	tb.Helper()
	for _, c := range cs {
		if err := s.Destroy(context.Background(), c.id); err != nil {
			tb.Fatal(err)
		}
	}
}

// R-PRIV-4: after Destroy no byte of the key, or of its wrapping, is left in
// keys.db, keys.db-wal or keys.db-shm, while the store is open, after it is
// closed and after it is opened again.
func TestDestroyLeavesNoCopy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.db")
	kek := keystore.GenerateMasterKey()
	s := openAt(t, path, kek)
	cs := createClients(t, s, path, 300)
	var gone, kept []*client
	for i, c := range cs {
		if i%3 == 0 {
			gone = append(gone, c)
		} else {
			kept = append(kept, c)
		}
	}
	files := storeFiles(t, path)
	for _, c := range gone {
		if len(holding(files, c.wrappings[0])) == 0 {
			t.Fatal("before Destroy a wrapped key is in no file; the scan sees nothing")
		}
	}

	destroy(t, s, gone)
	checkGone(t, "open", path, gone, kept)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	checkGone(t, "closed", path, gone, kept)
	openAt(t, path, kek)
	checkGone(t, "reopened", path, gone, kept)
}

// R-PRIV-4 under churn: thousands of keys, a rewrap that rewrites every
// row, and erasures scattered over the table, so B-tree pages split, merge
// and move. No copy of an erased client's key, under either master key, may
// survive in a page's free space or on the free list.
func TestChurnLeavesNoCopy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.db")
	s := openAt(t, path, keystore.GenerateMasterKey())
	cs := createClients(t, s, path, 1200)
	if _, err := s.Rewrap(context.Background(), keystore.GenerateMasterKey()); err != nil {
		t.Fatal(err)
	}
	recordWrapped(t, path, cs)
	// Rotation is worth something only if the old wrappings go: with them
	// gone, a leaked old master key opens nothing.
	files := storeFiles(t, path)
	for _, c := range cs {
		if in := holding(files, c.wrappings[0]); len(in) > 0 {
			t.Fatalf("after Rewrap a wrapping under the old master key is still in %v", in)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	rng.Shuffle(len(cs), func(i, j int) { cs[i], cs[j] = cs[j], cs[i] })
	gone, kept := cs[:700], cs[700:]
	destroy(t, s, gone)
	checkGone(t, "after churn", path, gone, kept)
}

// R-PRIV-4: a reader in another process (a backup, sqlite3) can hold the
// WAL open so the checkpoint cannot empty it. Destroy then reports
// ErrUnavailable rather than claim success, and a retry finishes the job.
func TestDestroyRetriesBlockedCheckpoint(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.db")
	s, err := sqlite.Open(path, keystore.GenerateMasterKey(), sqlite.WithBusyTimeout(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	cs := createClients(t, s, path, 10)
	gone, kept := cs[:1], cs[1:]

	reader := rawDB(t, path)
	tx, err := reader.Begin()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := tx.QueryRow("SELECT count(*) FROM keys").Scan(&n); err != nil { // holds a snapshot
		t.Fatal(err)
	}
	err = s.Destroy(context.Background(), gone[0].id)
	if !errors.Is(err, keystore.ErrUnavailable) {
		t.Fatalf("Destroy with the checkpoint blocked = %v, want ErrUnavailable", err)
	}
	if _, err := s.Get(context.Background(), gone[0].id); !errors.Is(err, keystore.ErrDestroyed) {
		t.Errorf("Get after the blocked Destroy = %v, want ErrDestroyed (the deletion itself committed)", err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	destroy(t, s, gone)
	checkGone(t, "after the retried Destroy", path, gone, kept)
}

// R-PRIV-3, R-PRIV-4: a key restored from a backup taken before the
// erasure is refused and deleted again the moment it is read, and scrubbed
// from the files.
func TestRestoredKeyRefused(t *testing.T) {
	dir := t.TempDir()
	path, backup := filepath.Join(dir, "keys.db"), filepath.Join(dir, "backup.db")
	kek := keystore.GenerateMasterKey()
	s := openAt(t, path, kek)
	cs := createClients(t, s, path, 20)
	gone, kept := cs[:1], cs[1:]
	if err := s.Close(); err != nil { // checkpoints, so the file is a whole backup
		t.Fatal(err)
	}
	copyFile(t, path, backup)
	s = openAt(t, path, kek)
	destroy(t, s, gone)

	db := rawDB(t, path)
	mustExec(t, db, "ATTACH DATABASE ? AS bak", backup)
	mustExec(t, db, "INSERT INTO keys SELECT * FROM bak.keys WHERE client_id = ?", gone[0].id.String())
	mustExec(t, db, "DETACH DATABASE bak")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if len(holding(storeFiles(t, path), gone[0].wrappings[0])) == 0 {
		t.Fatal("the restored wrapped key is in no file; the test restored nothing")
	}

	_, err := s.Get(context.Background(), gone[0].id)
	if !errors.Is(err, keystore.ErrDestroyed) {
		t.Fatalf("Get(restored) = %v, want ErrDestroyed", err)
	}
	var n int
	if err := rawDB(t, path).QueryRow("SELECT count(*) FROM keys WHERE client_id = ?", gone[0].id.String()).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("the restored key row is still there")
	}
	checkGone(t, "after refusing the restored key", path, gone, kept)
	_, err = s.Create(context.Background(), gone[0].id)
	if !errors.Is(err, keystore.ErrDestroyed) {
		t.Errorf("Create(restored) = %v, want ErrDestroyed", err)
	}
}

// A key that reappeared while the store was closed is purged when it opens,
// before anyone asks for it.
func TestRestoredKeyPurgedAtOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.db")
	kek := keystore.GenerateMasterKey()
	s := openAt(t, path, kek)
	cs := createClients(t, s, path, 10)
	gone, kept := cs[:1], cs[1:]
	destroy(t, s, gone)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	mustExec(t, db, "INSERT INTO keys (client_id, kek_id, wrapped) VALUES (?, ?, ?)",
		gone[0].id.String(), kek.ID, gone[0].wrappings[0])
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	openAt(t, path, kek)
	checkGone(t, "after reopening", path, gone, kept)
}

// A wrapped key that was altered, cut short or moved to another client's
// row is an error, never a key, and never an answer about the client.
func TestTamperedKeyRefused(t *testing.T) {
	cases := []struct {
		name   string
		tamper string
	}{
		{"FlippedByte", "UPDATE keys SET wrapped = substr(wrapped, 1, 20) || x'ff' || substr(wrapped, 22) WHERE client_id = ?1"},
		{"Truncated", "UPDATE keys SET wrapped = substr(wrapped, 1, 40) WHERE client_id = ?1"},
		{"MovedFromOtherClient", "UPDATE keys SET wrapped = (SELECT wrapped FROM keys WHERE client_id <> ?1) WHERE client_id = ?1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "keys.db")
			kek := keystore.GenerateMasterKey()
			s := openAt(t, path, kek)
			cs := createClients(t, s, path, 2)
			mustExec(t, rawDB(t, path), c.tamper, cs[0].id.String())
			_, err := s.Get(context.Background(), cs[0].id)
			if !errors.Is(err, keystore.ErrCorrupt) {
				t.Errorf("Get = %v, want ErrCorrupt", err)
			}
			if errors.Is(err, keystore.ErrDestroyed) || errors.Is(err, keystore.ErrNotFound) {
				t.Errorf("Get = %v, which reads as an answer about the client", err)
			}
		})
	}
}

func copyFile(tb testing.TB, from, to string) {
	tb.Helper()
	src, err := os.Open(from)
	if err != nil {
		tb.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		tb.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		tb.Fatal(err)
	}
}
