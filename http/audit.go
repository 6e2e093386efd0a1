package http

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/referral-ledger/ledger/audit"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/ledger"
)

// checkpointContentType is a signed note's media type.
const checkpointContentType = "text/plain; charset=utf-8"

// auditUnavailable answers when no checkpoint can be served yet.
func auditUnavailable(cause error) error {
	return withRetryAfter(&domain.Error{Code: domain.Unavailable,
		Message: "no signed checkpoint covers the ledger yet: the designated signing node makes one every audit.checkpoint_interval; retry later",
		Cause:   cause}, defaultRetryAfter)
}

// checkpoint serves the latest signed checkpoint (R-AUD-1); the signing
// node signs the first on demand.
func (s *Server) checkpoint(c *gin.Context) {
	if s.Audit == nil {
		writeError(c, auditUnavailable(errors.New("no audit checkpointer")))
		return
	}
	// A checkpoint signed for this request records its ids (R-LEDGER-3).
	_, signed, err := s.Audit.Covering(requestIDs(c), 0)
	if err != nil {
		if errors.Is(err, audit.ErrNoCheckpoint) {
			err = auditUnavailable(err)
		}
		writeError(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, checkpointContentType, signed)
}

type consistencyBody struct {
	From  int64    `json:"from"`
	To    int64    `json:"to"`
	Proof []string `json:"proof"`
}

// consistency proves the tree of size to extends the one of size from
// (R-AUD-2).
func (s *Server) consistency(c *gin.Context) {
	if !onlyParams(c, consistencyParams, "the consistency proof") {
		return
	}
	from, ok := sizeParam(c, "from", 1)
	if !ok {
		return
	}
	to, ok := sizeParam(c, "to", from)
	if !ok {
		return
	}
	if s.Audit == nil {
		writeError(c, auditUnavailable(errors.New("no audit checkpointer")))
		return
	}
	ctx := c.Request.Context()
	size, err := s.Audit.Log().TreeSize(ctx)
	if err != nil {
		writeError(c, err)
		return
	}
	if to > size {
		writeError(c, malformed("to: larger than the tree",
			domain.FieldError{Field: "to", Message: "must not be larger than the tree's size, " + strconv.FormatInt(size, 10)}))
		return
	}
	proof, err := audit.ProveConsistency(ctx, s.Audit.Log(), from, to)
	if err != nil {
		writeError(c, err)
		return
	}
	out := consistencyBody{From: from, To: to, Proof: make([]string, len(proof))}
	for i, h := range proof {
		out.Proof[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	c.JSON(http.StatusOK, out)
}

// consistencyParams and bundleParams are the parameters of GET
// /v1/ledger/proofs/consistency and GET /v1/referrals/{id}/bundle.
var (
	consistencyParams = []string{"from", "to"}
	bundleParams      = []string{"trusted_size", "decrypted"}
)

// onlyParams answers 422 when the query names a parameter the resource
// does not take, or one it takes more than once, and reports whether it
// did not: a mistyped ?trusted-size= would otherwise give a bundle
// without the consistency proof asked for, as if none had been.
func onlyParams(c *gin.Context, known []string, what string) bool {
	var v validator
	takes := what + " takes only " + strings.Join(known, ", ")
	unexpectedParams(c, &v, known, "is not a parameter of "+what+": "+takes, "has a parameter "+what+" does not take: "+takes)
	for _, name := range known {
		singleQuery(c, &v, name)
	}
	if err := v.err(); err != nil {
		writeError(c, err)
		return false
	}
	return true
}

// sizeParam reads a required tree size from the query, at least min,
// written as a plain decimal number (no sign, no leading zeros).
func sizeParam(c *gin.Context, name string, min int64) (int64, bool) {
	v, present := c.GetQuery(name)
	n, err := strconv.ParseInt(v, 10, 64)
	if !present || err != nil || n < min || strconv.FormatInt(n, 10) != v {
		msg := "must be a whole number from " + strconv.FormatInt(min, 10)
		if name == "to" {
			msg += " (from)"
		}
		writeError(c, malformed(name+": "+msg, domain.FieldError{Field: name, Message: msg}))
		return 0, false
	}
	return n, true
}

// bundle serves a referral's case bundle (R-AUD-3): its stored events,
// encrypted data as stored, each with an inclusion proof against a signed
// checkpoint. Reading it is a read of the case, with the same need-to-know,
// lock and erasure rules and the same access log as its history, recorded
// only when the bundle is given.
// ?trusted_size=N proves the checkpoint extends the reader's trusted one
// of N events; ?decrypted=true adds each event's payload as decrypted.
func (s *Server) bundle(c *gin.Context) {
	if !onlyParams(c, bundleParams, "the bundle") {
		return
	}
	var trusted int64
	if _, present := c.GetQuery("trusted_size"); present {
		var ok bool
		if trusted, ok = sizeParam(c, "trusted_size", 1); !ok {
			return
		}
	}
	decrypted := false
	if v, present := c.GetQuery("decrypted"); present {
		var err error
		if decrypted, err = strconv.ParseBool(v); err != nil || (v != "true" && v != "false") {
			writeError(c, malformed("decrypted: must be true or false", domain.FieldError{Field: "decrypted", Message: "must be true or false"}))
			return
		}
	}
	id, ctx, ok := s.command(c, "id", nil)
	if !ok {
		return
	}
	if s.Audit == nil {
		writeError(c, auditUnavailable(errors.New("no audit checkpointer")))
		return
	}
	if trusted > 0 {
		// The tree only grows: a trusted size larger than it is now is
		// refused before the case is read, so the refusal records no read
		// of it (R-LOCK-9).
		size, err := s.Audit.Log().TreeSize(c.Request.Context())
		if err != nil {
			writeError(c, err)
			return
		}
		if trusted > size {
			writeError(c, trustedTooLarge())
			return
		}
	}
	// The bundle is made once the reader is let in, and the read is
	// recorded only when it could be made: a node with no checkpoint
	// covering the case answers 503 having recorded no read (R-LOCK-9).
	var b audit.Bundle
	_, err := s.Service.ReferralHistoryAnswered(ctx, currentUser(c).Actor(), id, ledger.HistoryPoint{}, func(h ledger.History) error {
		var err error
		if b, err = s.caseBundle(ctx, h, trusted); err != nil || !decrypted {
			return err
		}
		// The reader passed the history's access check (need to know,
		// locks, erasure): they may read the client data it decrypts.
		for i, e := range h.All {
			if b.Events[i].Decrypted, err = ledger.DecryptedJSON(e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		writeError(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Header("Content-Disposition", `attachment; filename="bundle-`+id.String()+`.json"`)
	c.JSON(http.StatusOK, b)
}

// caseBundle proves every stored event of h against a checkpoint covering
// the last of them, signing one on demand on the signing node, recorded
// with the ids of ctx's request (R-LEDGER-3).
func (s *Server) caseBundle(ctx context.Context, h ledger.History, trusted int64) (audit.Bundle, error) {
	evs := make([]eventstore.RecordedEvent, len(h.All))
	for i, e := range h.All {
		evs[i] = e.Stored
	}
	b, _, err := s.Audit.BundleSince(ctx, evs, trusted)
	switch {
	case errors.Is(err, audit.ErrNoCheckpoint) || errors.Is(err, audit.ErrNoLeaf):
		return audit.Bundle{}, auditUnavailable(err)
	case errors.Is(err, audit.ErrTreeSize):
		return audit.Bundle{}, trustedTooLarge()
	}
	return b, err
}

// trustedTooLarge is the 400 of a bundle's trusted_size larger than the
// tree.
func trustedTooLarge() error {
	return malformed("trusted_size: larger than the tree",
		domain.FieldError{Field: "trusted_size", Message: "must not be larger than the tree's size: a trusted checkpoint of more events than the ledger holds means history was rolled back or forked"})
}
