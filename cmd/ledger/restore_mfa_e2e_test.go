package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/auth"
)

// TestRestoreKeepsSecondFactors_OPS3: a restore brings back no session
// (one may have ended since the backup), but it brings back the second
// factors and recovery codes of the backup's session store: the restored
// event log says who set one up, and without its secret that user, the
// coordinator here, would be asked for a code no app can give (R-OPS-3).
func TestRestoreKeepsSecondFactors_OPS3(t *testing.T) {
	dir, restored, backupDir := t.TempDir(), t.TempDir(), filepath.Join(t.TempDir(), "backup")
	var oldSession string
	var recovery []string
	t.Run("a second factor set up, then backed up", func(t *testing.T) {
		n := startNode(t, dir)
		oldSession = n.signIn(t, "admin", adminPassword)
		secret, _ := n.must(t, 201, "POST", "/v1/users/me/mfa/totp", oldSession, map[string]any{})["secret"].(string)
		code, err := auth.TOTPCode(secret, auth.TOTPStep(time.Now()))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range n.must(t, 200, "POST", "/v1/users/me/mfa/totp/confirmation", oldSession, map[string]string{"code": code})["recovery_codes"].([]any) {
			recovery = append(recovery, c.(string))
		}
		var out bytes.Buffer
		if err := run(context.Background(), []string{"backup", "--to", backupDir}, &out, io.Discard); err != nil {
			t.Fatalf("backup: %v\n%s", err, out.String())
		}
	})
	if len(recovery) == 0 {
		t.Fatal("no recovery codes")
	}

	t.Setenv("LEDGER_DATA_DIR", restored)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"restore", "--from", backupDir}, &out, io.Discard); err != nil {
		t.Fatalf("restore: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "sessions cleared") || !strings.Contains(out.String(), "second factors restored") {
		t.Fatalf("restore did not say what became of the sessions and second factors:\n%s", out.String())
	}
	n := startNode(t, restored)
	if status, _ := n.call(t, "GET", "/v1/directory", oldSession, nil); status != 401 {
		t.Errorf("a session of the backup after the restore: %d, want 401", status)
	}
	first := n.must(t, 200, "POST", "/v1/sessions", "", map[string]string{"username": "admin", "password": adminPassword})
	challenge, _ := first["challenge"].(string)
	if challenge == "" || first["token"] != nil {
		t.Fatalf("the coordinator's password alone after the restore: %v, want a second-factor challenge", first)
	}
	session := n.must(t, 201, "POST", "/v1/sessions/second-factor", "", map[string]string{"challenge": challenge, "code": recovery[0]})
	token, _ := session["token"].(string)
	if token == "" {
		t.Fatalf("a recovery code of the backup did not sign in: %v", session)
	}
	n.must(t, 200, "GET", "/v1/directory", token, nil)
}
