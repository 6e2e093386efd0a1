package node

import (
	"context"
	"errors"
	"fmt"
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
	tree         *audit.File // KurrentDB only: fed by RunAudit
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
	data, err := os.ReadFile(cfg.Audit.SigningKeyFile)
	if err != nil {
		return nil, fmt.Errorf("audit.signing_key_file: %w", err)
	}
	s, err := audit.NewSigner(string(data))
	if err != nil {
		return nil, fmt.Errorf("audit.signing_key_file %s: %w (make one with ledger audit keygen)", cfg.Audit.SigningKeyFile, err)
	}
	return s, nil
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

// RunAudit keeps a KurrentDB node's tree up to date from the subscription
// and, on the designated node, signs a checkpoint now and every
// audit.checkpoint_interval, until ctx ends.
func (n *Node) RunAudit(ctx context.Context) error {
	p := n.audit
	if p == nil {
		return nil
	}
	follow := make(chan error, 1)
	if p.tree != nil {
		go func() { follow <- p.tree.Follow(ctx, p.store) }()
	} else {
		follow <- nil
	}
	p.checkpointer.Run(ctx, p.interval, func(err error) {
		p.log.Error().Err(err).Msg("could not sign a checkpoint; trying again at the next interval")
	})
	err := <-follow
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func (p *auditParts) close() error {
	if p == nil || p.tree == nil {
		return nil
	}
	return p.tree.Close()
}
