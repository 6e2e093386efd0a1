package postgres_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/internal/pgtest"
	"github.com/referral-ledger/ledger/keystore"
	"github.com/referral-ledger/ledger/keystore/keystoretest"
	"github.com/referral-ledger/ledger/keystore/postgres"
)

// openAt opens the key store at url and closes it when the test ends.
func openAt(tb testing.TB, url string, kek keystore.MasterKey, opts ...postgres.Option) *postgres.Store {
	tb.Helper()
	s, err := postgres.Open(context.Background(), url, kek, opts...)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

func newStore(tb testing.TB, kek keystore.MasterKey) (keystore.Store, func(keystore.MasterKey) (keystore.Store, error)) {
	url := pgtest.URL(tb)
	return openAt(tb, url, kek), func(kek keystore.MasterKey) (keystore.Store, error) {
		return postgres.Open(context.Background(), url, kek)
	}
}

func TestContract(t *testing.T) {
	keystoretest.Run(t, newStore)
}

// The contract again through the cache, which must not change any answer.
func TestContractCached(t *testing.T) {
	keystoretest.Run(t, func(tb testing.TB, kek keystore.MasterKey) (keystore.Store, func(keystore.MasterKey) (keystore.Store, error)) {
		s, reopen := newStore(tb, kek)
		return keystore.NewCached(s, 2), func(kek keystore.MasterKey) (keystore.Store, error) {
			s, err := reopen(kek)
			if err != nil {
				return nil, err
			}
			return keystore.NewCached(s, 2), nil
		}
	})
}

// rawConn connects to url as an operator's psql or a restore script would,
// and closes the connection when the test ends.
func rawConn(tb testing.TB, url string) *pgx.Conn {
	tb.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

func mustExec(tb testing.TB, conn *pgx.Conn, query string, args ...any) {
	tb.Helper()
	if _, err := conn.Exec(context.Background(), query, args...); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
}

// count returns the result of a SELECT count(*).
func count(tb testing.TB, conn *pgx.Conn, query string, args ...any) int {
	tb.Helper()
	var n int
	if err := conn.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
	return n
}

// Nodes starting at once all migrate the same empty database without
// tripping over each other's CREATE TABLE.
func TestOpenConcurrently(t *testing.T) {
	url := pgtest.URL(t)
	kek := keystore.GenerateMasterKey()
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			s, err := postgres.Open(context.Background(), url, kek)
			if err == nil {
				err = s.Close()
			}
			errs[i] = err
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open %d: %v", i, err)
		}
	}
}

// Several API nodes share one database: a key created through one is the
// key on every other, and a client erased through one is erased for all.
func TestNodesShareKeys(t *testing.T) {
	url := pgtest.URL(t)
	kek := keystore.GenerateMasterKey()
	a, b := openAt(t, url, kek), openAt(t, url, kek)
	ctx := context.Background()
	id := uuid.New()
	ka, err := a.Create(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := b.Get(ctx, id)
	if err != nil || kb != ka {
		t.Fatalf("node b Get = %v; want node a's key", err)
	}
	if err := b.Destroy(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Get(ctx, id); !errors.Is(err, keystore.ErrDestroyed) {
		t.Errorf("node a Get after node b's Destroy = %v, want ErrDestroyed", err)
	}
	if _, err := a.Create(ctx, id); !errors.Is(err, keystore.ErrDestroyed) {
		t.Errorf("node a Create after node b's Destroy = %v, want ErrDestroyed", err)
	}
}

// Creates racing on two nodes agree on one key, and a Destroy racing with
// them leaves no key behind: every Create either returns the one key (and
// ran before the Destroy) or ErrDestroyed.
func TestNodesRaceCreateAndDestroy(t *testing.T) {
	url := pgtest.URL(t)
	kek := keystore.GenerateMasterKey()
	nodes := []*postgres.Store{openAt(t, url, kek), openAt(t, url, kek)}
	ctx := context.Background()
	for round := range 20 {
		id := uuid.New()
		const n = 8
		keys := make([]keystore.DataKey, n)
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				keys[i], errs[i] = nodes[i%2].Create(ctx, id)
			})
		}
		var destroyErr error
		wg.Go(func() {
			<-start
			destroyErr = nodes[round%2].Destroy(ctx, id)
		})
		close(start)
		wg.Wait()
		if destroyErr != nil {
			t.Fatalf("Destroy: %v", destroyErr)
		}
		var first *keystore.DataKey
		for i := range n {
			switch {
			case errors.Is(errs[i], keystore.ErrDestroyed):
			case errs[i] != nil:
				t.Fatalf("Create %d: %v", i, errs[i])
			case first == nil:
				first = &keys[i]
			case keys[i] != *first:
				t.Fatalf("round %d: Creates returned different keys", round)
			}
		}
		for _, s := range nodes {
			if _, err := s.Get(ctx, id); !errors.Is(err, keystore.ErrDestroyed) {
				t.Fatalf("round %d: Get after the race = %v, want ErrDestroyed", round, err)
			}
		}
		if n := count(t, rawConn(t, url), "SELECT count(*) FROM ledger_keys WHERE client_id = $1", id); n != 0 {
			t.Fatalf("round %d: a key row outlived the Destroy", round)
		}
	}
}

// A server that cannot be reached, a URL that cannot be parsed and a schema
// from a newer program are errors, never "not found" and never "destroyed".
func TestUnavailable(t *testing.T) {
	newer := pgtest.URL(t)
	s := openAt(t, newer, keystore.GenerateMasterKey())
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	mustExec(t, rawConn(t, newer), "INSERT INTO ledger_keystore_schema (version) VALUES (99)")

	cases := map[string]string{
		"NoServer":        "postgres://postgres@127.0.0.1:1/ledger?sslmode=disable&connect_timeout=2",
		"BadURL":          "postgres://postgres:secret@127.0.0.1:notaport/x",
		"NewerSchema":     newer,
		"UnknownDatabase": strings.Replace(newer, "/ledger_test_", "/ledger_absent_", 1),
	}
	for name, url := range cases {
		t.Run(name, func(t *testing.T) {
			s, err := postgres.Open(context.Background(), url, keystore.GenerateMasterKey())
			if err == nil {
				_ = s.Close()
				t.Fatal("Open succeeded")
			}
			if !errors.Is(err, keystore.ErrUnavailable) || domain.ErrorCode(err) != domain.Unavailable {
				t.Errorf("Open = %v, want ErrUnavailable with code %s", err, domain.Unavailable)
			}
			if errors.Is(err, keystore.ErrDestroyed) || errors.Is(err, keystore.ErrNotFound) {
				t.Errorf("Open = %v, which reads as an answer about a client", err)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("Open = %v, which shows the password", err)
			}
		})
	}
}

// Tables that vanish under a running store (an operator's mistake) give
// ErrUnavailable too.
func TestUnavailableWhenTablesGone(t *testing.T) {
	url := pgtest.URL(t)
	s := openAt(t, url, keystore.GenerateMasterKey())
	id := uuid.New()
	if _, err := s.Create(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	mustExec(t, rawConn(t, url), "DROP TABLE ledger_key_tombstones")
	_, err := s.Get(context.Background(), id)
	if !errors.Is(err, keystore.ErrUnavailable) || errors.Is(err, keystore.ErrDestroyed) {
		t.Errorf("Get = %v, want ErrUnavailable", err)
	}
}

// A key restored from a backup after its client was erased is refused and
// deleted again, whether it is read first (Get) or the store is opened
// first.
func TestRestoredKeyRefused(t *testing.T) {
	for _, reopen := range []bool{false, true} {
		name := map[bool]string{false: "OnGet", true: "AtOpen"}[reopen]
		t.Run(name, func(t *testing.T) {
			url := pgtest.URL(t)
			kek := keystore.GenerateMasterKey()
			s := openAt(t, url, kek)
			ctx := context.Background()
			id := uuid.New()
			if _, err := s.Create(ctx, id); err != nil {
				t.Fatal(err)
			}
			conn := rawConn(t, url)
			var backup []byte
			if err := conn.QueryRow(ctx, "SELECT wrapped FROM ledger_keys WHERE client_id = $1", id).Scan(&backup); err != nil {
				t.Fatal(err)
			}
			if err := s.Destroy(ctx, id); err != nil {
				t.Fatal(err)
			}
			mustExec(t, conn, "INSERT INTO ledger_keys (client_id, kek_id, wrapped) VALUES ($1, $2, $3)", id, kek.ID, backup)
			if reopen {
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
				s = openAt(t, url, kek)
				if n := count(t, conn, "SELECT count(*) FROM ledger_keys WHERE client_id = $1", id); n != 0 {
					t.Fatal("Open left the restored key in place")
				}
			}
			if _, err := s.Get(ctx, id); !errors.Is(err, keystore.ErrDestroyed) {
				t.Errorf("Get(restored) = %v, want ErrDestroyed", err)
			}
			if n := count(t, conn, "SELECT count(*) FROM ledger_keys WHERE client_id = $1", id); n != 0 {
				t.Error("the restored key row is still there")
			}
			if _, err := s.Create(ctx, id); !errors.Is(err, keystore.ErrDestroyed) {
				t.Errorf("Create(restored) = %v, want ErrDestroyed", err)
			}
		})
	}
}

// A wrapped key that was altered, cut short or moved to another client's
// row is an error, never a key, and never an answer about the client.
func TestTamperedKeyRefused(t *testing.T) {
	cases := []struct {
		name   string
		tamper string
	}{
		{"FlippedByte", "UPDATE ledger_keys SET wrapped = set_byte(wrapped, 20, get_byte(wrapped, 20) # 255) WHERE client_id = $1"},
		{"Truncated", "UPDATE ledger_keys SET wrapped = substr(wrapped, 1, 40) WHERE client_id = $1"},
		{"MovedFromOtherClient", "UPDATE ledger_keys SET wrapped = (SELECT wrapped FROM ledger_keys WHERE client_id <> $1) WHERE client_id = $1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			url := pgtest.URL(t)
			s := openAt(t, url, keystore.GenerateMasterKey())
			ids := []uuid.UUID{uuid.New(), uuid.New()}
			for _, id := range ids {
				if _, err := s.Create(context.Background(), id); err != nil {
					t.Fatal(err)
				}
			}
			mustExec(t, rawConn(t, url), c.tamper, ids[0])
			_, err := s.Get(context.Background(), ids[0])
			if !errors.Is(err, keystore.ErrCorrupt) {
				t.Errorf("Get = %v, want ErrCorrupt", err)
			}
			if errors.Is(err, keystore.ErrDestroyed) || errors.Is(err, keystore.ErrNotFound) {
				t.Errorf("Get = %v, which reads as an answer about the client", err)
			}
		})
	}
}

// Every vacuum setting runs after Destroy and Rewrap without error, and
// erases all the same.
func TestVacuumModes(t *testing.T) {
	modes := []struct {
		name string
		v    postgres.Vacuum
	}{{"Full", postgres.VacuumFull}, {"Plain", postgres.VacuumPlain}, {"Off", postgres.VacuumOff}}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			url := pgtest.URL(t)
			s := openAt(t, url, keystore.GenerateMasterKey(), postgres.WithVacuum(m.v))
			ctx := context.Background()
			gone, kept := uuid.New(), uuid.New()
			for _, id := range []uuid.UUID{gone, kept} {
				if _, err := s.Create(ctx, id); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Destroy(ctx, gone); err != nil {
				t.Fatalf("Destroy: %v", err)
			}
			if _, err := s.Rewrap(ctx, keystore.GenerateMasterKey()); err != nil {
				t.Fatalf("Rewrap: %v", err)
			}
			if _, err := s.Get(ctx, kept); err != nil {
				t.Errorf("Get(kept): %v", err)
			}
		})
	}
}

// Erasures arriving together share vacuums instead of queueing one each,
// and each still returns only after a vacuum that saw its deletion.
func TestConcurrentDestroys(t *testing.T) {
	url := pgtest.URL(t)
	s := openAt(t, url, keystore.GenerateMasterKey())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ids := make([]uuid.UUID, 40)
	for i := range ids {
		ids[i] = uuid.New()
		if _, err := s.Create(ctx, ids[i]); err != nil {
			t.Fatal(err)
		}
	}
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() { errs[i] = s.Destroy(ctx, id) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Destroy %d: %v", i, err)
		}
	}
	if n := count(t, rawConn(t, url), "SELECT count(*) FROM ledger_keys"); n != 0 {
		t.Errorf("%d key rows left", n)
	}
}
