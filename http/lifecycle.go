package http

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
)

// The lifecycle routes of R-REF-9..12: decline, forward, withdraw, reopen.

type declineRequest struct {
	ReasonCode string `json:"reason_code"`
	Comment    string `json:"comment"`
}

type forwardRequest struct {
	ToOrganisationID     string        `json:"to_organisation_id"`
	Comment              string        `json:"comment"`
	Consent              *consentBody  `json:"consent"`
	SafeguardingOverride *overrideBody `json:"safeguarding_override"`
}

type reasonRequest struct {
	Reason string `json:"reason"`
}

// declineReferral: POST /v1/referrals/:id/decline (R-REF-9).
func (s *Server) declineReferral(c *gin.Context) {
	referralCommand(s, http.StatusOK, func(ctx context.Context, id uuid.UUID, b declineRequest, a domain.Actor) (domain.Referral, ledger.Written, error) {
		return s.Service.Decline(ctx, a, id, b.ReasonCode, b.Comment)
	})(c)
}

// withdrawReferral: POST /v1/referrals/:id/withdrawal (R-REF-11).
func (s *Server) withdrawReferral(c *gin.Context) {
	referralCommand(s, http.StatusOK, func(ctx context.Context, id uuid.UUID, b reasonRequest, a domain.Actor) (domain.Referral, ledger.Written, error) {
		return s.Service.Withdraw(ctx, a, id, b.Reason)
	})(c)
}

// reopenReferral: POST /v1/referrals/:id/reopening (R-REF-12).
func (s *Server) reopenReferral(c *gin.Context) {
	referralCommand(s, http.StatusOK, func(ctx context.Context, id uuid.UUID, b reasonRequest, a domain.Actor) (domain.Referral, ledger.Written, error) {
		return s.Service.Reopen(ctx, a, id, b.Reason)
	})(c)
}

// forwardReferral: POST /v1/referrals/:id/forward (R-REF-10) answers 201
// with the new referral; the original is then forwarded. It creates, so it
// takes an Idempotency-Key (R-OPS-1).
func (s *Server) forwardReferral(c *gin.Context) {
	var req forwardRequest
	id, ctx, ok := s.command(c, "id", &req)
	if !ok {
		return
	}
	// An id that is no UUID is refused with every other field at fault,
	// and a missing receiver is the domain's to report.
	var v validator
	to := bodyUUID(&v, "to_organisation_id", req.ToOrganisationID, false)
	cmd := domain.ForwardReferral{ToOrganisationID: to, Comment: req.Comment, Refused: v.fields}
	if req.Consent != nil {
		cmd.Consent = &domain.Consent{Method: req.Consent.Method, Confirmed: req.Consent.Confirmed}
	}
	if req.SafeguardingOverride != nil {
		cmd.SafeguardingOverride = &domain.SafeguardingOverride{Reason: req.SafeguardingOverride.Reason}
	}
	r, w, err := s.Service.Forward(ctx, currentUser(c).Actor(), id, cmd)
	if err != nil {
		writeError(c, err)
		return
	}
	c.Header("Location", "/v1/referrals/"+r.ID.String())
	setReplay(c, replayRef{Kind: replayReferral, ID: r.ID.String()})
	s.respondReferral(c, ctx, http.StatusCreated, r, w)
}

// lifecycleBody is what a referral shows of R-REF-9..12, embedded in the
// referral's JSON. Free text is null once the client's data is erased.
type lifecycleBody struct {
	DeclineReasonCode         *string `json:"decline_reason_code"`
	DeclineComment            *string `json:"decline_comment"`
	DeclinedAt                *string `json:"declined_at"`
	ForwardedTo               *string `json:"forwarded_to"`
	ForwardedToOrganisationID *string `json:"forwarded_to_organisation_id"`
	ForwardComment            *string `json:"forward_comment"`
	ForwardedAt               *string `json:"forwarded_at"`
	ForwardedFrom             *string `json:"forwarded_from"`
	ForwardedFromComment      *string `json:"forwarded_from_comment"`
	WithdrawReason            *string `json:"withdraw_reason"`
	WithdrawnAt               *string `json:"withdrawn_at"`
	ReopenReason              *string `json:"reopen_reason"`
	ReopenedAt                *string `json:"reopened_at"`
}

func lifecycleJSON(r domain.Referral) lifecycleBody {
	return lifecycleBody{
		DeclineReasonCode: strJSON(r.DeclineReasonCode), DeclineComment: strJSON(r.DeclineComment), DeclinedAt: timeJSON(r.DeclinedAt),
		ForwardedTo: idJSON(r.ForwardedTo), ForwardedToOrganisationID: idJSON(r.ForwardedToOrganisationID),
		ForwardComment: strJSON(r.ForwardComment), ForwardedAt: timeJSON(r.ForwardedAt),
		ForwardedFrom: idJSON(r.ForwardedFrom), ForwardedFromComment: strJSON(r.ForwardedFromComment),
		WithdrawReason: strJSON(r.WithdrawReason), WithdrawnAt: timeJSON(r.WithdrawnAt),
		ReopenReason: strJSON(r.ReopenReason), ReopenedAt: timeJSON(r.ReopenedAt),
	}
}
