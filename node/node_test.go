package node

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/config"
	"github.com/referral-ledger/ledger/keystore"
)

// TestBuildWiresANodeOnTheDataDirectory builds a node from the default
// configuration on a fresh directory: its stores are the files of the
// data directory, the master key is kept there when none is configured
// (as cmd/ledger does), the injected clock is the service's, and a second
// build on the same directory after Close opens the same key store.
func TestBuildWiresANodeOnTheDataDirectory(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Notify.Enabled = false
	at := time.Date(2026, time.December, 14, 9, 0, 0, 0, time.UTC)
	n, err := Build(cfg, zerolog.Nop(), WithClock(func() time.Time { return at }))
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if got := n.Service.Now(); !got.Equal(at) {
		t.Errorf("service clock %v, want the injected %v", got, at)
	}
	if n.MasterKey.IsZero() || n.Notifier != nil {
		t.Errorf("master key %v, notifier %v: want a key and no notifier", n.MasterKey, n.Notifier)
	}
	for _, name := range []string{EventsFile, SessionsFile, IdempotencyFile} {
		if _, err := os.Stat(filepath.Join(cfg.DataDir, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, _, err := n.Accounts.Bootstrap(context.Background(), "Quartz#Harbour-71", ""); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	kek := n.MasterKey
	if err := n.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	again, err := Build(cfg, zerolog.Nop(), WithMasterKey(kek))
	if err != nil {
		t.Fatalf("Build again: %v", err)
	}
	defer again.Close()
	if again.MasterKey.ID != kek.ID {
		t.Errorf("master key %s, want %s", again.MasterKey.ID, kek.ID)
	}
}

// TestBuildFailsWholeAndClosesWhatItOpened: a configuration that cannot
// be wired (an unknown region) fails the build, and the stores opened
// before it are closed, so the next build on the directory works.
func TestBuildFailsWholeAndClosesWhatItOpened(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Notify.Enabled = false
	bad := cfg
	bad.Network.Region = "atlantis"
	if n, err := Build(bad, zerolog.Nop(), WithMasterKey(keystore.GenerateMasterKey())); err == nil {
		n.Close()
		t.Fatal("Build with an unknown region succeeded")
	}
	n, err := Build(cfg, zerolog.Nop(), WithMasterKey(keystore.GenerateMasterKey()))
	if err != nil {
		t.Fatalf("Build after a failed one: %v", err)
	}
	if err := n.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// TestSigningKeyWithoutSignerIsSaid_AUD1: the checkpoint signing key and
// recipients are used by the designated signer only (audit.signer). A node
// given a key file or recipients without it signs nothing, and says so at
// start rather than leave the operator believing checkpoints are signed;
// a node given neither says nothing of it (R-AUD-1, R-OPS-4).
func TestSigningKeyWithoutSignerIsSaid_AUD1(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "signing.key")
	for name, c := range map[string]struct {
		set  func(*config.Config)
		warn bool
	}{
		"KeyWithoutSigner":        {func(c *config.Config) { c.Audit.SigningKeyFile = keyFile }, true},
		"RecipientsWithoutSigner": {func(c *config.Config) { c.Audit.CheckpointRecipients = []string{"auditor@example.org"} }, true},
		"Neither":                 {func(*config.Config) {}, false},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := config.Default()
			cfg.DataDir = t.TempDir()
			cfg.Notify.Enabled = false
			c.set(&cfg)
			var log bytes.Buffer
			n, err := Build(cfg, zerolog.New(&log), WithMasterKey(keystore.GenerateMasterKey()))
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			defer n.Close()
			if said := strings.Contains(log.String(), "audit.signer is not"); said != c.warn {
				t.Errorf("warned %v, want %v; log:\n%s", said, c.warn, log.String())
			}
		})
	}
}
