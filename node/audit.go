package node

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/audit"
	"github.com/referral-ledger/ledger/config"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/metrics"
	"github.com/referral-ledger/ledger/notify"
)

// AuditTreeFile is the KurrentDB node's local copy of the audit tree, in
// the data directory (two files with this prefix).
const AuditTreeFile = "audit-tree"

// KindCheckpoint is the notice sending auditors a new signed checkpoint.
const KindCheckpoint notify.Kind = "audit_checkpoint"

// auditParts is what a node needs for R-AUD-1..3.
type auditParts struct {
	checkpointer *audit.Checkpointer
	tree         *audit.File // KurrentDB only: fed by FollowAuditTree
	store        eventstore.Store
	interval     time.Duration
	log          zerolog.Logger
}

// openAudit wires the audit tree and checkpoints: the embedded store keeps
// its tree itself; a KurrentDB node keeps one in a local file fed from the
// subscription.
func openAudit(cfg config.Config, store eventstore.Store, svc *ledger.Service, now func() time.Time, log zerolog.Logger) (*auditParts, error) {
	p := &auditParts{store: store, interval: cfg.Audit.CheckpointInterval, log: log.With().Str("component", "audit").Logger()}
	var tree audit.Log
	if s, ok := store.(interface{ AuditLog() audit.Log }); ok {
		tree = s.AuditLog()
	} else {
		f, err := audit.OpenFile(filepath.Join(cfg.DataDir, AuditTreeFile))
		if err != nil {
			return nil, err
		}
		p.tree, tree = f, f
	}
	signer, err := loadSigner(cfg)
	if err != nil {
		p.close()
		return nil, err
	}
	if !cfg.Audit.Signer && (cfg.Audit.SigningKeyFile != "" || len(cfg.Audit.CheckpointRecipients) > 0) {
		// Read on the designated signer only: a key or recipients set
		// without it would otherwise sign and send nothing, unsaid.
		p.log.Warn().Msg("audit.signing_key_file or audit.checkpoint_recipients is set but audit.signer is not: " +
			"this node signs no checkpoints and emails none; set audit.signer: true on the one node that signs")
	}
	origin := cfg.Audit.Origin
	if p.checkpointer, err = audit.NewCheckpointer(tree, origin, signer, svc.Checkpoints(), now); err != nil {
		p.close()
		return nil, fmt.Errorf("audit.origin: %w", err)
	}
	var email func(context.Context, audit.Checkpoint, []byte)
	if signer != nil && len(cfg.Audit.CheckpointRecipients) > 0 {
		sender, err := mailSender(cfg, p.log)
		if err != nil {
			p.close()
			return nil, err
		}
		email = emailCheckpoint(cfg, sender, p.log)
	}
	p.checkpointer.Signed = func(ctx context.Context, cp audit.Checkpoint, signed []byte) {
		metrics.CheckpointSigned(cp.Time)
		if email != nil {
			email(ctx, cp, signed)
		}
	}
	return p, nil
}

// loadSigner reads the signing key on the designated node; nil elsewhere.
func loadSigner(cfg config.Config) (audit.Signer, error) {
	if !cfg.Audit.Signer || cfg.Audit.SigningKeyFile == "" {
		return nil, nil
	}
	if cfg.DataDir != "" && config.Inside(cfg.Audit.SigningKeyFile, cfg.DataDir) {
		return nil, fmt.Errorf("audit.signing_key_file %s is inside data_dir: keep the key that vouches for the data away from it", cfg.Audit.SigningKeyFile)
	}
	data, err := readSigningKey(cfg.Audit.SigningKeyFile)
	if err != nil {
		return nil, err
	}
	s, err := audit.NewSigner(string(data))
	if err != nil {
		return nil, fmt.Errorf("audit.signing_key_file %s: %w (make one with ledger audit keygen)", cfg.Audit.SigningKeyFile, err)
	}
	return s, nil
}

// readSigningKey reads the signing key file. Like the master key file, it
// must be a regular file that group and others cannot read or write:
// whoever can read it can sign a checkpoint of any history.
func readSigningKey(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("audit.signing_key_file: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("audit.signing_key_file: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("audit.signing_key_file %s is not a regular file", path)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("audit.signing_key_file %s has mode %04o; group and others must have no access (chmod 600 %s)", path, perm, path)
	}
	// A key is one short line; the limit stops a wrong path from being
	// read whole.
	data, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return nil, fmt.Errorf("audit.signing_key_file: %w", err)
	}
	return data, nil
}

// mailSender sends through smtp.host, or writes to log when none is set:
// the one way the node sends email, for notices and checkpoints alike.
func mailSender(cfg config.Config, log zerolog.Logger) (notify.Sender, error) {
	if cfg.SMTP.Host == "" {
		return notify.LogSender{Log: log}, nil
	}
	return notify.NewSMTPSender(notify.SMTPConfig{Host: cfg.SMTP.Host, Port: cfg.SMTP.Port,
		Username: cfg.SMTP.Username, Password: cfg.SMTP.Password, TLS: notify.TLSMode(cfg.SMTP.TLS), From: cfg.SMTP.From})
}

// emailCheckpoint sends each new checkpoint to the named auditors, so a
// copy is held outside the operator's reach from the moment it is signed.
func emailCheckpoint(cfg config.Config, sender notify.Sender, log zerolog.Logger) func(context.Context, audit.Checkpoint, []byte) {
	link := strings.TrimSuffix(cfg.HTTP.PublicURL, "/") + "/v1/ledger/checkpoint"
	return func(ctx context.Context, cp audit.Checkpoint, signed []byte) {
		for _, to := range cfg.Audit.CheckpointRecipients {
			// The id becomes the Message-ID's left part: no '@' of its own.
			m := notify.Message{ID: fmt.Sprintf("checkpoint-%d-%s", cp.Size, cp.Time.Format("20060102T150405Z")),
				Kind: KindCheckpoint, Reference: fmt.Sprintf("checkpoint %d", cp.Size), To: to,
				Subject: fmt.Sprintf("Ledger checkpoint: %d events", cp.Size),
				Body: "A new signed checkpoint of the referral ledger. Keep it: `ledger audit check` proves later ones extend it.\n\n" +
					string(signed), Link: link}
			if err := sender.Send(ctx, m); err != nil {
				log.Warn().Err(err).Int64("tree_size", cp.Size).Msg("could not email the checkpoint to an auditor")
			}
		}
	}
}

// FollowsAuditTree reports whether the node keeps the audit tree in a
// file of its own, fed from the event store's subscription (KurrentDB):
// FollowAuditTree must then run.
func (n *Node) FollowsAuditTree() bool { return n.audit != nil && n.audit.tree != nil }

// FollowAuditTree keeps a KurrentDB node's tree up to date from the
// subscription until ctx ends, calling healthy each time it has caught up.
// It ends with an error when the subscription or the tree's files fail: a
// supervisor (worker.Health) runs it again, and it resumes after the last
// event the tree holds.
func (n *Node) FollowAuditTree(ctx context.Context, healthy func()) error {
	if !n.FollowsAuditTree() {
		<-ctx.Done()
		return nil
	}
	err := n.audit.tree.FollowReporting(ctx, n.audit.store, healthy)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// SignCheckpoints signs, on the designated node, a checkpoint now and
// every audit.checkpoint_interval until ctx ends; a failure is logged and
// tried again at the next interval.
func (n *Node) SignCheckpoints(ctx context.Context) {
	p := n.audit
	if p == nil {
		return
	}
	p.checkpointer.Run(ctx, p.interval, func(err error) {
		p.log.Error().Err(err).Msg("could not sign a checkpoint; trying again at the next interval")
	})
}

func (p *auditParts) close() error {
	if p == nil || p.tree == nil {
		return nil
	}
	return p.tree.Close()
}
