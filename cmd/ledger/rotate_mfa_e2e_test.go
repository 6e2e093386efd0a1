package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/auth"
	"github.com/referral-ledger/ledger/config"
	"github.com/referral-ledger/ledger/internal/pgtest"
	"github.com/referral-ledger/ledger/keystore"
	"github.com/referral-ledger/ledger/ledger"
	ledgernode "github.com/referral-ledger/ledger/node"
	sessionsqlite "github.com/referral-ledger/ledger/session/sqlite"
)

// signInWithCode signs user in with password and then a current code of
// secret: one step ahead of the clock, since the step now may be the one
// its enrolment used up, and a step either side is accepted.
func (n *node) signInWithCode(t *testing.T, user, password, secret string) string {
	t.Helper()
	first := n.must(t, 200, "POST", "/v1/sessions", "", map[string]string{"username": user, "password": password})
	challenge, _ := first["challenge"].(string)
	if challenge == "" {
		t.Fatalf("a password alone with a second factor enrolled: %v", first)
	}
	code, err := auth.TOTPCode(secret, auth.TOTPStep(time.Now())+1)
	if err != nil {
		t.Fatal(err)
	}
	res := n.must(t, 201, "POST", "/v1/sessions/second-factor", "", map[string]string{"challenge": challenge, "code": code})
	return res["token"].(string)
}

// TestRotateMasterKeyResealsSecondFactors_Issue17: the coordinator enrols
// an authenticator app, and another user starts enrolling; the server
// stops, `ledger rotate-master-key` runs (master key in the data
// directory), and after a restart the coordinator signs in with a code of
// the same app, and the other user's pending set-up completes with its
// code: the secrets were sealed anew under the new master key. A second
// rotation reseals both again, and the other user signs in with a code.
func TestRotateMasterKeyResealsSecondFactors_Issue17(t *testing.T) {
	t.Setenv(envMFARoles, networkMFARoles)
	dir := t.TempDir()
	var secret, pending string
	t.Run("enrol", func(t *testing.T) {
		n := startNode(t, dir)
		admin := n.signIn(t, "admin", adminPassword)
		secret = n.enrolTOTP(t, admin)
		org := n.must(t, 201, "POST", "/v1/organisations", admin,
			map[string]any{"name": "Advice Centre", "admin_email": "a@advice.example"})["id"].(string)
		n.must(t, 201, "POST", "/v1/organisations/"+org+"/users", admin, map[string]any{"username": "ann", "display_name": "Ann",
			"email": "ann@advice.example", "roles": []string{"adviser"}, "password": "Initial#Kestrel42"})
		ann := n.firstSignIn(t, "ann", "Initial#Kestrel42", "Kestrel#Wing42")
		pending, _ = n.must(t, 201, "POST", "/v1/users/me/mfa/totp", ann, map[string]any{})["secret"].(string)
	})
	old, err := keystore.LoadMasterKeyFile(filepath.Join(dir, keystore.MasterKeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("LEDGER_DATA_DIR", dir)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"rotate-master-key"}, &out, io.Discard); err != nil {
		t.Fatalf("rotate: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "resealed 2 second-factor secrets") || !strings.Contains(out.String(), "finished") {
		t.Fatalf("rotation printed:\n%s", out.String())
	}
	if k, err := keystore.LoadMasterKeyFile(filepath.Join(dir, keystore.MasterKeyFileName)); err != nil || k.ID == old.ID {
		t.Fatalf("master key after rotation: %v %v (was %s)", k, err, old.ID)
	}

	t.Run("after a restart the same app signs in", func(t *testing.T) {
		n := startNode(t, dir)
		admin := n.signInWithCode(t, "admin", adminPassword, secret)
		n.must(t, 200, "GET", "/v1/directory", admin, nil)
		ann := n.signIn(t, "ann", "Kestrel#Wing42")
		code, err := auth.TOTPCode(pending, auth.TOTPStep(time.Now()))
		if err != nil {
			t.Fatal(err)
		}
		n.must(t, 200, "POST", "/v1/users/me/mfa/totp/confirmation", ann, map[string]string{"code": code})
	})

	t.Run("a second rotation reseals them again", func(t *testing.T) {
		out.Reset()
		if err := run(context.Background(), []string{"rotate-master-key"}, &out, io.Discard); err != nil {
			t.Fatalf("second rotation: %v\n%s", err, out.String())
		}
		if !strings.Contains(out.String(), "resealed 2 second-factor secrets") {
			t.Fatalf("second rotation printed:\n%s", out.String())
		}
		n := startNode(t, dir)
		n.must(t, 200, "GET", "/v1/directory", n.signInWithCode(t, "ann", "Kestrel#Wing42", pending), nil)
	})
}

// TestRotateMasterKeyResealsSecondFactorsPostgres_Issue17: with the key and
// session stores in PostgreSQL and the master key in LEDGER_MASTER_KEY, a
// rotation to --new-key-file reseals the secrets in the shared tables on
// its first run; the operator then configures the new key and runs it
// again to finish, and the enrolled coordinator signs in with a code.
func TestRotateMasterKeyResealsSecondFactorsPostgres_Issue17(t *testing.T) {
	t.Setenv(envMFARoles, networkMFARoles)
	t.Setenv("LEDGER_KEYSTORE", "postgres")
	t.Setenv("LEDGER_POSTGRES_URL", pgtest.URL(t))
	oldKey := make([]byte, 32)
	for i := range oldKey {
		oldKey[i] = byte(i*5 + 1)
	}
	t.Setenv("LEDGER_MASTER_KEY", base64.StdEncoding.EncodeToString(oldKey))
	dir := t.TempDir()
	var secret string
	t.Run("enrol", func(t *testing.T) {
		n := startNode(t, dir)
		secret = n.enrolTOTP(t, n.signIn(t, "admin", adminPassword))
	})
	keyFile := filepath.Join(t.TempDir(), "master.key.new")
	if err := keystore.WriteMasterKeyFile(keyFile, keystore.GenerateMasterKey()); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LEDGER_DATA_DIR", dir)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"rotate-master-key", "--new-key-file", keyFile}, &out, io.Discard); err != nil {
		t.Fatalf("rotate: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "resealed 1 second-factor secrets") {
		t.Fatalf("rotation printed:\n%s", out.String())
	}
	newKey, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("LEDGER_MASTER_KEY", strings.TrimSpace(string(newKey)))
	out.Reset()
	if err := run(context.Background(), []string{"rotate-master-key"}, &out, io.Discard); err != nil || !strings.Contains(out.String(), "finished") {
		t.Fatalf("finishing the rotation: %v\n%s", err, out.String())
	}
	n := startNode(t, dir)
	n.must(t, 200, "GET", "/v1/directory", n.signInWithCode(t, "admin", adminPassword, secret), nil)
}

// sealMFA stores, in dir's sessions.db, a second factor in use for userID
// whose secret is sealed under the key derived from master.
func sealMFA(t *testing.T, dir, userID, secret string, master keystore.MasterKey) {
	t.Helper()
	box, err := auth.NewSecretBox(master.DeriveKey(ledger.SecondFactorKeyPurpose))
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := box.Seal(userID, secret)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sessionsqlite.Open(filepath.Join(dir, ledgernode.SessionsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.PutPendingMFA(userID, sealed, 0, time.Now()); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.ActivateMFA(userID, sealed, 1, nil); err != nil || !ok {
		t.Fatalf("ActivateMFA = %v, %v", ok, err)
	}
}

// openMFA returns userID's secret in dir's sessions.db, opened under the
// key derived from master.
func openMFA(t *testing.T, dir, userID string, master keystore.MasterKey) (string, error) {
	t.Helper()
	box, err := auth.NewSecretBox(master.DeriveKey(ledger.SecondFactorKeyPurpose))
	if err != nil {
		t.Fatal(err)
	}
	s, err := sessionsqlite.Open(filepath.Join(dir, ledgernode.SessionsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m, err := s.MFA(userID)
	if err != nil {
		t.Fatal(err)
	}
	return box.Open(userID, m.Secret)
}

// TestRotationResealRefusesToLoseASecret_Issue17: when the configuration
// already names the new key but the journal says the secrets were not all
// resealed, a secret only the old key opens stops the rotation, which asks
// for the old key again rather than finish with a secret nothing will
// open; a secret sealed under a key gone before the rotation began is
// reported and left as it is.
func TestRotationResealRefusesToLoseASecret_Issue17(t *testing.T) {
	dir := t.TempDir()
	from, to, earlier := keystore.GenerateMasterKey(), keystore.GenerateMasterKey(), keystore.GenerateMasterKey()
	sealMFA(t, dir, "user-old", "JBSWY3DPEHPK3PXP", from)
	cfg := config.Config{DataDir: dir}
	j := &rotationJournal{From: from.ID, To: to.ID, NewKeyFile: filepath.Join(dir, "new.key")}

	var out bytes.Buffer
	err := resealSecondFactors(context.Background(), cfg, j, to, to, &out)
	if err == nil || !strings.Contains(err.Error(), "configure master key "+from.ID+" again") || !strings.Contains(err.Error(), "user-old") {
		t.Fatalf("resealing without the old key = %v", err)
	}
	if s, err := openMFA(t, dir, "user-old", from); err != nil || s != "JBSWY3DPEHPK3PXP" {
		t.Fatalf("the secret after the refusal = %q, %v; want it still under the old key", s, err)
	}

	sealMFA(t, dir, "user-earlier", "KRSXG5CTMVRXEZLU", earlier)
	out.Reset()
	if err := resealSecondFactors(context.Background(), cfg, j, from, to, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "resealed 1 second-factor secrets") || !strings.Contains(out.String(), "warning") ||
		!strings.Contains(out.String(), "user-earlier") {
		t.Fatalf("resealing printed:\n%s", out.String())
	}
	if s, err := openMFA(t, dir, "user-old", to); err != nil || s != "JBSWY3DPEHPK3PXP" {
		t.Fatalf("the secret under the new key = %q, %v", s, err)
	}
	if s, err := openMFA(t, dir, "user-earlier", earlier); err != nil || s != "KRSXG5CTMVRXEZLU" {
		t.Fatalf("the secret nothing could open = %q, %v; want it left as it was", s, err)
	}
}
