package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"testing"
)

// TestFirstStartOnAPortInUse starts a new ledger on a port another
// process holds: it fails naming the port setting, before the bootstrap
// account exists, so no generated password is lost; the next start on a
// free port creates the account and prints its password (issue 10 point 4).
func TestFirstStartOnAPortInUse(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	dir := t.TempDir()
	cmd := child(t, dir, "serve")
	cmd.Env = append(cmd.Env, "LEDGER_HTTP_ADDR="+taken.Addr().String(), "LEDGER_BOOTSTRAP_PASSWORD=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err == nil || !strings.Contains(stderr.String(), "http.addr (LEDGER_HTTP_ADDR)") {
		t.Fatalf("serve on a port in use: %v, %s", err, stderr.String())
	}
	if strings.Contains(stdout.String(), "password") {
		t.Errorf("a password was printed by a server that could not serve: %s", stdout.String())
	}
	t.Setenv("LEDGER_DATA_DIR", dir)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"verify"}, &out, io.Discard); err != nil || !strings.HasPrefix(out.String(), "OK: 0 events") {
		t.Fatalf("the failed start wrote to the ledger: %v %s", err, out.String())
	}

	n := startNodeWith(t, dir, "")
	_, rest, ok := strings.Cut(n.stdout.String(), `sign in as "admin" with password `)
	if !ok {
		t.Fatalf("the first start that serves prints no password:\n%s", n.stdout)
	}
	n.signIn(t, "admin", strings.Fields(rest)[0])
}
