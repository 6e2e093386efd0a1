package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/referral-ledger/ledger/internal/pgtest"
	"github.com/referral-ledger/ledger/keystore"
	"github.com/referral-ledger/ledger/keystore/postgres"
)

// client is what a test knows about one client's key: the key, and every
// wrapping of it the store has written.
type client struct {
	id        uuid.UUID
	key       keystore.DataKey
	wrappings [][]byte
}

// createClients creates n clients in s and records each wrapped key as the
// table holds it.
func createClients(tb testing.TB, s keystore.Store, conn *pgx.Conn, n int) []*client {
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
	recordWrapped(tb, conn, cs)
	return cs
}

// recordWrapped appends each client's current wrapped key.
func recordWrapped(tb testing.TB, conn *pgx.Conn, cs []*client) {
	tb.Helper()
	for _, c := range cs {
		var w []byte
		if err := conn.QueryRow(context.Background(),
			"SELECT wrapped FROM ledger_keys WHERE client_id = $1", c.id).Scan(&w); err != nil {
			tb.Fatal(err)
		}
		c.wrappings = append(c.wrappings, w)
	}
}

// tableFile returns the bytes of ledger_keys' heap file as PostgreSQL has
// written them to disk, after a CHECKPOINT so that every page changed in
// shared buffers is in the file. ok is false, and the reason logged, when
// the test's user may not checkpoint or read server files (it is not a
// superuser, nor in pg_checkpoint and pg_read_server_files).
func tableFile(tb testing.TB, conn *pgx.Conn) (file []byte, ok bool) {
	tb.Helper()
	ctx := context.Background()
	_, err := conn.Exec(ctx, "CHECKPOINT")
	if err == nil {
		// A table under 1 GB is one file; the loop over segments is for
		// the day a test makes a bigger one.
		err = conn.QueryRow(ctx, `SELECT string_agg(pg_read_binary_file(f), ''::bytea ORDER BY n)
			FROM (SELECT pg_relation_filepath('ledger_keys') AS base) b,
			LATERAL generate_series(0, pg_relation_size('ledger_keys') / (1024*1024*1024)) AS n,
			LATERAL (SELECT CASE WHEN n = 0 THEN base ELSE base || '.' || n END AS f) s`).Scan(&file)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42501" { // insufficient_privilege
		tb.Logf("SKIPPED the on-disk check: %v; run the tests as a PostgreSQL superuser (%s) to scan the table's file",
			pgErr.Message, pgtest.EnvURL)
		return nil, false
	}
	if err != nil {
		tb.Fatalf("read the table's file: %v", err)
	}
	return file, true
}

// checkGone fails for every destroyed client still found by SELECT or
// without a tombstone and, if the test may read the table's file, for every
// byte of a destroyed client's key or wrapped key still in it. So that the
// scan is known to see the data, it also fails for every kept client whose
// current wrapped key is not in the file.
func checkGone(tb testing.TB, when string, conn *pgx.Conn, gone, kept []*client) {
	tb.Helper()
	for _, c := range gone {
		if count(tb, conn, "SELECT count(*) FROM ledger_keys WHERE client_id = $1", c.id) != 0 {
			tb.Errorf("%s: SELECT still finds a destroyed client's key", when)
		}
		if count(tb, conn, "SELECT count(*) FROM ledger_key_tombstones WHERE client_id = $1", c.id) != 1 {
			tb.Errorf("%s: a destroyed client has no tombstone", when)
		}
	}
	file, ok := tableFile(tb, conn)
	if !ok {
		return
	}
	for _, c := range gone {
		if bytes.Contains(file, c.key[:]) {
			tb.Errorf("%s: a destroyed client's key is in the table's file", when)
		}
		for i, w := range c.wrappings {
			if bytes.Contains(file, w) {
				tb.Errorf("%s: a destroyed client's wrapped key (version %d) is in the table's file", when, i)
			}
		}
	}
	for _, c := range kept {
		if !bytes.Contains(file, c.wrappings[len(c.wrappings)-1]) {
			tb.Fatalf("%s: a kept client's wrapped key is not in the table's file; the scan sees nothing", when)
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

// R-PRIV-3 and R-PRIV-4, as far as SQL can see: after Destroy no row is
// left, the tombstone is there, and once the store has vacuumed, no byte of
// the wrapped key is left in the table's file on disk, while the store is
// open and after it is opened again. The last client created is among the
// destroyed: its row sits in the page's free space after a plain VACUUM,
// which is why the store runs VACUUM FULL.
func TestDestroyLeavesNoCopy(t *testing.T) {
	url := pgtest.URL(t)
	kek := keystore.GenerateMasterKey()
	s := openAt(t, url, kek)
	conn := rawConn(t, url)
	cs := createClients(t, s, conn, 300)
	var gone, kept []*client
	for i, c := range cs {
		if i%3 == 2 {
			gone = append(gone, c)
		} else {
			kept = append(kept, c)
		}
	}
	if file, ok := tableFile(t, conn); ok {
		for _, c := range gone {
			if !bytes.Contains(file, c.wrappings[0]) {
				t.Fatal("before Destroy a wrapped key is not in the table's file; the scan sees nothing")
			}
		}
	}

	destroy(t, s, gone)
	checkGone(t, "open", conn, gone, kept)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	openAt(t, url, kek)
	checkGone(t, "reopened", conn, gone, kept)
}

// R-PRIV-4 under churn: a rewrap that rewrites every row, then erasures
// scattered over the table. No wrapping under the old master key survives
// the rewrap, and no copy of an erased client's key under either master key
// survives the erasures.
func TestChurnLeavesNoCopy(t *testing.T) {
	url := pgtest.URL(t)
	s := openAt(t, url, keystore.GenerateMasterKey())
	conn := rawConn(t, url)
	cs := createClients(t, s, conn, 600)
	if _, err := s.Rewrap(context.Background(), keystore.GenerateMasterKey()); err != nil {
		t.Fatal(err)
	}
	recordWrapped(t, conn, cs)
	if file, ok := tableFile(t, conn); ok {
		for _, c := range cs {
			if bytes.Contains(file, c.wrappings[0]) {
				t.Fatal("after Rewrap a wrapping under the old master key is still in the table's file")
			}
		}
	}
	var gone, kept []*client
	for i, c := range cs {
		if i%7 < 4 {
			gone = append(gone, c)
		} else {
			kept = append(kept, c)
		}
	}
	destroy(t, s, gone)
	checkGone(t, "after churn", conn, gone, kept)
}

// The check above is worth something only if it can fail: with vacuuming
// off, the destroyed row is still in the file. (If this ever passes without
// finding it, the scan, not the store, is broken.)
func TestScanSeesDeletedRows(t *testing.T) {
	url := pgtest.URL(t)
	s := openAt(t, url, keystore.GenerateMasterKey(), postgres.WithVacuum(postgres.VacuumOff))
	conn := rawConn(t, url)
	cs := createClients(t, s, conn, 20)
	destroy(t, s, cs[len(cs)-1:])
	file, ok := tableFile(t, conn)
	if !ok {
		t.Skip("cannot read the table's file")
	}
	if !bytes.Contains(file, cs[len(cs)-1].wrappings[0]) {
		t.Fatal("with VACUUM off the deleted row is not in the file: the scan cannot see deleted rows")
	}
}

// holdXid opens a transaction on url that holds a transaction id, which
// PostgreSQL counts against VACUUM on every database of the server, and
// returns a function that commits it.
func holdXid(tb testing.TB, url string) (commit func()) {
	tb.Helper()
	ctx := context.Background()
	tx, err := rawConn(tb, url).Begin(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "SELECT pg_current_xact_id()"); err != nil {
		tb.Fatal(err)
	}
	return func() {
		if err := tx.Commit(ctx); err != nil {
			tb.Fatal(err)
		}
	}
}

// R-PRIV-4: a transaction that began before the erasure, even in another
// database, keeps VACUUM from removing the row. Destroy waits for it to end
// instead of vacuuming in vain and reporting success.
func TestDestroyWaitsForOlderTransaction(t *testing.T) {
	url := pgtest.URL(t)
	s := openAt(t, url, keystore.GenerateMasterKey())
	conn := rawConn(t, url)
	cs := createClients(t, s, conn, 10)
	gone, kept := cs[len(cs)-1:], cs[:len(cs)-1]

	commit := holdXid(t, pgtest.URL(t))
	done := make(chan error, 1)
	go func() { done <- s.Destroy(context.Background(), gone[0].id) }()
	// The erasure itself commits at once; only its vacuum waits.
	for i := 0; i < 500 && count(t, conn, "SELECT count(*) FROM ledger_key_tombstones") == 0; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // time enough for a Destroy that does not wait to return
	select {
	case err := <-done:
		t.Fatalf("Destroy returned (%v) while an older transaction was open", err)
	default:
	}
	commit()
	if err := <-done; err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	checkGone(t, "after waiting", conn, gone, kept)
}

// R-PRIV-4: if the older transaction outlasts the wait, Destroy reports
// ErrUnavailable rather than claim a scrub that did not happen; the client
// is erased all the same, and a retry once the transaction is over finishes
// the job.
func TestDestroyRetriesBlockedVacuum(t *testing.T) {
	url := pgtest.URL(t)
	s := openAt(t, url, keystore.GenerateMasterKey(), postgres.WithVacuumWait(100*time.Millisecond))
	conn := rawConn(t, url)
	cs := createClients(t, s, conn, 10)
	gone, kept := cs[len(cs)-1:], cs[:len(cs)-1]
	ctx := context.Background()

	// A snapshot in the store's own database holds VACUUM back too.
	reader, err := rawConn(t, url).BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead})
	if err != nil {
		t.Fatal(err)
	}
	if count(t, reader.Conn(), "SELECT count(*) FROM ledger_keys") != len(cs) {
		t.Fatal("the reader does not see every key")
	}
	err = s.Destroy(ctx, gone[0].id)
	if !errors.Is(err, keystore.ErrUnavailable) || errors.Is(err, keystore.ErrDestroyed) {
		t.Fatalf("Destroy with the reader open = %v, want ErrUnavailable", err)
	}
	if _, err := s.Get(ctx, gone[0].id); !errors.Is(err, keystore.ErrDestroyed) {
		t.Errorf("Get after the blocked Destroy = %v, want ErrDestroyed", err)
	}
	if err := reader.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Destroy(ctx, gone[0].id); err != nil {
		t.Fatalf("retried Destroy: %v", err)
	}
	checkGone(t, "after the retry", conn, gone, kept)
}
