package http

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/projections"
)

type accessGrantBody struct {
	Kind      string  `json:"kind"` // responsible, allowed_user, allowed_team, temporary, automatic_role, denied_user, denied_team, denied_role
	UserID    *string `json:"user_id,omitempty"`
	Team      string  `json:"team,omitempty"`
	TeamOrgID *string `json:"organisation_id,omitempty"` // the team's organisation (R-LOCK-11)
	Role      string  `json:"role,omitempty"`
	ExpiresAt *string `json:"expires_at,omitempty"`
}

type lockedCaseBody struct {
	ClientID          string            `json:"client_id"`
	OrganisationID    string            `json:"organisation_id"` // the lock's owner (R-LOCK-10)
	ResponsibleUserID string            `json:"responsible_user_id"`
	LockedAt          string            `json:"locked_at"`
	ReviewDue         string            `json:"review_due"`
	ReviewOverdue     bool              `json:"review_overdue"`
	HideNotification  bool              `json:"hide_notification"`
	SeriousCaseReview bool              `json:"serious_case_review"`
	UnlockRequested   bool              `json:"unlock_requested"`
	RequestedBy       string            `json:"requested_by"`
	ApprovedBy        string            `json:"approved_by"`
	Access            []accessGrantBody `json:"access"`
}

// accessOf lists the access a locked case grants now (R-LOCK-7), as
// domain.Lock.AccessNow decides it with the accounts as the directory has
// them: everyone listed as let in gets in (R-LOCK-2); then the deny list.
func (s *Server) accessOf(l domain.Lock, now time.Time) []accessGrantBody {
	entries := l.AccessNow(s.Orgs.UserByID, now)
	out := make([]accessGrantBody, len(entries))
	for i, e := range entries {
		out[i] = accessGrantBody{Kind: e.Kind, UserID: idJSON(e.UserID), Team: e.Team, TeamOrgID: idJSON(e.TeamOrganisationID),
			Role: string(e.Role), ExpiresAt: timeJSON(e.ExpiresAt)}
	}
	return out
}

// lockedCases is the locked-cases report (R-LOCK-5, R-LOCK-7): managers see
// the cases they requested, approved or are responsible for, with review
// dates; the coordinator sees every locked case but those whose lock
// refuses them (R-LOCK-2, R-LOCK-12).
func (s *Server) lockedCases(c *gin.Context) {
	actor := currentUser(c).Actor()
	coordinator := false
	switch {
	case actor.Has(domain.RoleCoordinator):
		coordinator = true
	case actor.HasAny(domain.RoleTeamManager, domain.RoleServiceManager):
	default:
		writeError(c, domain.Errorf(domain.Forbidden, "only managers and the coordinator see the locked-cases report"))
		return
	}
	var v validator
	page := pageOf(c, &v, "locked-cases")
	if err := v.err(); err != nil {
		writeError(c, err)
		return
	}
	if err := s.settleHead(c); err != nil {
		writeError(c, err)
		return
	}
	now := s.Service.Now()
	var cases []projections.LockedCase
	if coordinator {
		cases = s.Locks.CoordinatorLockedCases(actor)
	} else {
		cases = s.Locks.LockedCases(actor)
	}
	// Soonest review first, then by client id.
	from, to, next, err := page(len(cases), func(i int) string {
		return pageKeyTime(cases[i].Lock.ReviewDue()) + "\x00" + cases[i].ClientID.String()
	})
	if err != nil {
		writeError(c, err)
		return
	}
	cases = cases[from:to]
	out := make([]lockedCaseBody, len(cases))
	for i, lc := range cases {
		l := lc.Lock
		out[i] = lockedCaseBody{ClientID: lc.ClientID.String(), OrganisationID: l.OwningOrganisationID.String(), ResponsibleUserID: l.ResponsibleUserID.String(),
			LockedAt: l.LockedAt.UTC().Format(time.RFC3339), ReviewDue: l.ReviewDue().UTC().Format(time.RFC3339),
			ReviewOverdue: l.ReviewOverdue(now), HideNotification: l.HideNotification, SeriousCaseReview: l.SeriousCaseReview && !l.SeriousCaseReviewEnd,
			UnlockRequested: l.UnlockRequestID != uuid.Nil, RequestedBy: l.RequestedBy.String(), ApprovedBy: l.ApprovedBy.String(),
			Access: s.accessOf(l, now)}
	}
	c.JSON(http.StatusOK, gin.H{"cases": out, "next": next})
}

type accessEntryBody struct {
	At             string  `json:"at"`
	UserID         *string `json:"user_id"`
	OrganisationID *string `json:"organisation_id"`
	Endpoint       string  `json:"endpoint"`
	Grant          string  `json:"grant"`
	ReferralID     *string `json:"referral_id"`
	Locked         bool    `json:"locked"`
	Reason         *string `json:"reason"` // why a locked case was read, where a reason is required; else null
	Erased         bool    `json:"erased"` // the client's data is erased: the reason is null
}

// accessLog shows who read a client's data, when, where and why (R-LOCK-9).
func (s *Server) accessLog(c *gin.Context) {
	client, err := parseUUIDParam(c, "id")
	if err != nil {
		writeError(c, err)
		return
	}
	var v validator
	page := pageOf(c, &v, "access-log")
	if err := v.err(); err != nil {
		writeError(c, err)
		return
	}
	entries, err := s.Service.AccessLog(c.Request.Context(), currentUser(c).Actor(), client, s.cases())
	if err != nil {
		writeError(c, err)
		return
	}
	// The log only grows at its end: an entry's place is its key.
	from, to, next, err := page(len(entries), pageKeyIndex)
	if err != nil {
		writeError(c, err)
		return
	}
	entries = entries[from:to]
	c.JSON(http.StatusOK, gin.H{"client_id": client, "entries": accessEntriesJSON(entries), "next": next})
}

// accessEntriesJSON is access-log entries as GET
// /v1/clients/{id}/access-log and the subject access export show them.
func accessEntriesJSON(entries []ledger.AccessEntry) []accessEntryBody {
	out := make([]accessEntryBody, len(entries))
	for i, e := range entries {
		out[i] = accessEntryBody{At: e.At.UTC().Format(time.RFC3339Nano), UserID: idJSON(e.UserID), OrganisationID: idJSON(e.OrganisationID),
			Endpoint: e.Event.Endpoint, Grant: e.Event.Grant, ReferralID: idJSON(e.Event.ReferralID), Locked: e.Event.Locked,
			Reason: strJSON(e.Event.Reason), Erased: e.Erased}
	}
	return out
}

type messageOut struct {
	ID                 string  `json:"id"`
	At                 string  `json:"at"`
	FromUserID         *string `json:"from_user_id"`
	FromOrganisationID *string `json:"from_organisation_id"`
	ChildProtection    bool    `json:"child_protection"`
	Text               *string `json:"text"`
	Erased             bool    `json:"erased"`
}

// messages lists the information passed on about a client's case, to those
// who may read the case (R-LOCK-8).
func (s *Server) messages(c *gin.Context) {
	var v validator
	page := pageOf(c, &v, "messages")
	if err := v.err(); err != nil {
		writeError(c, err)
		return
	}
	// The views are settled first: whoever is refused is refused on them
	// before the case is read (R-LOCK-12), and someone let in a moment ago
	// is let in.
	client, ctx, ok := s.read(c, "id", nil)
	if !ok {
		return
	}
	msgs, err := s.Service.Messages(ctx, currentUser(c).Actor(), client, s.cases())
	if err != nil {
		writeError(c, err)
		return
	}
	// Messages only grow at the end: a message's place is its key.
	from, to, next, err := page(len(msgs), pageKeyIndex)
	if err != nil {
		writeError(c, err)
		return
	}
	msgs = msgs[from:to]
	out := make([]messageOut, len(msgs))
	for i, m := range msgs {
		out[i] = messageOut{ID: m.ID.String(), At: m.At.UTC().Format(time.RFC3339), FromUserID: idJSON(m.FromUserID),
			FromOrganisationID: idJSON(m.FromOrganisationID), ChildProtection: m.ChildProtection, Text: strJSON(m.Text), Erased: m.Erased}
	}
	c.JSON(http.StatusOK, gin.H{"client_id": client, "messages": out, "next": next})
}
