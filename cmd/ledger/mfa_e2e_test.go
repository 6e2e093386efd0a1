package main

import (
	"bytes"
	"context"
	"io"
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
