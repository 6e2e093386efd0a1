package http

import (
	"encoding/json"

	"github.com/gin-gonic/gin"

	"github.com/referral-ledger/ledger/domain"
)

// The kinds of resource an idempotent replay reads again.
const (
	replayReferral      = "referral"
	replayNote          = "note"
	replayTOTPEnrolment = "totp_enrolment" // a second factor awaiting its first code (replayTOTP)
)

// renderReplay answers an idempotent replay by reading the resource again
// as the caller may see it now, not as it was first answered (R-PRIV-8):
// an erased client's data is null with "erased": true, and a caller locked
// out since gets exactly the answer a read would get (R-LOCK-12). Status
// and Location are the first answer's.
func (s *Server) renderReplay(c *gin.Context, ref replayRef, status int, location string) {
	if ref.Kind == replayTOTPEnrolment {
		s.replayTOTP(c, ref, status)
		return
	}
	id, ok := parseUUID(ref.ID)
	if !ok {
		writeError(c, domain.Errorf(domain.Internal, "idempotency: a replay reference holds a malformed id"))
		return
	}
	ctx, err := s.request(c)
	if err != nil {
		writeError(c, err)
		return
	}
	r, err := s.Service.Referral(ctx, currentUser(c).Actor(), id)
	if err != nil {
		writeError(c, err)
		return
	}
	if location != "" {
		c.Header("Location", location)
	}
	switch ref.Kind {
	case replayReferral:
		setETag(c, r.Revision)
		c.JSON(status, s.referralJSON(r))
	case replayNote:
		for _, n := range r.Notes {
			if n.ID.String() == ref.Part {
				s.respondNote(c, status, r, n)
				return
			}
		}
		writeError(c, domain.Errorf(domain.NotFound, "no such note"))
	default:
		writeError(c, domain.Errorf(domain.Internal, "idempotency: a replay reference of unknown kind"))
	}
}

// replayRefOfBody reads the reference out of an answer an earlier version
// stored whole, on the routes that now store a reference instead, so that
// no answer with client data stored before an upgrade is repeated after
// it (R-PRIV-8).
func replayRefOfBody(route string, body []byte) (replayRef, bool) {
	var stored struct {
		ID         string `json:"id"`
		ReferralID string `json:"referral_id"`
	}
	if json.Unmarshal(body, &stored) != nil || stored.ID == "" {
		return replayRef{}, false
	}
	switch route {
	case "/v1/referrals":
		return replayRef{Kind: replayReferral, ID: stored.ID}, true
	case "/v1/referrals/:id/notes":
		if stored.ReferralID != "" {
			return replayRef{Kind: replayNote, ID: stored.ReferralID, Part: stored.ID}, true
		}
	}
	return replayRef{}, false
}
