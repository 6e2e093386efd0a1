package http

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
)

type lockRequestOut struct {
	ID                string      `json:"id"`
	ClientID          string      `json:"client_id"`
	Kind              string      `json:"kind"` // lock or unlock
	Status            string      `json:"status"`
	RequestedBy       string      `json:"requested_by"`
	RequestedAt       string      `json:"requested_at"`
	Reason            *string     `json:"reason"` // null once the client is erased
	Erased            bool        `json:"erased"`
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
// never their own, oldest first. Each reason on the page answered is
// recorded in its client's access log as read (R-LOCK-9).
func (s *Server) lockRequests(c *gin.Context) {
	var v validator
	if st, ok := singleQuery(c, &v, "status"); ok {
		v.check(st == "" || st == "requested", "status", "must be requested")
	}
	page := pageOf(c, &v, "lock-requests", "status")
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
	// The reasons answered are reads of their clients' data (R-LOCK-9).
	ctx := ledger.WithRequest(c.Request.Context(), ledger.Request{CorrelationID: correlationID(c), CausationID: correlationID(c),
		Endpoint: c.Request.Method + " " + c.FullPath()})
	if items, err = s.Service.ReadLockRequests(ctx, currentUser(c).Actor(), items[from:to]); err != nil {
		writeError(c, err)
		return
	}
	out := make([]lockRequestOut, len(items))
	for i, it := range items {
		out[i] = lockRequestOutOf(it, "requested")
	}
	c.JSON(http.StatusOK, gin.H{"requests": out, "next": next})
}

// lockRequestOutOf is a lock or unlock request as the list and its own
// path show it: its reason null, with erased true, once the client is
// erased, as every read shows erased data (R-PRIV-3).
func lockRequestOutOf(it ledger.LockRequestItem, status string) lockRequestOut {
	kind := "lock"
	if it.Unlock {
		kind = "unlock"
	}
	return lockRequestOut{ID: it.ID.String(), ClientID: it.ClientID.String(), Kind: kind, Status: status,
		RequestedBy: it.RequestedBy.String(), RequestedAt: it.RequestedAt.UTC().Format(time.RFC3339), Reason: reasonJSON(it), Erased: it.Erased,
		ResponsibleUserID: it.ResponsibleUserID.String(), Allow: partiesOut(it.Allow), Deny: partiesOut(it.Deny),
		HideNotification: it.HideNotification, SeriousCaseReview: it.SeriousCaseReview}
}

// reasonJSON is a request's reason, null once the client is erased.
func reasonJSON(it ledger.LockRequestItem) *string {
	if it.Erased {
		return nil
	}
	return &it.Reason
}

// lockRequestAt is one lock or unlock request at its own path: the
// list's item, with where it stands and, once decided, who decided it and
// when (null while it waits).
type lockRequestAt struct {
	lockRequestOut
	DecidedBy   *string `json:"decided_by"`
	DecidedAt   *string `json:"decided_at"`
	WithdrawnBy *string `json:"withdrawn_by"`
	WithdrawnAt *string `json:"withdrawn_at"`
}

// lockRequest shows one lock or unlock request: the path the request's
// 201 names in Location. Whoever made it (while they hold the team
// manager role), the service managers who may decide it and the team
// managers who may withdraw it (or could have), see it, behind the gate
// of every lock command: a lock that keeps them out answers 403 naming the responsible
// person or, when its notification is hidden, 404 as for a request that
// does not exist (R-LOCK-6, R-LOCK-10, R-LOCK-12). Anyone else gets that
// 404 too.
func (s *Server) lockRequest(c *gin.Context) {
	id, ctx, ok := s.read(c, "id", nil)
	if !ok {
		return
	}
	v, err := s.Service.LockRequest(ctx, currentUser(c).Actor(), id, s.Locks, s.cases())
	if err != nil {
		writeError(c, err)
		return
	}
	out := lockRequestAt{lockRequestOut: lockRequestOutOf(v.LockRequestItem, v.Status)}
	if v.DecidedBy != uuid.Nil {
		out.DecidedBy, out.DecidedAt = idJSON(v.DecidedBy), timeJSON(v.DecidedAt)
	}
	if v.WithdrawnBy != uuid.Nil {
		out.WithdrawnBy, out.WithdrawnAt = idJSON(v.WithdrawnBy), timeJSON(v.WithdrawnAt)
	}
	// The request is read from its client's stream: its revision is what
	// the withdrawal and the decision compare If-Match with.
	setETag(c, v.Revision)
	c.JSON(http.StatusOK, out)
}
