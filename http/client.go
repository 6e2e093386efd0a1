package http

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/internal/headreq"
	"github.com/referral-ledger/ledger/ledger"
)

type erasureRequest struct {
	Reason string `json:"reason"`
}

type erasureDecisionRequest struct {
	CarryOut *bool  `json:"carry_out"`
	Reason   string `json:"reason"`
}

type erasureBody struct {
	ID       string               `json:"id"`
	ClientID string               `json:"client_id"`
	Status   domain.ErasureStatus `json:"status"`
}

// requestErasure records a client's request to be erased, made through an
// adviser of an organisation involved with the client (R-PRIV-2).
func (s *Server) requestErasure(c *gin.Context) {
	var req erasureRequest
	client, ctx, ok := s.command(c, "id", &req)
	if !ok {
		return
	}
	id, w, err := s.Service.RequestErasure(ctx, currentUser(c).Actor(), client, req.Reason, s.cases())
	if err != nil {
		writeError(c, err)
		return
	}
	if err := s.settle(c, w.Position); err != nil {
		writeError(c, err)
		return
	}
	c.Header("Location", "/v1/erasure-requests/"+id.String())
	c.JSON(http.StatusCreated, erasureBody{ID: id.String(), ClientID: client.String(), Status: domain.ErasureRequested})
}

// decideErasure carries out or refuses an erasure request (R-PRIV-2,
// R-PRIV-3); carrying it out destroys the client's key.
func (s *Server) decideErasure(c *gin.Context) {
	var req erasureDecisionRequest
	id, ctx, ok := s.command(c, "id", &req)
	if !ok {
		return
	}
	carryOut, reason := false, req.Reason
	if req.CarryOut == nil {
		// Refused after the check of who may decide (R-PRIV-2); the
		// stand-in is a refusal, which destroys nothing and needs a reason
		// only to be decided on: none once the client is erased, when a
		// reason would be refused itself.
		ctx = refuseField(c, ctx, "carry_out", "is required (true or false)")
		erased, err := s.erasedClientOf(id)
		if err != nil {
			writeError(c, err)
			return
		}
		if reason == "" && !erased {
			reason = "-"
		}
	} else {
		carryOut = *req.CarryOut
	}
	d, err := s.Service.DecideErasure(ctx, currentUser(c).Actor(), id, carryOut, reason, s.Clients, s.Keys)
	if err != nil {
		writeError(c, err)
		return
	}
	s.respondAfter(c, d.Written.Position, http.StatusOK, erasureBody{ID: d.RequestID.String(), ClientID: d.ClientID.String(), Status: d.Status})
}

// erasedClientOf reports whether the client of erasure request id is
// erased, as the clients index has it. Errors: the views' (ErrUnreadable).
func (s *Server) erasedClientOf(id uuid.UUID) (bool, error) {
	r, ok, err := s.Clients.ErasureRequest(id)
	return ok && r.ClientErased, err
}

type subjectAccessBody struct {
	ExportID   string             `json:"export_id"`
	ClientID   string             `json:"client_id"`
	ExportedAt string             `json:"exported_at"`
	Erased     bool               `json:"erased"`
	Referrals  []historyBody      `json:"referrals"`
	Events     []historyEventBody `json:"events"`
	AccessLog  []accessEntryBody  `json:"access_log"`
}

// subjectAccess exports everything held about a client, decrypted, for the
// coordinator (R-PRIV-6), their access log as recorded before the export
// included; the export itself is recorded. On a locked case
// the ?reason= query parameter is required (R-LOCK-9): it is logged with
// the reads, sealed, and never in the request log, which names routes only.
// A HEAD is checked alike but exports and records nothing.
func (s *Server) subjectAccess(c *gin.Context) {
	client, ctx, ok := s.command(c, "id", nil)
	if !ok {
		return
	}
	if headreq.Is(c.Request.Context()) {
		// A HEAD asks whether the export would be given, and receives
		// none: it is checked as the GET is, and records nothing (no
		// export, no read, so no notice).
		if err := s.Service.CheckSubjectAccess(ctx, currentUser(c).Actor(), client, c.Query("reason"), s.Clients); err != nil {
			writeError(c, err)
			return
		}
		c.Data(http.StatusOK, "application/json; charset=utf-8", nil)
		return
	}
	x, err := s.Service.SubjectAccess(ctx, currentUser(c).Actor(), client, c.Query("reason"), s.Clients)
	if err != nil {
		writeError(c, err)
		return
	}
	b, err := s.subjectAccessJSON(x)
	if err != nil {
		writeError(c, err)
		return
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", b)
}

// subjectAccessJSON is the export as a JSON document: what the API answers
// and, byte for byte, what the web pages' download holds (R-PRIV-6,
// R-UI-2), which is why the pages are given this encoder (web.Deps).
func (s *Server) subjectAccessJSON(x ledger.SubjectAccessExport) ([]byte, error) {
	out := subjectAccessBody{ExportID: x.ExportID.String(), ClientID: x.ClientID.String(),
		ExportedAt: x.ExportedAt.UTC().Format(time.RFC3339), Erased: x.Erased,
		Referrals: make([]historyBody, len(x.Referrals)), Events: make([]historyEventBody, len(x.Client)),
		AccessLog: accessEntriesJSON(x.AccessLog)}
	var err error
	for i, h := range x.Referrals {
		if out.Referrals[i], err = s.historyJSON(h, x.ExportedAt); err != nil {
			return nil, err
		}
	}
	for i, e := range x.Client {
		if out.Events[i], err = historyEventJSON(e); err != nil {
			return nil, err
		}
	}
	return json.Marshal(out)
}
