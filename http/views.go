package http

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/projections"
)

// The views (R-VIEW-1..3) list referrals from the Referrals read model. They
// are work queues: ids, statuses and timescales, never client data or free
// text (R-LEDGER-6); the referral itself carries the details, to those who
// may see it. Need to know (R-AUTH-4): every user sees the inbox and outbox
// of their own organisation only, whatever their role; the overdue list is
// the coordinator's (network-wide) and the org leads' (their own
// organisation's). A locked case is listed only to those its lock lets in
// (R-LOCK-2).

// listedReferralBody is a referral as the inbox and outbox list it.
type listedReferralBody struct {
	ID                 string        `json:"id"`
	Reference          string        `json:"reference"`
	Status             domain.Status `json:"status"`
	Urgent             bool          `json:"urgent"`
	FromOrganisationID string        `json:"from_organisation_id"`
	ToOrganisationID   string        `json:"to_organisation_id"`
	ClientID           string        `json:"client_id"`
	AssignedTo         *string       `json:"assigned_to"`
	MadeAt             string        `json:"made_at"`
	AcknowledgedAt     *string       `json:"acknowledged_at"`
	ClosedAt           *string       `json:"closed_at"`
	Outcome            *string       `json:"outcome"`
	ForwardedTo        *string       `json:"forwarded_to"`   // R-REF-10, as GET /v1/referrals/{id}
	ForwardedFrom      *string       `json:"forwarded_from"` // R-REF-10
	Deadlines          deadlinesBody `json:"deadlines"`
	NextDeadline       *string       `json:"next_deadline"`
	Stage              *string       `json:"stage"`
	Overdue            bool          `json:"overdue"`
	Revision           uint64        `json:"revision"`
}

type referralListBody struct {
	Referrals []listedReferralBody `json:"referrals"`
	Next      *string              `json:"next"`
}

type overdueReferralBody struct {
	ID                 string        `json:"id"`
	Reference          string        `json:"reference"` // R-REF-13
	Status             domain.Status `json:"status"`
	Urgent             bool          `json:"urgent"`
	FromOrganisationID string        `json:"from_organisation_id"`
	ToOrganisationID   string        `json:"to_organisation_id"`
	Stage              domain.Stage  `json:"stage"`
	Due                string        `json:"due"`
	WorkingDaysOverdue int           `json:"working_days_overdue"`
}

type overdueListBody struct {
	Referrals []overdueReferralBody `json:"referrals"`
	Next      *string               `json:"next"`
}

func listedReferralJSON(r projections.ReferralSummary) listedReferralBody {
	return listedReferralBody{ID: r.ID.String(), Reference: r.Reference.String(), Status: r.Status, Urgent: r.Urgent,
		FromOrganisationID: r.FromOrganisationID.String(), ToOrganisationID: r.ToOrganisationID.String(),
		ClientID: r.ClientID.String(), AssignedTo: idJSON(r.AssignedTo), MadeAt: r.MadeAt.UTC().Format(time.RFC3339),
		AcknowledgedAt: timeJSON(r.AcknowledgedAt), ClosedAt: timeJSON(r.ClosedAt), Outcome: strJSON(r.Outcome),
		ForwardedTo: idJSON(r.ForwardedTo), ForwardedFrom: idJSON(r.ForwardedFrom),
		Deadlines:    deadlinesBody{AcknowledgeBy: timeJSON(r.Deadlines.AcknowledgeBy), CloseBy: timeJSON(r.Deadlines.CloseBy)},
		NextDeadline: timeJSON(r.NextDeadline), Stage: strJSON(string(r.Stage)), Overdue: r.Overdue, Revision: r.Revision}
}

func referralListJSON(page projections.Page[projections.ReferralSummary]) referralListBody {
	out := referralListBody{Referrals: make([]listedReferralBody, len(page.Items)), Next: strJSON(page.Next)}
	for i, r := range page.Items {
		out.Referrals[i] = listedReferralJSON(r)
	}
	return out
}

// inbox lists the open referrals made to the caller's organisation, soonest
// next deadline first (R-VIEW-1). ?assigned=me (or a user id) keeps those
// assigned to that adviser; ?status= keeps one status, and only
// ?status=closed (declined, forwarded, withdrawn) lists those that ended so,
// latest first. A filter given empty, as a form with a field left blank
// sends it, does not filter, as in search (filterQuery).
func (s *Server) inbox(c *gin.Context) {
	user := currentUser(c)
	var v validator
	q := projections.InboxQuery{Organisation: user.OrganisationID}
	listParams(c, &v, "status", "assigned", "limit", "next")
	q.Limit, q.After = pageParams(c, &v)
	if st, ok := filterQuery(c, &v, "status"); ok {
		q.Status = domain.Status(st)
		v.check(slices.Contains(domain.Statuses(), q.Status),
			"status", `must be "made", "acknowledged", "closed", "declined", "forwarded" or "withdrawn"`)
	}
	if a, ok := filterQuery(c, &v, "assigned"); ok {
		if a == "me" {
			q.Assignee = user.ID
		} else {
			id, valid := parseUUID(a)
			if valid {
				// Another organisation's user, or nobody: the same answer,
				// which tells nothing of who exists elsewhere.
				u, known := s.Orgs.UserByID(id)
				valid = known && u.OrganisationID == user.OrganisationID
			}
			v.check(valid, "assigned", `must be "me" or the id of a user of your organisation`)
			q.Assignee = id
		}
	}
	if err := v.err(); err != nil {
		writeError(c, err)
		return
	}
	s.listReferrals(c, func(now time.Time) (projections.Page[projections.ReferralSummary], error) {
		q.Visible = s.lockVisible(user.Actor(), now)
		return s.Referrals.Inbox(q, now)
	})
}

// outbox lists the referrals the caller's organisation made, of every
// status or, with ?status=, of that one, newest first, for monitoring
// (R-VIEW-2); ?status= given empty does not filter, as in search.
func (s *Server) outbox(c *gin.Context) {
	user := currentUser(c)
	var v validator
	q := projections.OutboxQuery{Organisation: user.OrganisationID}
	listParams(c, &v, "status", "limit", "next")
	q.Limit, q.After = pageParams(c, &v)
	if st, ok := filterQuery(c, &v, "status"); ok {
		q.Status = domain.Status(st)
		v.check(slices.Contains(domain.Statuses(), q.Status),
			"status", `must be "made", "acknowledged", "closed", "declined", "forwarded" or "withdrawn"`)
	}
	if err := v.err(); err != nil {
		writeError(c, err)
		return
	}
	s.listReferrals(c, func(now time.Time) (projections.Page[projections.ReferralSummary], error) {
		q.Visible = s.lockVisible(user.Actor(), now)
		return s.Referrals.Outbox(q, now)
	})
}

func (s *Server) listReferrals(c *gin.Context, list func(now time.Time) (projections.Page[projections.ReferralSummary], error)) {
	if err := s.settleHead(c); err != nil {
		writeError(c, err)
		return
	}
	page, err := list(s.Service.Now())
	if err != nil {
		writeError(c, listError(err))
		return
	}
	c.JSON(http.StatusOK, referralListJSON(page))
}

// overdue lists the referrals past a deadline, most overdue first, with
// how many working days overdue (R-VIEW-3): every organisation's for the
// coordinator, those to or from their organisation for an org lead.
// Errors: 403 for anyone else.
func (s *Server) overdue(c *gin.Context) {
	user := currentUser(c)
	actor := user.Actor()
	var q projections.OverdueQuery
	switch {
	case actor.Has(domain.RoleCoordinator):
	case actor.Has(domain.RoleOrgLead):
		q.Organisation = user.OrganisationID
	default:
		writeError(c, domain.Errorf(domain.Forbidden, "only the coordinator and organisation leads can list overdue referrals"))
		return
	}
	var v validator
	listParams(c, &v, "limit", "next")
	q.Limit, q.After = pageParams(c, &v)
	if err := v.err(); err != nil {
		writeError(c, err)
		return
	}
	if err := s.settleHead(c); err != nil {
		writeError(c, err)
		return
	}
	now := s.Service.Now()
	q.Visible = s.lockVisible(actor, now)
	page, err := s.Referrals.Overdue(q, now)
	if err != nil {
		writeError(c, listError(err))
		return
	}
	out := overdueListBody{Referrals: make([]overdueReferralBody, len(page.Items)), Next: strJSON(page.Next)}
	for i, o := range page.Items {
		out.Referrals[i] = overdueReferralBody{ID: o.ID.String(), Reference: domain.ReferenceOf(o.ID).String(), Status: o.Status, Urgent: o.Urgent,
			FromOrganisationID: o.FromOrganisationID.String(), ToOrganisationID: o.ToOrganisationID.String(),
			Stage: o.Stage, Due: o.Due.UTC().Format(time.RFC3339), WorkingDaysOverdue: o.WorkingDaysOverdue}
	}
	c.JSON(http.StatusOK, out)
}

// lockVisible is the case-lock rule for lists (R-LOCK-2, R-AUTH-4): a
// locked case's referrals are listed only to those the lock lets in, so
// helpdesk never sees one and a hidden lock reveals nothing.
func (s *Server) lockVisible(actor domain.Actor, now time.Time) func(client uuid.UUID) bool {
	return func(client uuid.UUID) bool {
		_, ok := domain.LockAccess(s.Locks.LockOf(client), actor, now)
		return ok
	}
}

// pageParams reads ?limit= (default 50, 1 to 200) and ?next=, the cursor
// of the page before (API.md "Conventions").
// listParams adds to v a mistake for each query parameter of the request
// that is not one of known, the parameters a list takes: a mistyped
// filter (?stauts=made) would otherwise list everything as if it had
// filtered. A name that is not plain words is reported once, as query,
// without repeating it.
func listParams(c *gin.Context, v *validator, known ...string) {
	takes := "this list takes only " + strings.Join(known, ", ")
	unexpectedParams(c, v, known, "is not a parameter of this list: "+takes, "has a parameter this list does not take: "+takes)
}

func pageParams(c *gin.Context, v *validator) (limit int, after string) {
	limit = projections.DefaultLimit
	if l, ok := singleQuery(c, v, "limit"); ok {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > projections.MaxLimit {
			v.add("limit", fmt.Sprintf("must be a whole number from 1 to %d", projections.MaxLimit))
		}
		limit = n
	}
	after, _ = singleQuery(c, v, "next")
	return limit, after
}

// singleQuery returns a query parameter given at most once; given twice is
// a field error.
func singleQuery(c *gin.Context, v *validator, name string) (string, bool) {
	vals, ok := c.GetQueryArray(name)
	if !ok {
		return "", false
	}
	v.check(len(vals) == 1, name, "must be given once")
	return vals[0], true
}

// listError makes a cursor that no page of the list gave a 400.
func listError(err error) error {
	if errors.Is(err, projections.ErrInvalidCursor) {
		return notACursor()
	}
	return err
}
