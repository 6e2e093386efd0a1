package node

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/audit"
	"github.com/referral-ledger/ledger/config"
)

// TestSigningKeyOpenToOthersRefused_AUD1: the checkpoint signing key is
// refused, as the master key file is, when group or others may read it
// (copied with the default umask, say): anyone who can read it can sign a
// checkpoint of a rewritten history. It was read whatever its mode.
func TestSigningKeyOpenToOthersRefused_AUD1(t *testing.T) {
	skey, _, err := audit.GenerateKey("test.example/ledger")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "signing.key")
	if err := os.WriteFile(file, []byte(skey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var cfg config.Config
	cfg.DataDir = t.TempDir()
	cfg.Audit.Signer, cfg.Audit.SigningKeyFile = true, file
	if s, err := loadSigner(cfg); err != nil || s == nil {
		t.Fatalf("a 0600 key: %v", err)
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660} {
		if err := os.Chmod(file, mode); err != nil {
			t.Fatal(err)
		}
		_, err := loadSigner(cfg)
		if err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("a key of mode %04o: %v, want it refused naming the fix", mode, err)
		}
	}
	if err := os.Chmod(file, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.Audit.SigningKeyFile = t.TempDir()
	if _, err := loadSigner(cfg); err == nil {
		t.Error("a directory was taken as the signing key file")
	}
}
