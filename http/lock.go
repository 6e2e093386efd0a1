package http

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/projections"
)

// caseIndex is what the lock commands and new referrals consult before a
// client's stream: the clients' and the locks' read models.
type caseIndex struct {
	*projections.Clients
	*projections.Locks
}

// cases returns the read models the lock rules are checked against first.
func (s *Server) cases() caseIndex { return caseIndex{s.Clients, s.Locks} }

type partyBody struct {
	UserID         string `json:"user_id,omitempty"`
	Team           string `json:"team,omitempty"`
	OrganisationID string `json:"organisation_id,omitempty"` // the team's; the lock's own when absent (R-LOCK-11)
	Role           string `json:"role,omitempty"`
}

type lockRequestBody struct {
	ResponsibleUserID string      `json:"responsible_user_id"`
	Reason            string      `json:"reason"`
	Allow             []partyBody `json:"allow"`
	Deny              []partyBody `json:"deny"`
	HideNotification  bool        `json:"hide_notification"`
	SeriousCaseReview bool        `json:"serious_case_review"`
}

func partiesFrom(v *validator, field string, in []partyBody) []domain.Party {
	out := make([]domain.Party, len(in))
	for i, p := range in {
		out[i] = domain.Party{Team: p.Team, Role: domain.Role(p.Role)}
		if p.UserID != "" {
			out[i].UserID = bodyUUID(v, field+"["+strconv.Itoa(i)+"].user_id", p.UserID, false)
		}
		if p.OrganisationID != "" {
			out[i].OrganisationID = bodyUUID(v, field+"["+strconv.Itoa(i)+"].organisation_id", p.OrganisationID, false)
		}
	}
	return out
}

// requestLock records a team manager's lock request (R-LOCK-1).
func (s *Server) requestLock(c *gin.Context) {
	var req lockRequestBody
	client, ctx, ok := s.command(c, "id", &req)
	if !ok {
		return
	}
	// An id that is no UUID is refused with every other field at fault,
	// once the lock's gate lets the caller that far (R-LOCK-12), and a
	// missing responsible person is the domain's to report.
	var v validator
	responsible := bodyUUID(&v, "responsible_user_id", req.ResponsibleUserID, false)
	allow, deny := partiesFrom(&v, "allow", req.Allow), partiesFrom(&v, "deny", req.Deny)
	rec, w, err := s.Service.RequestLock(ctx, currentUser(c).Actor(), domain.RequestLock{ClientID: client,
		ResponsibleUserID: responsible, Reason: req.Reason, Allow: allow, Deny: deny,
		HideNotification: req.HideNotification, SeriousCaseReview: req.SeriousCaseReview, Refused: v.fields}, s.cases())
	if err != nil {
		writeError(c, err)
		return
	}
	c.Header("Location", "/v1/lock-requests/"+rec.Lock.RequestID.String())
	s.respondAfter(c, w.Position, http.StatusCreated, gin.H{"id": rec.Lock.RequestID, "client_id": client, "status": "requested"})
}

type lockDecisionBody struct {
	Approve *bool  `json:"approve"`
	Reason  string `json:"reason"`
}

// decideLock is a service manager's decision on a lock or unlock request.
func (s *Server) decideLock(c *gin.Context) {
	var req lockDecisionBody
	request, ctx, ok := s.command(c, "id", &req)
	if !ok {
		return
	}
	approve, reason := false, req.Reason
	if req.Approve == nil {
		// Refused after the checks of who may decide (R-LOCK-10), so that
		// whoever may not gets the 403 or 404 of any body (R-LOCK-12); the
		// stand-in refusal needs a reason only to be decided on.
		ctx = refuseField(c, ctx, "approve", "is required (true or false)")
		if reason == "" {
			reason = "-"
		}
	} else {
		approve = *req.Approve
	}
	rec, unlock, w, err := s.Service.DecideLockRequest(ctx, currentUser(c).Actor(), request, approve, reason, s.Locks, s.cases())
	if err != nil {
		writeError(c, err)
		return
	}
	kind, status := "lock", "refused"
	switch {
	case unlock && approve:
		kind, status = "unlock", "unlocked"
	case unlock:
		kind, status = "unlock", "refused"
	case approve:
		status = "locked"
	}
	out := gin.H{"id": request, "client_id": rec.ID, "kind": kind, "status": status}
	if rec.Lock.Status == domain.LockLocked {
		out["review_due"] = rec.Lock.ReviewDue().UTC().Format(time.RFC3339)
	}
	s.respondAfter(c, w.Position, http.StatusOK, out)
}

type lockWithdrawalBody struct {
	Reason string `json:"reason"`
}

// withdrawLockRequest takes back a lock or unlock request still awaiting a
// decision: the team manager who made it, or another team manager of the
// organisation the lock belongs to (R-LOCK-1, R-LOCK-6, R-LOCK-10). 200
// with the request's new status, "withdrawn"; 409 once it was decided or
// withdrawn; 404 to anyone not of that organisation, or kept out of a
// hidden lock (R-LOCK-12).
func (s *Server) withdrawLockRequest(c *gin.Context) {
	var req lockWithdrawalBody
	request, ctx, ok := s.command(c, "id", &req)
	if !ok {
		return
	}
	rec, unlock, w, err := s.Service.WithdrawLockRequest(ctx, currentUser(c).Actor(), request, req.Reason, s.Locks, s.cases())
	if err != nil {
		writeError(c, err)
		return
	}
	kind := "lock"
	if unlock {
		kind = "unlock"
	}
	s.respondAfter(c, w.Position, http.StatusOK, gin.H{"id": request, "client_id": rec.ID, "kind": kind, "status": "withdrawn"})
}

type temporaryAccessBody struct {
	UserID string `json:"user_id"`
	Reason string `json:"reason"`
	Hours  int    `json:"hours"`
}

// grantTemporaryAccess lets the responsible person grant short-term access
// (R-LOCK-4).
func (s *Server) grantTemporaryAccess(c *gin.Context) {
	var req temporaryAccessBody
	client, ctx, ok := s.command(c, "id", &req)
	if !ok {
		return
	}
	// A missing user is the domain's to report, with the reason and hours.
	var v validator
	user := bodyUUID(&v, "user_id", req.UserID, false)
	if err := v.err(); err != nil {
		writeError(c, err)
		return
	}
	g, w, err := s.Service.GrantTemporaryAccess(ctx, currentUser(c).Actor(), client, user, req.Reason, req.Hours, s.cases())
	if err != nil {
		writeError(c, err)
		return
	}
	s.respondAfter(c, w.Position, http.StatusCreated, gin.H{"id": g.ID, "client_id": client, "user_id": g.UserID,
		"expires_at": g.ExpiresAt.UTC().Format(time.RFC3339)})
}

// endTemporaryAccess ends a user's short-term access early: the grantee, or
// the responsible person.
func (s *Server) endTemporaryAccess(c *gin.Context) {
	client, ctx, ok := s.command(c, "id", nil)
	if !ok {
		return
	}
	user, err := parseUUIDParam(c, "user_id")
	if err != nil {
		writeError(c, err)
		return
	}
	w, err := s.Service.EndTemporaryAccess(ctx, currentUser(c).Actor(), client, user, s.cases())
	if err != nil {
		writeError(c, err)
		return
	}
	s.respondAfter(c, w.Position, http.StatusNoContent, nil)
}

type lockReviewBody struct {
	KeepLocked *bool  `json:"keep_locked"`
	Notes      string `json:"notes"`
}

// reviewLock records a team manager's monthly review (R-LOCK-5).
func (s *Server) reviewLock(c *gin.Context) {
	var req lockReviewBody
	client, ctx, ok := s.command(c, "id", &req)
	if !ok {
		return
	}
	keep := true
	if req.KeepLocked == nil {
		// Refused after the checks of who may review (R-LOCK-5, R-LOCK-12).
		ctx = refuseField(c, ctx, "keep_locked", "is required (true or false)")
	} else {
		keep = *req.KeepLocked
	}
	id, w, err := s.Service.ReviewLock(ctx, currentUser(c).Actor(), client, keep, req.Notes, s.cases())
	if err != nil {
		writeError(c, err)
		return
	}
	s.respondAfter(c, w.Position, http.StatusCreated, gin.H{"id": id, "client_id": client, "keep_locked": keep})
}

type unlockRequestBody struct {
	Reason string `json:"reason"`
}

// requestUnlock asks a service manager to lift a lock (R-LOCK-6).
func (s *Server) requestUnlock(c *gin.Context) {
	var req unlockRequestBody
	client, ctx, ok := s.command(c, "id", &req)
	if !ok {
		return
	}
	id, w, err := s.Service.RequestUnlock(ctx, currentUser(c).Actor(), client, req.Reason, s.cases())
	if err != nil {
		writeError(c, err)
		return
	}
	c.Header("Location", "/v1/lock-requests/"+id.String())
	s.respondAfter(c, w.Position, http.StatusCreated, gin.H{"id": id, "client_id": client, "status": "requested"})
}

// completeSeriousCaseReview records that a serious case review is over.
func (s *Server) completeSeriousCaseReview(c *gin.Context) {
	var req emptyRequest
	client, ctx, ok := s.command(c, "id", &req)
	if !ok {
		return
	}
	w, err := s.Service.CompleteSeriousCaseReview(ctx, currentUser(c).Actor(), client, s.cases())
	if err != nil {
		writeError(c, err)
		return
	}
	s.respondAfter(c, w.Position, http.StatusOK, gin.H{"client_id": client, "serious_case_review": "completed"})
}

type messageBody struct {
	Text            string `json:"text"`
	ChildProtection bool   `json:"child_protection"`
}

// sendMessage passes information to a case's responsible person (R-LOCK-8):
// 202 whether or not the sender may see the case, telling them nothing.
// Past the sender's limit for the client id, 429 with Retry-After, counted
// the same whether or not the client exists (R-LOCK-12).
func (s *Server) sendMessage(c *gin.Context) {
	var req messageBody
	client, ctx, ok := s.command(c, "id", &req)
	if !ok {
		return
	}
	if _, err := s.Service.SendMessage(ctx, currentUser(c).Actor(), client, req.Text, req.ChildProtection, s.Clients); err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusAccepted, gin.H{"status": "accepted"})
}
