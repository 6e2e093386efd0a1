package config

import (
	"path/filepath"
	"strings"
	"testing"
)

// R-AUD-1: the checkpoint signing key may not live in the data directory.
func TestRAUD1SigningKeyOutsideDataDir(t *testing.T) {
	dir := t.TempDir()
	c := Default()
	c.DataDir = filepath.Join(dir, "data")
	c.Audit.SigningKeyFile = filepath.Join(dir, "data", "keys", "audit.key")
	c.Audit.Signer = true
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "audit.signing_key_file") {
		t.Fatalf("key inside data_dir: %v", err)
	}
	c.Audit.SigningKeyFile = filepath.Join(dir, "audit.key")
	c.Audit.CheckpointRecipients = []string{"Auditor <a@example.org>"}
	err = c.Validate()
	if err == nil || strings.Contains(err.Error(), "audit.signing_key_file") || !strings.Contains(err.Error(), "audit.checkpoint_recipients") {
		t.Fatalf("key outside data_dir, bad recipient: %v", err)
	}
}
