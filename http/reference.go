package http

import (
	"time"

	"github.com/gin-gonic/gin"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/projections"
)

// findReferrals finds referrals by their reference (R-REF-13):
// GET /v1/referrals?reference=7KQ4-M2XD. Need to know as for the inbox and
// outbox (R-AUTH-4): only referrals the caller's organisation made or
// received, and a locked case only to those its lock lets in (R-LOCK-2).
// The answer is a list, empty when nothing matches, so it says nothing
// about other organisations' referrals. Searching by anything else is not
// offered: never by client data. Errors: 422 naming reference.
func (s *Server) findReferrals(c *gin.Context) {
	user := currentUser(c)
	var v validator
	raw, given := singleQuery(c, &v, "reference")
	v.check(given, "reference", "is required: the reference of the referral to find, such as 7KQ4-M2XD")
	if err := v.err(); err != nil {
		writeError(c, err)
		return
	}
	ref, err := domain.ParseReference(raw)
	if err != nil {
		writeError(c, err)
		return
	}
	s.listReferrals(c, func(now time.Time) (projections.Page[projections.ReferralSummary], error) {
		items := s.Referrals.FindByReference(projections.ReferenceQuery{Reference: ref,
			Organisation: user.OrganisationID, Visible: s.lockVisible(user.Actor(), now)}, now)
		return projections.Page[projections.ReferralSummary]{Items: items}, nil
	})
}
