package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/auth"
)

// networkMFARoles is the production default of auth.mfa_required_roles.
const networkMFARoles = "coordinator,auditor,system_support,emergency_duty"

// enrolTOTP enrols a second factor for the holder of token through the
// API and returns its secret.
func (n *node) enrolTOTP(t *testing.T, token string) string {
	t.Helper()
	secret, _ := n.must(t, 201, "POST", "/v1/users/me/mfa/totp", token, map[string]any{})["secret"].(string)
	code, err := auth.TOTPCode(secret, auth.TOTPStep(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	n.must(t, 200, "POST", "/v1/users/me/mfa/totp/confirmation", token, map[string]string{"code": code})
	return secret
}

// TestAdminResetMFA_Issue17: with the production default, the bootstrap
// coordinator is told at first start to set up a second factor and can do
// nothing else until they have; once they have, a password alone no longer
// signs them in. Having lost their app and recovery codes, as the last
// coordinator, the operator runs `ledger admin reset-mfa admin` with the
// server stopped: it is recorded, and the coordinator signs in with the
// password and enrols again.
func TestAdminResetMFA_Issue17(t *testing.T) {
	t.Setenv(envMFARoles, networkMFARoles)
	dir := t.TempDir()
	n, server := serveChild(t, dir)
	admin := n.signIn(t, "admin", adminPassword)
	if status, body := n.call(t, "GET", "/v1/directory", admin, nil); status != 403 ||
		!strings.HasSuffix(body["type"].(string), "/mfa_enrolment_required") {
		t.Fatalf("the coordinator without a second factor: %d %v", status, body)
	}
	n.enrolTOTP(t, admin)
	n.must(t, 200, "GET", "/v1/directory", admin, nil)
	if res := n.must(t, 200, "POST", "/v1/sessions", "", map[string]string{"username": "admin", "password": adminPassword}); res["token"] != nil || res["challenge"] == nil {
		t.Fatalf("a password alone after enrolment: %v", res)
	}
	_ = server.Process.Signal(syscall.SIGTERM)
	if err := server.Wait(); err != nil {
		t.Fatal(err)
	}

	t.Setenv("LEDGER_DATA_DIR", dir)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"admin", "reset-mfa", "admin"}, &out, io.Discard); err != nil {
		t.Fatalf("admin reset-mfa: %v", err)
	}
	if !strings.Contains(out.String(), `second factor of "admin" reset`) {
		t.Fatalf("admin reset-mfa printed %q", out.String())
	}

	n = startNode(t, dir)
	res := n.must(t, 201, "POST", "/v1/sessions", "", map[string]string{"username": "admin", "password": adminPassword})
	if res["mfa_enrolment_required"] != true {
		t.Fatalf("sign-in after the reset: %v", res)
	}
	token := res["token"].(string)
	if status, _ := n.call(t, "GET", "/v1/directory", token, nil); status != 403 {
		t.Fatalf("after the reset, before enrolling again: %d, want 403", status)
	}
	n.enrolTOTP(t, token)
	n.must(t, 200, "GET", "/v1/directory", token, nil)
}

// TestFirstStartAsksTheCoordinatorToEnrol_Issue17: the first start says
// that the coordinator must set up a second factor, and how.
func TestFirstStartAsksTheCoordinatorToEnrol_Issue17(t *testing.T) {
	t.Setenv(envMFARoles, networkMFARoles)
	n := startNode(t, t.TempDir())
	if !strings.Contains(n.stdout.String(), "set up a second factor") {
		t.Fatalf("first start output:\n%s", n.stdout)
	}
}

// TestMFANoSecretOrCodeInTheLog_Issue17: a server logging at debug level
// enrols a second factor, is signed in to with a recovery code through the
// web pages and refuses wrong codes through the API; its log holds none of
// the secret, the recovery codes, the codes or the challenges.
func TestMFANoSecretOrCodeInTheLog_Issue17(t *testing.T) {
	t.Setenv(envMFARoles, networkMFARoles)
	t.Setenv("LEDGER_LOG_LEVEL", "debug")
	dir := t.TempDir()
	n, server, logs := serveChildLogged(t, dir)
	admin := n.signIn(t, "admin", adminPassword)
	secret, _ := n.must(t, 201, "POST", "/v1/users/me/mfa/totp", admin, map[string]any{})["secret"].(string)
	code, err := auth.TOTPCode(secret, auth.TOTPStep(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	var recovery []string
	for _, c := range n.must(t, 200, "POST", "/v1/users/me/mfa/totp/confirmation", admin, map[string]string{"code": code})["recovery_codes"].([]any) {
		recovery = append(recovery, c.(string))
	}
	secrets := append([]string{secret, code}, recovery...)

	jar, _ := cookiejar.New(nil)
	b := &browser{t: t, base: n.base, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	p := b.post("/sign-in", url.Values{"username": {"admin"}, "password": {adminPassword}, "next": {"/"}})
	m := regexp.MustCompile(`name="challenge" value="([^"]+)"`).FindStringSubmatch(p.body)
	if p.status != http.StatusOK || m == nil {
		t.Fatalf("the sign-in's second page: %d %s", p.status, p.body)
	}
	secrets = append(secrets, m[1])
	if p = b.post("/sign-in/code", url.Values{"challenge": {m[1]}, "code": {recovery[0]}, "next": {"/"}}); p.status != http.StatusSeeOther {
		t.Fatalf("sign-in with a recovery code: %d %s", p.status, p.body)
	}
	first := n.must(t, 200, "POST", "/v1/sessions", "", map[string]string{"username": "admin", "password": adminPassword})
	challenge := first["challenge"].(string)
	secrets = append(secrets, challenge)
	if status, _ := n.call(t, "POST", "/v1/sessions/second-factor", "", map[string]string{"challenge": challenge, "code": recovery[0]}); status != 401 {
		t.Fatalf("a used recovery code: %d, want 401", status)
	}
	_ = server.Process.Signal(syscall.SIGTERM)
	if err := server.Wait(); err != nil {
		t.Fatal(err)
	}
	log := logs.String()
	if !strings.Contains(log, "/sign-in/code") {
		t.Fatalf("the log does not show the requests; is it the right log?\n%.2000s", log)
	}
	for _, s := range secrets {
		if strings.Contains(log, s) {
			t.Errorf("the log holds %q", s)
		}
	}
}
