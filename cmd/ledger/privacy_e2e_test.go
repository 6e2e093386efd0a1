package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/keystore"
)

// TestRetention: `ledger retention --dry-run` lists a client whose every
// referral closed longer ago than the retention period, and `ledger
// retention` shreds them through the erasure workflow (R-PRIV-5); the
// ledger still verifies and reads show the data erased.
func TestRetention(t *testing.T) {
	dir := t.TempDir()
	var id string
	t.Run("lifecycle", func(t *testing.T) { id = lifecycle(t, startNode(t, dir)) })
	t.Setenv("LEDGER_DATA_DIR", dir)
	t.Run("dry run with the default period lists the client as not yet due", func(t *testing.T) {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"retention", "--dry-run"}, &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "1 clients") || strings.Contains(out.String(), "due now") {
			t.Fatalf("dry run:\n%s", out.String())
		}
	})
	t.Setenv("LEDGER_PRIVACY_RETENTION", "1ms")
	t.Run("dry run lists the client as due", func(t *testing.T) {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"retention", "--dry-run"}, &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "due now") {
			t.Fatalf("dry run:\n%s", out.String())
		}
	})
	t.Run("retention shreds", func(t *testing.T) {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"retention"}, &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "shredded 1 clients") {
			t.Fatalf("retention: %s", out.String())
		}
	})
	t.Setenv("LEDGER_PRIVACY_RETENTION", "")
	t.Run("reads show the data erased; the ledger verifies", func(t *testing.T) {
		n := startNode(t, dir)
		admin := n.signIn(t, "admin", adminPassword)
		r := n.must(t, 200, "GET", "/v1/referrals/"+id, admin, nil)
		client := r["client"].(map[string]any)
		if r["erased"] != true || client["name"] != nil || r["reason"] != nil || r["comment"] != nil || r["outcome"] != "positive" {
			t.Fatalf("after retention: %v", r)
		}
		h := n.must(t, 200, "GET", "/v1/referrals/"+id+"/history", admin, nil)
		if h["verified"] != true {
			t.Fatalf("history no longer verifies: %v", h)
		}
	})
	if err := run(context.Background(), []string{"verify"}, io.Discard, io.Discard); err != nil {
		t.Fatalf("verify after retention: %v", err)
	}
}

// TestRotateMasterKey: rotate-master-key rewraps every client key under a
// new master key; the node reads client data under the new key, and the
// old key no longer opens the key store.
func TestRotateMasterKey(t *testing.T) {
	dir := t.TempDir()
	var id string
	t.Run("lifecycle", func(t *testing.T) { id = lifecycle(t, startNode(t, dir)) })
	old, err := keystore.LoadMasterKeyFile(filepath.Join(dir, keystore.MasterKeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	oldText, err := os.ReadFile(filepath.Join(dir, keystore.MasterKeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("LEDGER_DATA_DIR", dir)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"rotate-master-key"}, &out, io.Discard); err != nil {
		t.Fatalf("rotate: %v\n%s", err, out.String())
	}
	rotated, err := keystore.LoadMasterKeyFile(filepath.Join(dir, keystore.MasterKeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	if rotated.ID == old.ID || !strings.Contains(out.String(), "rewrapped 1 client keys") {
		t.Fatalf("rotation: %s (old %s, now %s)", out.String(), old.ID, rotated.ID)
	}
	if _, err := os.Stat(filepath.Join(dir, keystore.MasterKeyFileName+".new")); !os.IsNotExist(err) {
		t.Fatalf("master.key.new left behind: %v", err)
	}
	t.Run("the node reads client data under the new key", func(t *testing.T) {
		n := startNode(t, dir)
		admin := n.signIn(t, "admin", adminPassword)
		r := n.must(t, 200, "GET", "/v1/referrals/"+id, admin, nil)
		if r["client"].(map[string]any)["name"] != "Client Person" {
			t.Fatalf("after rotation: %v", r)
		}
	})
	t.Run("the old key no longer opens the store", func(t *testing.T) {
		t.Setenv("LEDGER_MASTER_KEY", strings.TrimSpace(string(oldText)))
		err := run(context.Background(), []string{"history", id}, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), old.ID) {
			t.Fatalf("history under the old key: %v", err)
		}
	})
}
