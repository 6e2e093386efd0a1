package web

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/referral-ledger/ledger/audit"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/ledger"
)

// Independent audit (R-AUD-3) in the interface: an auditor's history page
// shows the signed checkpoint the case's events were proved against, and
// offers the case bundle, as GET /v1/referrals/{id}/bundle gives it, for
// `ledger audit verify-bundle`.
func init() {
	addSection(section{
		Mount: func(p *Pages, a *gin.RouterGroup) {
			a.GET("/referrals/:id/bundle", p.bundleDownload)
		},
	})
}

// checkpointView is the checkpoint a case was proved against, as the
// history page shows it.
type checkpointView struct {
	Origin   string
	Size     int64
	RootHash string
	SignedAt time.Time
	Note     string
	Events   int    // the case's events proved included
	Problem  string // why there is no proof to show, else ""
}

// auditOf proves the case's events against a checkpoint for an auditor's
// history page; nil for other readers or a node with no checkpointer.
func (p *Pages) auditOf(ctx context.Context, u domain.User, h ledger.History) *checkpointView {
	if p.Audit == nil || !u.Actor().Has(domain.RoleAuditor) {
		return nil
	}
	b, cp, err := p.Audit.Bundle(ctx, storedEvents(h))
	if err == nil {
		_, err = audit.CheckEvents(b, cp)
	}
	if err != nil {
		msg := "This referral's events could not be proved against a signed checkpoint."
		if errors.Is(err, audit.ErrNoCheckpoint) || errors.Is(err, audit.ErrNoLeaf) {
			msg = "No signed checkpoint covers this referral yet. Try again after the next checkpoint."
		}
		return &checkpointView{Problem: msg}
	}
	return &checkpointView{Origin: cp.Origin, Size: cp.Size, RootHash: base64.StdEncoding.EncodeToString(cp.Hash[:]),
		SignedAt: cp.Time, Note: b.Checkpoint, Events: len(b.Events)}
}

func storedEvents(h ledger.History) []eventstore.RecordedEvent {
	evs := make([]eventstore.RecordedEvent, len(h.All))
	for i, e := range h.All {
		evs[i] = e.Stored
	}
	return evs
}

// bundleDownload gives the case bundle as a file: a read of the case,
// with the same access rules and access log as its history.
func (p *Pages) bundleDownload(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		p.fail(c, domain.Errorf(domain.NotFound, "no such referral"))
		return
	}
	u := currentUser(c)
	h, err := p.Service.ReferralHistory(p.request(c, nil), u.Actor(), id, ledger.HistoryPoint{})
	if err != nil {
		p.fail(c, err)
		return
	}
	if p.Audit == nil {
		p.fail(c, domain.Errorf(domain.Unavailable, "no checkpoints on this node"))
		return
	}
	b, _, err := p.Audit.Bundle(c.Request.Context(), storedEvents(h))
	if errors.Is(err, audit.ErrNoCheckpoint) || errors.Is(err, audit.ErrNoLeaf) {
		err = domain.Errorf(domain.Unavailable, "no signed checkpoint covers this referral yet")
	}
	if err != nil {
		p.fail(c, err)
		return
	}
	data, err := json.Marshal(b)
	if err != nil {
		p.fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Header("Content-Disposition", `attachment; filename="bundle-`+h.State.Reference().String()+`.json"`)
	c.Data(http.StatusOK, "application/json", data)
}
