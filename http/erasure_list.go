package http

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/projections"
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
	page := pageOf(c, &v, "erasure-requests", "status")
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
		out[i] = erasureListItemOf(r)
	}
	c.JSON(http.StatusOK, gin.H{"erasure_requests": out, "next": next})
}

// erasureListItemOf is an erasure request as the list and its own path
// show it.
func erasureListItemOf(r projections.ErasureRequest) erasureListItem {
	return erasureListItem{ID: r.RequestID.String(), ClientID: r.ClientID.String(), Status: r.Status,
		OrganisationID: r.OrganisationID.String(), RequestedBy: idJSON(r.RequestedBy),
		RequestedAt: r.RequestedAt.UTC().Format(time.RFC3339), ClientErased: r.ClientErased}
}

// erasureRequest shows one erasure request where it stands (requested,
// refused or carried out), as the list shows it: the path the request's
// 201 names in Location. The coordinator sees every one; a caseworker of
// the organisation that passed it on sees it while they may still make one
// for the client (R-PRIV-2), unless a lock keeps them out of the case
// (R-LOCK-2, R-LOCK-12). Anyone else gets 404, as for a request that does
// not exist.
func (s *Server) erasureRequest(c *gin.Context) {
	id, ctx, ok := s.read(c, "id", nil)
	if !ok {
		return
	}
	actor := currentUser(c).Actor()
	r, found, err := s.Clients.ErasureRequest(id)
	switch {
	case err != nil:
		// Views that cannot be read: 503, never the 404 of a request
		// that does not exist.
	case !found:
		err = ledger.NoErasureRequest()
	default:
		err = s.Service.MaySeeErasureRequest(actor, r.OrganisationID, r.ClientID, s.cases())
	}
	if err != nil {
		writeError(c, err)
		return
	}
	if actor.Has(domain.RoleCoordinator) {
		// The coordinator, who decides it, gets as ETag the revision of
		// the client's stream, which the decision compares If-Match with
		// (R-LEDGER-2). The request is read again once the views hold that
		// revision, so the answer is never older than its ETag. Whoever
		// else reads it cannot decide it, and the revision moves with case
		// events they may not learn of (a lock asked for, R-LOCK-12).
		rev, pos, err := s.Service.ClientRevision(ctx, r.ClientID)
		if err == nil {
			err = s.settle(c, pos)
		}
		if err != nil {
			writeError(c, err)
			return
		}
		if r, found, err = s.Clients.ErasureRequest(id); err == nil && !found {
			err = ledger.NoErasureRequest()
		}
		if err != nil {
			writeError(c, err)
			return
		}
		setETag(c, rev)
	}
	c.JSON(http.StatusOK, erasureListItemOf(r))
}
