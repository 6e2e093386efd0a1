package pgtest_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/referral-ledger/ledger/internal/pgtest"
)

func connect(tb testing.TB, u string) *pgx.Conn {
	tb.Helper()
	conn, err := pgx.Connect(context.Background(), u)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

// Each URL is a database of its own, gone when its test ends.
func TestURLIsolatedAndDropped(t *testing.T) {
	var name string
	t.Run("Use", func(t *testing.T) {
		a, b := pgtest.URL(t), pgtest.URL(t)
		if a == b {
			t.Fatal("two calls returned the same database")
		}
		ca, cb := connect(t, a), connect(t, b)
		if _, err := ca.Exec(context.Background(), "CREATE TABLE only_in_a (x int)"); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := cb.QueryRow(context.Background(),
			"SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'").Scan(&n); err != nil || n != 0 {
			t.Fatalf("database b sees database a's table (%d, %v)", n, err)
		}
		u, err := url.Parse(a)
		if err != nil {
			t.Fatal(err)
		}
		name = strings.TrimPrefix(u.Path, "/")
	})
	var n int
	if err := connect(t, pgtest.ServerURL()).QueryRow(context.Background(),
		"SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("database %s outlived its test", name)
	}
}

func TestRedacted(t *testing.T) {
	got := pgtest.Redacted("postgres://u:secret@h:5432/db?sslmode=disable")
	if strings.Contains(got, "secret") || !strings.Contains(got, "h:5432/db") {
		t.Errorf("Redacted = %q", got)
	}
}
