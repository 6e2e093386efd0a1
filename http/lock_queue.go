package http

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

type lockRequestOut struct {
	ID                string      `json:"id"`
	ClientID          string      `json:"client_id"`
	Kind              string      `json:"kind"` // lock or unlock
	Status            string      `json:"status"`
	RequestedBy       string      `json:"requested_by"`
	RequestedAt       string      `json:"requested_at"`
	Reason            string      `json:"reason"`
	ResponsibleUserID string      `json:"responsible_user_id"`
	Allow             []partyBody `json:"allow"`
	Deny              []partyBody `json:"deny"`
	HideNotification  bool        `json:"hide_notification"`
	SeriousCaseReview bool        `json:"serious_case_review"`
}

func partiesOut(in []domain.Party) []partyBody {
	out := make([]partyBody, len(in))
	for i, p := range in {
		out[i] = partyBody{Team: p.Team, Role: string(p.Role)}
		if p.UserID != uuid.Nil {
			out[i].UserID = p.UserID.String()
		}
		if p.OrganisationID != uuid.Nil {
			out[i].OrganisationID = p.OrganisationID.String()
		}
	}
	return out
}

// lockRequests lists the lock and unlock requests waiting for the calling
// service manager's decision (R-LOCK-6, R-LOCK-10): their organisation's,
// never their own, oldest first.
func (s *Server) lockRequests(c *gin.Context) {
	if st := c.Query("status"); st != "" && st != "requested" {
		writeError(c, domain.InvalidFields(domain.FieldError{Field: "status", Message: "must be requested"}))
		return
	}
	var v validator
	page := pageOf(c, &v, "lock-requests")
	if err := v.err(); err != nil {
		writeError(c, err)
		return
	}
	if err := s.settleHead(c); err != nil {
		writeError(c, err)
		return
	}
	items, err := s.Service.LockRequestsAwaiting(c.Request.Context(), currentUser(c).Actor(), s.Locks)
	if err != nil {
		writeError(c, err)
		return
	}
	// Oldest first, then by id.
	from, to, next, err := page(len(items), func(i int) string {
		return pageKeyTime(items[i].RequestedAt) + "\x00" + items[i].ID.String()
	})
	if err != nil {
		writeError(c, err)
		return
	}
	items = items[from:to]
	out := make([]lockRequestOut, len(items))
	for i, it := range items {
		kind := "lock"
		if it.Unlock {
			kind = "unlock"
		}
		out[i] = lockRequestOut{ID: it.ID.String(), ClientID: it.ClientID.String(), Kind: kind, Status: "requested",
			RequestedBy: it.RequestedBy.String(), RequestedAt: it.RequestedAt.UTC().Format(time.RFC3339), Reason: it.Reason,
			ResponsibleUserID: it.ResponsibleUserID.String(), Allow: partiesOut(it.Allow), Deny: partiesOut(it.Deny),
			HideNotification: it.HideNotification, SeriousCaseReview: it.SeriousCaseReview}
	}
	c.JSON(http.StatusOK, gin.H{"requests": out, "next": next})
}
