package http

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
)

type erasureListItem struct {
	ID             string               `json:"id"`
	ClientID       string               `json:"client_id"`
	Status         domain.ErasureStatus `json:"status"`
	OrganisationID string               `json:"organisation_id"`
	RequestedBy    *string              `json:"requested_by"`
	RequestedAt    string               `json:"requested_at"`
	ClientErased   bool                 `json:"client_erased"`
}

// erasureRequests lists the erasure requests waiting for the coordinator's
// decision, oldest first (R-PRIV-2): ids and who passed each on, never the
// request's reason. ?status= may only be "requested", the default.
// Errors: 403 for anyone but the coordinator, 422 for another status.
func (s *Server) erasureRequests(c *gin.Context) {
	var v validator
	if st, ok := singleQuery(c, &v, "status"); ok {
		v.check(st == string(domain.ErasureRequested), "status", `must be "requested"`)
	}
	page := pageOf(c, &v, "erasure-requests")
	if err := v.err(); err != nil {
		writeError(c, err)
		return
	}
	if err := s.settleHead(c); err != nil {
		writeError(c, err)
		return
	}
	waiting, err := ledger.CoordinatorRead(currentUser(c).Actor(), ledger.ReadWaitingErasures, s.Clients.WaitingErasures)
	if err != nil {
		writeError(c, err)
		return
	}
	// Oldest first; a request given is found again by its id.
	from, to, next, err := page(len(waiting), func(i int) string {
		return pageKeyTime(waiting[i].RequestedAt) + "\x00" + waiting[i].RequestID.String()
	})
	if err != nil {
		writeError(c, err)
		return
	}
	waiting = waiting[from:to]
	out := make([]erasureListItem, len(waiting))
	for i, r := range waiting {
		out[i] = erasureListItem{ID: r.RequestID.String(), ClientID: r.ClientID.String(), Status: r.Status,
			OrganisationID: r.OrganisationID.String(), RequestedBy: idJSON(r.RequestedBy),
			RequestedAt: r.RequestedAt.UTC().Format(time.RFC3339), ClientErased: r.ClientErased}
	}
	c.JSON(http.StatusOK, gin.H{"erasure_requests": out, "next": next})
}
