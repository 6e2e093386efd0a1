package web

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/referral-ledger/ledger/audit"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/ledger"
)

// Independent audit (R-AUD-1..3) in the interface: an auditor's history
// page shows the signed checkpoint the case's events were proved against,
// and offers the case bundle, as GET /v1/referrals/{id}/bundle gives it,
// for `ledger audit verify-bundle`; the ledger checkpoint page shows the
// latest signed checkpoint to keep, as GET /v1/ledger/checkpoint gives it,
// and the consistency proof from an earlier size, as GET
// /v1/ledger/proofs/consistency does. Like the API, the checkpoint is for
// every signed-in user; the navigation offers it to auditors.
func init() {
	partials = append(partials, "templates/checkpoint.html")
	addSection(section{
		Nav: []navEntry{
			{Key: "ledger-checkpoint", Label: "Ledger checkpoint", Path: "/ledger-checkpoint", Order: 80, For: anyRole(domain.RoleAuditor)},
		},
		Mount: func(p *Pages, a *gin.RouterGroup) {
			a.GET("/referrals/:id/bundle", p.bundleDownload)
			a.GET("/ledger-checkpoint", p.ledgerCheckpointPage)
			a.GET("/ledger-checkpoint.txt", p.ledgerCheckpointDownload)
		},
		Labels: map[string]string{"from": "the size"},
	})
}

// ledgerCheckpointView is the latest signed checkpoint, and the
// consistency proof asked for from an earlier size.
type ledgerCheckpointView struct {
	layout
	checkpointView
	From  string   // the size typed, kept on an error
	Proof []string // base64 hashes from From to Size; nil when none asked
}

// latestCheckpoint is the checkpoint GET /v1/ledger/checkpoint answers;
// one signed for it records the ids of ctx's request (R-LEDGER-3).
func (p *Pages) latestCheckpoint(ctx context.Context) (audit.Checkpoint, []byte, error) {
	if p.Audit == nil {
		return audit.Checkpoint{}, nil, domain.Errorf(domain.Unavailable, "no checkpoints on this node")
	}
	cp, signed, err := p.Audit.Covering(ctx, 0)
	if errors.Is(err, audit.ErrNoCheckpoint) {
		err = domain.Errorf(domain.Unavailable, "no signed checkpoint yet")
	}
	return cp, signed, err
}

func (p *Pages) ledgerCheckpointPage(c *gin.Context) {
	ctx := c.Request.Context()
	cp, signed, err := p.latestCheckpoint(p.request(c, nil))
	if domain.ErrorCode(err) == domain.Unavailable {
		p.renderError(c, http.StatusServiceUnavailable, "No signed checkpoint yet",
			"The network's signing node signs a checkpoint of the ledger from time to time, and none is available yet. Try again later.")
		return
	}
	if err != nil {
		p.fail(c, err)
		return
	}
	v := ledgerCheckpointView{layout: p.base(c, "Ledger checkpoint", "ledger-checkpoint"),
		checkpointView: newCheckpointView(cp, string(signed))}
	raw, asked := c.GetQuery("from")
	if !asked {
		p.render(c, http.StatusOK, "ledger-checkpoint", v)
		return
	}
	v.From = strings.TrimSpace(raw)
	from, perr := strconv.ParseInt(v.From, 10, 64)
	switch {
	case perr != nil || from < 1:
		v.Errors = []fieldError{{Field: "from", Message: "Enter the size of your checkpoint as a whole number, for example 1200"}}
	case from > cp.Size:
		v.Errors = []fieldError{{Field: "from", Message: "Enter a size no larger than this checkpoint's, " + strconv.FormatInt(cp.Size, 10)}}
	}
	if len(v.Errors) > 0 {
		v.Title = "Error: " + v.Title
		p.render(c, http.StatusUnprocessableEntity, "ledger-checkpoint", v)
		return
	}
	proof, err := audit.ProveConsistency(ctx, p.Audit.Log(), from, cp.Size)
	if err != nil {
		p.fail(c, err)
		return
	}
	v.Proof = make([]string, len(proof))
	for i, h := range proof {
		v.Proof[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	p.render(c, http.StatusOK, "ledger-checkpoint", v)
}

// ledgerCheckpointDownload gives the signed note as a file to keep, the
// bytes GET /v1/ledger/checkpoint answers.
func (p *Pages) ledgerCheckpointDownload(c *gin.Context) {
	cp, signed, err := p.latestCheckpoint(p.request(c, nil))
	if err != nil {
		p.fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Header("Content-Disposition", `attachment; filename="checkpoint-`+strconv.FormatInt(cp.Size, 10)+`.txt"`)
	c.Data(http.StatusOK, "text/plain; charset=utf-8", signed)
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
	// TrustedSize is the size of the checkpoint the auditor trusts, as
	// typed, for a bundle with the proof that extends it.
	TrustedSize string
}

// trustedSize reads the optional size of the checkpoint an auditor trusts,
// as GET /v1/referrals/{id}/bundle?trusted_size= takes it: 0 when not
// given, else a size from 1 to the ledger's. msg says what is wrong.
func (p *Pages) trustedSize(ctx context.Context, raw string) (size int64, msg string) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return 0, ""
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n < 1 {
		return 0, "Enter the size of the checkpoint you trust as a whole number, for example 1200"
	}
	if p.Audit != nil {
		if tree, err := p.Audit.Log().TreeSize(ctx); err == nil && n > tree {
			return 0, "Enter a size no larger than the ledger's, " + strconv.FormatInt(tree, 10)
		}
	}
	return n, ""
}

// auditOf proves the case's events against a checkpoint for an auditor's
// history page; nil for other readers or a node with no checkpointer. A
// checkpoint signed for it records the ids of ctx's request (R-LEDGER-3).
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
	v := newCheckpointView(cp, b.Checkpoint)
	v.Events = len(b.Events)
	return &v
}

// newCheckpointView shows a signed checkpoint and its note (the
// "checkpoint-summary" template draws it).
func newCheckpointView(cp audit.Checkpoint, note string) checkpointView {
	return checkpointView{Origin: cp.Origin, Size: cp.Size, RootHash: base64.StdEncoding.EncodeToString(cp.Hash[:]),
		SignedAt: cp.Time, Note: note}
}

func storedEvents(h ledger.History) []eventstore.RecordedEvent {
	evs := make([]eventstore.RecordedEvent, len(h.All))
	for i, e := range h.All {
		evs[i] = e.Stored
	}
	return evs
}

// bundleDownload gives the case bundle as a file: a read of the case,
// with the same access rules and access log as its history, recorded only
// when the bundle is given.
func (p *Pages) bundleDownload(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		p.fail(c, domain.Errorf(domain.NotFound, "no such referral"))
		return
	}
	// What cannot be answered is refused before the case is read, and the
	// read is recorded only once the bundle is made (R-LOCK-9).
	if p.Audit == nil {
		p.fail(c, domain.Errorf(domain.Unavailable, "no checkpoints on this node"))
		return
	}
	trusted, msg := p.trustedSize(c.Request.Context(), c.Query("trusted-size"))
	if msg != "" { // back to the form, which says what is wrong
		c.Redirect(http.StatusSeeOther, "/referrals/"+id.String()+"/history?"+url.Values{"trusted-size": {c.Query("trusted-size")}}.Encode()+"#checkpoint")
		return
	}
	var data []byte
	// A checkpoint signed for the bundle records this request's ids
	// (R-LEDGER-3), as the read of the case does.
	ctx := p.request(c, nil)
	h, err := p.Service.ReferralHistoryAnswered(ctx, currentUser(c).Actor(), id, ledger.HistoryPoint{}, func(h ledger.History) error {
		b, _, err := p.Audit.BundleSince(ctx, storedEvents(h), trusted)
		switch {
		case errors.Is(err, audit.ErrNoCheckpoint) || errors.Is(err, audit.ErrNoLeaf):
			return domain.Errorf(domain.Unavailable, "no signed checkpoint covers this referral yet")
		case errors.Is(err, audit.ErrTreeSize):
			return domain.Errorf(domain.Invalid, "the size of the checkpoint you trust is larger than the ledger")
		case err != nil:
			return err
		}
		data, err = json.Marshal(b)
		return err
	})
	if err != nil {
		p.fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Header("Content-Disposition", `attachment; filename="bundle-`+h.State.Reference().String()+`.json"`)
	c.Data(http.StatusOK, "application/json", data)
}
