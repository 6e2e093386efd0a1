package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	_ "modernc.org/sqlite"

	ledgerhttp "github.com/referral-ledger/ledger/http"
	"github.com/referral-ledger/ledger/internal/openapicheck"
)

const adminPassword = "Quartz#Harbour-71"

// node is a ledger started through run, as the binary would be.
type node struct {
	base   string
	stdout *bytes.Buffer
	// stop stops the node (as SIGTERM does) and returns what serve
	// returned; later calls return the same.
	stop func() error
}

// startNode runs `ledger serve` in-process on a free port and a temp data
// dir; it stops (and must stop cleanly) when the test ends.
func startNode(t *testing.T, dataDir string) *node {
	t.Helper()
	return startNodeWith(t, dataDir, adminPassword)
}

// startNodeWith starts a node with the given bootstrap password ("" lets it
// generate one).
func startNodeWith(t *testing.T, dataDir, bootstrapPassword string) *node {
	t.Helper()
	t.Setenv("LEDGER_DATA_DIR", dataDir)
	t.Setenv("LEDGER_HTTP_ADDR", "127.0.0.1:0")
	t.Setenv("LEDGER_BOOTSTRAP_PASSWORD", bootstrapPassword)
	t.Setenv("LEDGER_LOG_FORMAT", "json")
	// Every answer is checked against the served OpenAPI document (issue
	// 16): a status, header or body it does not describe fails the test.
	checker, err := openapicheck.New(ledgerhttp.OpenAPIDocument())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { checker.Report(t) })
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), handlerWrapKey{}, checker.Handler))
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, pw, io.Discard)
		pw.Close()
	}()
	n := &node{stdout: &bytes.Buffer{}}
	lines := bufio.NewScanner(pr)
	for lines.Scan() {
		n.stdout.WriteString(lines.Text() + "\n")
		if rest, ok := strings.CutPrefix(lines.Text(), "referral ledger listening on "); ok {
			n.base = strings.Fields(rest)[0]
		}
		if strings.HasPrefix(lines.Text(), "API description:") {
			break
		}
	}
	if n.base == "" {
		cancel()
		t.Fatalf("serve did not start: %v\n%s", <-done, n.stdout)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	n.stop = sync.OnceValue(func() error {
		cancel()
		return <-done
	})
	t.Cleanup(func() {
		if err := n.stop(); err != nil {
			t.Errorf("serve stopped with %v", err)
		}
	})
	return n
}

func (n *node) call(t *testing.T, method, path, token string, body any) (int, map[string]any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, n.base+path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

func (n *node) must(t *testing.T, want int, method, path, token string, body any) map[string]any {
	t.Helper()
	status, out := n.call(t, method, path, token, body)
	if status != want {
		t.Fatalf("%s %s = %d, want %d: %v", method, path, status, want, out)
	}
	return out
}

func (n *node) signIn(t *testing.T, user, password string) string {
	t.Helper()
	return n.must(t, 201, "POST", "/v1/sessions", "", map[string]string{"username": user, "password": password})["token"].(string)
}

// firstSignIn signs in an account with the password the coordinator set,
// changes it to own as it must before anything else (R-AUTH-6), and signs
// in again.
func (n *node) firstSignIn(t *testing.T, user, initial, own string) string {
	t.Helper()
	token := n.signIn(t, user, initial)
	n.must(t, 204, "PUT", "/v1/users/me/password", token, map[string]string{"current_password": initial, "new_password": own})
	return n.signIn(t, user, own)
}

// lifecycle drives a referral network through the API: the coordinator
// registers two organisations and their advisers, one refers a client to
// the other, which acknowledges, notes and closes it. It returns the
// referral id.
func lifecycle(t *testing.T, n *node) string {
	t.Helper()
	admin := n.signIn(t, "admin", adminPassword)
	a := n.must(t, 201, "POST", "/v1/organisations", admin, map[string]any{"name": "Advice Centre", "admin_email": "a@advice.example", "services": []any{}})["id"].(string)
	b := n.must(t, 201, "POST", "/v1/organisations", admin, map[string]any{"name": "Housing Trust", "admin_email": "b@housing.example",
		"services": []any{map[string]string{"name": "Tenancy support", "description": "help keeping a home"}}})["id"].(string)
	n.must(t, 201, "POST", "/v1/organisations/"+a+"/users", admin, map[string]any{"username": "ann", "display_name": "Ann",
		"email": "ann@advice.example", "roles": []string{"adviser"}, "password": "Initial#Kestrel42"})
	n.must(t, 201, "POST", "/v1/organisations/"+b+"/users", admin, map[string]any{"username": "ben", "display_name": "Ben",
		"email": "ben@housing.example", "roles": []string{"adviser"}, "password": "Initial#Osprey77"})
	ann, ben := n.firstSignIn(t, "ann", "Initial#Kestrel42", "Kestrel#Wing42"), n.firstSignIn(t, "ben", "Initial#Osprey77", "Osprey#Dive77")
	ref := n.must(t, 201, "POST", "/v1/referrals", ann, map[string]any{"to_organisation_id": b, "urgent": false,
		"client": map[string]string{"name": "Client Person"}, "reason": "rent arrears",
		"consent": map[string]any{"method": "written", "confirmed": true}, "privacy_notice_given": true})
	id := ref["id"].(string)
	n.must(t, 200, "POST", "/v1/referrals/"+id+"/acknowledgement", ben, map[string]any{})
	n.must(t, 201, "POST", "/v1/referrals/"+id+"/notes", ben, map[string]any{"text": "called the client"})
	n.must(t, 200, "POST", "/v1/referrals/"+id+"/closure", ben, map[string]any{"outcome": "positive", "comment": "tenancy saved"})
	h := n.must(t, 200, "GET", "/v1/referrals/"+id+"/history", admin, nil)
	if h["verified"] != true || len(h["events"].([]any)) != 4 {
		t.Fatalf("history = %v", h)
	}
	return id
}

// TestEndToEnd runs the binary's run function: serve, a referral's whole
// life through the API, a clean stop, then the offline tools on the same
// data directory (R-LEDGER-4, R-LEDGER-5).
func TestEndToEnd(t *testing.T) {
	dir := t.TempDir()
	var id string
	t.Run("serve", func(t *testing.T) {
		n := startNode(t, dir)
		if !strings.Contains(n.stdout.String(), `sign in as "admin"`) {
			t.Errorf("first start does not say how to sign in:\n%s", n.stdout)
		}
		id = lifecycle(t, n)
	})
	t.Run("restart keeps everything", func(t *testing.T) {
		n := startNode(t, dir)
		admin := n.signIn(t, "admin", adminPassword)
		if got := n.must(t, 200, "GET", "/v1/referrals/"+id, admin, nil)["status"]; got != "closed" {
			t.Fatalf("status after restart = %v", got)
		}
	})
	t.Setenv("LEDGER_DATA_DIR", dir)
	t.Run("verify", func(t *testing.T) {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"verify"}, &out, io.Discard); err != nil {
			t.Fatalf("verify: %v\n%s", err, out.String())
		}
		if !strings.HasPrefix(out.String(), "OK:") {
			t.Fatalf("verify printed %q", out.String())
		}
	})
	t.Run("history", func(t *testing.T) {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"history", id}, &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		for _, typ := range []string{"referral.made", "referral.acknowledged", "referral.note_added", "referral.closed", "verified: 4 events"} {
			if !strings.Contains(out.String(), typ) {
				t.Errorf("history lacks %q:\n%s", typ, out.String())
			}
		}
	})
	t.Run("history of an unknown referral", func(t *testing.T) {
		err := run(context.Background(), []string{"history", "00000000-0000-4000-8000-000000000000"}, io.Discard, io.Discard)
		if exitCode(err) != 3 {
			t.Fatalf("exit %d (%v), want 3", exitCode(err), err)
		}
	})
	t.Run("verify detects tampering", func(t *testing.T) {
		db, err := sql.Open("sqlite", filepath.Join(dir, eventsFile))
		if err != nil {
			t.Fatal(err)
		}
		// Someone with the file drops the immutability trigger first.
		_, err = db.Exec(`DROP TRIGGER events_no_update; UPDATE events SET data = CAST(REPLACE(CAST(data AS TEXT), '"positive"', '"negative"') AS BLOB) WHERE type = 'referral.closed'`)
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		err = run(context.Background(), []string{"verify"}, &out, io.Discard)
		if exitCode(err) != 2 || !strings.Contains(out.String(), "BROKEN") || !strings.Contains(out.String(), "referral-"+id) {
			t.Fatalf("verify after tampering: exit %d, %v\n%s", exitCode(err), err, out.String())
		}
	})
	t.Run("version", func(t *testing.T) {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"version"}, &out, io.Discard); err != nil || !strings.HasPrefix(out.String(), "ledger ") {
			t.Fatalf("version: %v %q", err, out.String())
		}
	})
}

// TestFirstStartGeneratesAPassword: with no bootstrap password configured,
// the first start prints a generated one once, and it signs the
// coordinator in; the next start prints none.
func TestFirstStartGeneratesAPassword(t *testing.T) {
	dir := t.TempDir()
	var password string
	t.Run("first start", func(t *testing.T) {
		n := startNodeWith(t, dir, "")
		for _, line := range strings.Split(n.stdout.String(), "\n") {
			if _, rest, ok := strings.Cut(line, "with password "); ok {
				password = strings.Fields(rest)[0]
			}
		}
		if len(password) < 16 {
			t.Fatalf("no generated password printed:\n%s", n.stdout)
		}
		n.signIn(t, "admin", password)
	})
	t.Run("second start", func(t *testing.T) {
		n := startNodeWith(t, dir, "")
		if strings.Contains(n.stdout.String(), password) {
			t.Fatalf("the password was printed again:\n%s", n.stdout)
		}
		n.signIn(t, "admin", password)
	})
}

// TestBootstrapEmail_ORG1: bootstrap_email sets the first coordinator's
// address at first start, and only then; the coordinator changes it later
// with PATCH /v1/organisations/{id}/users/{user_id}.
func TestBootstrapEmail_ORG1(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("LEDGER_BOOTSTRAP_EMAIL", "lead@network.example")
	email := func(n *node) string {
		out := n.must(t, 201, "POST", "/v1/sessions", "", map[string]string{"username": "admin", "password": adminPassword})
		return out["user"].(map[string]any)["email"].(string)
	}
	t.Run("first start", func(t *testing.T) {
		if got := email(startNode(t, dir)); got != "lead@network.example" {
			t.Fatalf("admin email %q", got)
		}
	})
	t.Run("second start", func(t *testing.T) {
		t.Setenv("LEDGER_BOOTSTRAP_EMAIL", "other@network.example")
		if got := email(startNode(t, dir)); got != "lead@network.example" {
			t.Fatalf("admin email %q after a restart with another bootstrap_email", got)
		}
	})
}

// TestConfigErrorsAreClear: a bad setting stops the start with a message
// naming the key.
func TestConfigErrorsAreClear(t *testing.T) {
	t.Setenv("LEDGER_DATA_DIR", t.TempDir())
	t.Setenv("LEDGER_AUTH_PASSWORD_POLICY", "lax")
	err := serveFails(t)
	if err == nil || !strings.Contains(err.Error(), "auth.password_policy") {
		t.Fatalf("err = %v, want one naming auth.password_policy", err)
	}
}

// TestGracefulShutdown sends SIGTERM to a serving process while clients
// are writing: it exits 0, every write that got a 2xx is in the ledger,
// and the ledger verifies (R-LEDGER-1, R-LEDGER-4).
func TestGracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	n, cmd, stderr := serveChildLogged(t, dir)
	lifecycle(t, n)
	admin := n.signIn(t, "admin", adminPassword)

	// Writers register organisations until the server stops answering.
	acked := make(chan string, 1000)
	writersDone := make(chan struct{})
	go func() {
		defer close(writersDone)
		for i := 0; ; i++ {
			body := fmt.Sprintf(`{"name":"Org %d","admin_email":"o@example.org"}`, i)
			req, _ := http.NewRequest("POST", n.base+"/v1/organisations", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+admin)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				return // the server has stopped listening
			}
			var out struct{ ID string }
			_ = json.NewDecoder(res.Body).Decode(&out)
			res.Body.Close()
			if res.StatusCode != 201 {
				return
			}
			acked <- out.ID
			if i == 5 {
				_ = cmd.Process.Signal(syscall.SIGTERM)
			}
		}
	}()
	err := cmd.Wait()
	<-writersDone
	close(acked)
	var exit *exec.ExitError
	if errors.As(err, &exit) || err != nil {
		t.Fatalf("child exited with %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), `"message":"stopped"`) {
		t.Errorf("no clean stop logged:\n%s", stderr.String())
	}
	// Every acknowledged organisation is in the ledger, which verifies.
	db, err := sql.Open("sqlite", filepath.Join(dir, eventsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for org := range acked {
		var c int
		if err := db.QueryRow(`SELECT count(*) FROM events WHERE stream = ?`, "organisation-"+org).Scan(&c); err != nil || c != 1 {
			t.Errorf("acknowledged organisation %s: %d events (%v)", org, c, err)
		}
	}
	t.Setenv("LEDGER_DATA_DIR", dir)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"verify"}, &out, io.Discard); err != nil {
		t.Fatalf("verify after shutdown: %v\n%s", err, out.String())
	}
}
