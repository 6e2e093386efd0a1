// Package pgtest gives tests a PostgreSQL database of their own.
//
// URL(tb) creates a uniquely named database on the server at
// LEDGER_TEST_POSTGRES_URL (default DefaultURL), returns its URL and drops
// it when the test ends, so tests and test packages running at once never
// see each other's tables. If no server answers, it runs
// scripts/ensure-postgres.sh once per test binary, which starts one on a
// Debian machine (installing the postgresql package if it is root), and if
// that fails too it skips the test with a loud message saying how to point
// the tests at a server; with LEDGER_TEST_POSTGRES_REQUIRED=1 it fails the
// test instead.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The environment variables pgtest reads.
const (
	// EnvURL names the server's URL. Its user needs CREATEDB; as a superuser
	// the tests can also read table files to check erasure on disk.
	EnvURL = "LEDGER_TEST_POSTGRES_URL"
	// EnvRequired, set to 1, turns the skip when no server can be reached
	// into a failure, for CI that must run these tests.
	EnvRequired = "LEDGER_TEST_POSTGRES_REQUIRED"
)

// DefaultURL is the server the tests use when EnvURL is not set: a local
// one with trust authentication for the postgres user on the loopback
// address, which is what scripts/ensure-postgres.sh sets up.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// connectTimeout bounds each attempt to reach the server.
const connectTimeout = 5 * time.Second

// scriptTimeout bounds scripts/ensure-postgres.sh, which may install
// PostgreSQL.
const scriptTimeout = 5 * time.Minute

// ServerURL returns the URL of the server the tests use: EnvURL, or
// DefaultURL.
func ServerURL() string {
	if u := os.Getenv(EnvURL); u != "" {
		return u
	}
	return DefaultURL
}

// URL returns the URL of a new, empty database on the test server, dropped
// (with any connections still open to it) when tb ends. The returned URL
// keeps the server URL's user, host and parameters. It skips tb, or fails
// it when EnvRequired is 1, if no server can be reached.
func URL(tb testing.TB) string {
	tb.Helper()
	server := ServerURL()
	conn := connect(tb, server)
	defer conn.Close(context.Background())

	var b [8]byte
	_, _ = rand.Read(b[:])
	name := "ledger_test_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("pgtest: create database %s on %s: %v", name, Redacted(server), err)
	}
	tb.Cleanup(func() { drop(tb, server, name) })

	u, err := url.Parse(server)
	if err != nil {
		tb.Fatalf("pgtest: %s is not a postgres:// URL: %v", EnvURL, err)
	}
	u.Path = "/" + name
	u.RawPath = ""
	return u.String()
}

// drop drops the database name, closing any connection a test left open.
func drop(tb testing.TB, server, name string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		tb.Errorf("pgtest: connect to drop database %s: %v", name, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		tb.Errorf("pgtest: drop database %s: %v", name, err)
	}
}

// connect connects to server, running the ensure script once if it does
// not answer, and skips or fails tb if it still cannot.
func connect(tb testing.TB, server string) *pgx.Conn {
	tb.Helper()
	if _, err := url.Parse(server); err != nil || !strings.Contains(server, "://") {
		tb.Fatalf("pgtest: %s must be a postgres:// URL, got %s", EnvURL, Redacted(server))
	}
	conn, err := tryConnect(server)
	if err == nil {
		return conn
	}
	out := ensure(server)
	if conn, err = tryConnect(server); err == nil {
		tb.Logf("pgtest: scripts/ensure-postgres.sh started PostgreSQL:\n%s", out)
		return conn
	}
	msg := loud(server, err, out)
	if os.Getenv(EnvRequired) == "1" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
	return nil
}

func tryConnect(server string) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	return pgx.Connect(ctx, server)
}

// ensureOnce runs scripts/ensure-postgres.sh at most once per server URL and
// test binary, however many tests find the server down.
var ensureOnce sync.Map // server URL -> func() string

// ensure runs scripts/ensure-postgres.sh for server and returns what it
// printed.
func ensure(server string) string {
	f, _ := ensureOnce.LoadOrStore(server, sync.OnceValue(func() string { return runScript(server) }))
	return f.(func() string)()
}

func runScript(server string) string {
	script, err := findScript()
	if err != nil {
		return err.Error()
	}
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", script)
	cmd.Env = append(os.Environ(), EnvURL+"="+server)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Sprintf("%s\n(%s: %v)", out, script, err)
	}
	return string(out)
}

// findScript finds scripts/ensure-postgres.sh in the module root above the
// working directory (go test runs in the package's directory).
func findScript() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "scripts", "ensure-postgres.sh"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("pgtest: no go.mod above the working directory, so no scripts/ensure-postgres.sh to run")
		}
		dir = parent
	}
}

// loud is the message of a test skipped (or failed) for want of a server.
func loud(server string, err error, scriptOut string) string {
	bar := strings.Repeat("*", 78)
	return fmt.Sprintf(`
%s
*** POSTGRESQL TESTS NOT RUN: no PostgreSQL at %s
*** error: %v
*** scripts/ensure-postgres.sh said:
%s
*** To run them, point them at a server whose user may CREATE DATABASE
*** (a superuser also runs the on-disk erasure checks):
***     %s='postgres://USER:PASSWORD@HOST:5432/postgres?sslmode=disable' go test ./...
*** or start one on this machine (Debian, as root): scripts/ensure-postgres.sh
*** Set %s=1 to make this a failure instead of a skip.
%s`, bar, Redacted(server), err, indent(scriptOut), EnvURL, EnvRequired, bar)
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return "***     (nothing)"
	}
	return "***     " + strings.ReplaceAll(s, "\n", "\n***     ")
}

// Redacted returns server with any password replaced, for messages.
func Redacted(server string) string {
	u, err := url.Parse(server)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
