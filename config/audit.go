package config

import (
	"net/mail"
	"path/filepath"
	"strings"
	"time"
)

// Audit configures signed checkpoints of the ledger's Merkle tree
// (R-AUD-1): the key they are signed with, how often, and who is sent each.
type Audit struct {
	SigningKeyFile       string        `yaml:"signing_key_file" help:"File holding the checkpoint signing key made by ledger audit keygen (mode 0600), read when audit.signer is true. Must not be inside data_dir. Empty, or audit.signer false: this node signs no checkpoints (a start says so if this is set) and serves the latest recorded in the ledger."`
	Origin               string        `yaml:"origin" help:"The network's name in every checkpoint (its first line), e.g. referrals.example.org/ledger. Must match the signing key's name. Empty: the key's name."`
	CheckpointInterval   time.Duration `yaml:"checkpoint_interval" help:"How often the signing node signs a checkpoint when the ledger has grown."`
	Signer               bool          `yaml:"signer" help:"This node is the network's designated checkpoint signer. With several API nodes, set it (and signing_key_file) on exactly one."`
	CheckpointRecipients []string      `yaml:"checkpoint_recipients" help:"Email addresses of auditors sent each new signed checkpoint (comma-separated in the environment). Empty: none."`
}

// auditProblems checks the audit settings.
func (ps *problems) audit(c Config) {
	ps.positiveDuration("audit.checkpoint_interval", c.Audit.CheckpointInterval)
	if c.Audit.Signer && c.Audit.SigningKeyFile == "" {
		ps.add("audit.signer", c.Audit.Signer, "needs audit.signing_key_file")
	}
	if f := c.Audit.SigningKeyFile; f != "" && c.DataDir != "" && Inside(f, c.DataDir) {
		ps.add("audit.signing_key_file", f, "must not be inside data_dir: whoever can write the data must not hold the key that vouches for it")
	}
	if o := c.Audit.Origin; o != "" && (len(o) > 200 || strings.ContainsAny(o, " +\t\r\n")) {
		ps.add("audit.origin", o, "must be 1-200 printable characters without spaces or '+'")
	}
	for _, r := range c.Audit.CheckpointRecipients {
		if a, err := mail.ParseAddress(r); err != nil || a.Address != r {
			ps.add("audit.checkpoint_recipients", r, "must be a plain email address, like auditor@example.org")
		}
	}
}

// Inside reports whether path is dir or lies inside it, after making both
// absolute and resolving symbolic links where they exist.
func Inside(path, dir string) bool {
	p, d := resolve(path), resolve(dir)
	rel, err := filepath.Rel(d, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func resolve(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return filepath.Clean(p)
	}
	// Resolve the longest existing prefix, so a key file not yet created
	// inside a symlinked data directory is still caught.
	rest := ""
	for cur := abs; ; {
		if r, err := filepath.EvalSymlinks(cur); err == nil {
			return filepath.Join(r, rest)
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return abs
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
}
