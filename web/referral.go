package web

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
)

// referralView is a referral's page: what GET /v1/referrals/{id} and its
// history show the user, and the actions they may take.
type referralView struct {
	layout
	R                     domain.Referral
	Reference             string
	From, To, MadeBy      string
	AssignedTo            string
	AcknowledgeBy         time.Time
	CloseBy               time.Time
	Overdue               bool
	Notes                 []noteView
	History               []historyView
	Receiver, Referrer    bool // the user's organisation received or made it
	CanAct                bool // an adviser of an organisation involved, and the referral is open
	CanAccessLog          bool // may read the client's access log (coordinator, auditor, the lock's responsible person)
	Advisers              []domain.User
	Stale                 bool          // the user's action raced with another change
	Input                 formIn        // what the user entered in the action that failed
	ActionError, ActionOn string        // an action's refusal, and which form it belongs to
	Life                  lifecycleView // decline, forward, withdraw, reopen (R-REF-9..12)
	// TemporaryUntil is when the user's short-term access to the locked
	// case ends, zero when they have none; TemporaryEnd is the form that
	// ends it early, as the grantee may (R-LOCK-4).
	TemporaryUntil time.Time
	TemporaryEnd   string
	// CanRequestLock: a team manager who may ask for a lock on the
	// client's case now, as the ledger would take it: the client's data
	// is not erased, and the case is neither locked nor waiting for a
	// decision on a lock request (R-LOCK-1).
	CanRequestLock bool
	// WithdrawRequest: the page that withdraws the lock or unlock request
	// waiting on the client's case, for a user who may (its team
	// manager, or another of the lock's organisation, R-LOCK-10); ""
	// when none. WithdrawUnlock: it is an unlock request.
	WithdrawRequest string
	WithdrawUnlock  bool
	// ErasureRequest: the page of the erasure request for the client
	// that the user's organisation passed on and the coordinator has not
	// decided yet, for its caseworkers to see where it stands (R-PRIV-2);
	// "" when none. ErasureRefused: none waits, and the latest one the
	// organisation passed on was refused; ErasureRequest is its page.
	ErasureRequest string
	ErasureRefused bool
}

type noteView struct {
	Text, AgreedCloseBy, By, Organisation string
	At                                    time.Time
	// A note on the client's case (R-LOCK-4): the short-term access its
	// text gives the reason for, whom it let in, for how long and until
	// when; Grantee is empty for a note added to the referral.
	Grantee string
	Hours   int
	Until   time.Time
}

type historyView struct {
	What, By string
	At       time.Time
}

// formIn is what a user typed into an action's form, kept when it fails.
type formIn struct {
	Note, AgreedCloseBy, Feedback, Outcome, Comment, Assignee string
	Life                                                      lifecycleIn
}

// referralPage shows one referral, read through the ledger service with
// the user as actor: the same need to know, case locks and access log as
// the API (R-UI-2). A hidden case is "not found"; a locked one names its
// responsible person, as the API does.
func (p *Pages) referralPage(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		p.fail(c, domain.Errorf(domain.NotFound, "no such referral"))
		return
	}
	v, err := p.referralView(c, id)
	if err != nil {
		p.fail(c, err)
		return
	}
	p.render(c, http.StatusOK, "referral", v)
}

func pathID(c *gin.Context) (uuid.UUID, bool) {
	id, err := uuid.Parse(c.Param("id"))
	return id, err == nil && len(c.Param("id")) == 36
}

// referralView reads the referral and its history in one read, which the
// ledger records in the client's access log.
func (p *Pages) referralView(c *gin.Context, id uuid.UUID) (referralView, error) {
	u := currentUser(c)
	h, err := p.Service.ReferralHistory(p.request(c, nil), u.Actor(), id, ledger.HistoryPoint{})
	if err != nil {
		return referralView{}, err
	}
	r := h.State
	now := p.Service.Now()
	d := p.Timescales.Deadlines(r, p.Calendar)
	v := referralView{layout: p.base(c, "Referral "+r.Reference().String(), ""), R: r, Reference: r.Reference().String(),
		From: p.orgName(r.FromOrganisationID), To: p.orgName(r.ToOrganisationID), MadeBy: p.userName(r.MadeBy),
		AssignedTo: p.userName(r.AssignedTo), AcknowledgeBy: d.AcknowledgeBy, CloseBy: d.CloseBy, Overdue: d.Overdue(r, now),
		Receiver: u.OrganisationID == r.ToOrganisationID, Referrer: u.OrganisationID == r.FromOrganisationID}
	// An auditor only reads: no action is offered, whatever else they
	// hold (the ledger refuses a forged one as it refuses anyone not
	// involved).
	v.CanAct = r.Status.Open() && r.Involves(u.OrganisationID) && u.Actor().Caseworker() &&
		!u.Actor().Has(domain.RoleAuditor)
	v.CanAccessLog = p.mayReadAccessLog(u, r.ClientID)
	v.CanRequestLock = teamManager(u) && !r.Erased &&
		p.Service.MayRequestLock(p.request(c, nil), u.Actor(), r.ClientID, p.caseIndex()) == nil
	if id, unlock, ok := p.Locks.LockOf(r.ClientID).WithdrawableBy(u.Actor()); ok {
		v.WithdrawRequest, v.WithdrawUnlock = "/lock-requests/"+id.String()+"/withdraw?referral="+r.ID.String(), unlock
	}
	if v.ErasureRequest, v.ErasureRefused, err = p.waitingErasure(u, r.ClientID); err != nil {
		return referralView{}, err
	}
	if l := p.Locks.LockOf(r.ClientID); l.Status == domain.LockLocked && l.ResponsibleUserID != u.ID {
		for _, g := range l.Grants {
			if g.UserID == u.ID && g.Live(now) && g.ExpiresAt.After(v.TemporaryUntil) {
				v.TemporaryUntil = g.ExpiresAt
				v.TemporaryEnd = "/clients/" + r.ClientID.String() + "/temporary-access/" + u.ID.String() + "/end"
			}
		}
	}
	if v.Life, err = p.lifecycleView(r, u); err != nil {
		return referralView{}, err
	}
	for _, n := range r.Notes {
		v.Notes = append(v.Notes, noteView{Text: n.Text, AgreedCloseBy: n.AgreedCloseBy, At: n.At,
			By: p.userName(n.ActorUserID), Organisation: p.orgName(n.ActorOrganisationID)})
	}
	for _, n := range r.CaseNotes {
		v.Notes = append(v.Notes, noteView{Text: n.Text, At: n.At, By: p.userName(n.ActorUserID),
			Organisation: p.orgName(n.ActorOrganisationID), Grantee: p.userName(n.GranteeUserID), Hours: n.Hours(), Until: n.ExpiresAt})
	}
	// Oldest first, the case's notes among the referral's own.
	slices.SortStableFunc(v.Notes, func(a, b noteView) int { return a.At.Compare(b.At) })
	for _, e := range h.Entries {
		v.History = append(v.History, historyView{What: eventText(e.Decoded.Event), At: e.Decoded.At, By: p.userName(e.Decoded.ActorUserID)})
	}
	if v.Receiver && v.CanAct {
		v.Advisers = p.advisers(c.Request.Context(), r.ToOrganisationID)
	}
	return v, nil
}

// advisers are the open accounts of the organisation that can be assigned
// a referral, by name.
func (p *Pages) advisers(ctx context.Context, org uuid.UUID) []domain.User {
	o, err := p.Service.Organisation(ctx, org)
	if err != nil {
		return nil
	}
	var out []domain.User
	for _, u := range o.Users {
		if !u.Closed && u.Actor().Caseworker() {
			out = append(out, u)
		}
	}
	slices.SortFunc(out, func(a, b domain.User) int {
		if a.DisplayName < b.DisplayName {
			return -1
		}
		if a.DisplayName > b.DisplayName {
			return 1
		}
		return 0
	})
	return out
}

func eventText(e domain.Event) string {
	switch e.(type) {
	case *domain.ReferralMade:
		return "Referral made"
	case *domain.ReferralAcknowledged:
		return "Acknowledged"
	case *domain.ReferralAssigned:
		return "Assigned"
	case *domain.ReferralNoteAdded:
		return "Note added"
	case *domain.ReferralUrgencyDeclined:
		return "Urgency declined"
	case *domain.ReferralClosed:
		return "Closed"
	case *domain.ReferralDeclined:
		return "Declined"
	case *domain.ReferralForwarded:
		return "Forwarded to another organisation"
	case *domain.ReferralWithdrawn:
		return "Withdrawn"
	case *domain.ReferralReopened:
		return "Reopened"
	}
	return e.EventType()
}

// actionFields maps, for the forms that need their own, the API's field
// names to the form's input ids.
var actionFields = map[string]map[string]string{}

// action runs one of the referral page's forms: the revision the page was
// drawn from goes to the ledger as If-Match, so a change someone else made
// in between is never overwritten: the page comes back with the fresh
// state, a warning and what the user typed (R-LEDGER-2).
func (p *Pages) action(c *gin.Context, form string, in formIn, flash string,
	run func(ctx context.Context, actor domain.Actor, id uuid.UUID) (ledger.Written, error)) {
	id, ok := pathID(c)
	if !ok {
		p.fail(c, domain.Errorf(domain.NotFound, "no such referral"))
		return
	}
	w, err := run(p.request(c, formRevision(c)), currentUser(c).Actor(), id)
	if err == nil {
		p.done(c, w.Position, flash, "/referrals/"+id.String())
		return
	}
	code := domain.ErrorCode(err)
	if code != domain.PreconditionFailed && code != domain.Invalid && code != domain.Conflict {
		p.fail(c, err)
		return
	}
	v, rerr := p.referralView(c, id)
	if rerr != nil {
		p.fail(c, rerr)
		return
	}
	v.Input, v.ActionOn = in, form
	status := http.StatusUnprocessableEntity
	switch code {
	case domain.PreconditionFailed:
		v.Stale, status = true, http.StatusConflict
		v.Title = "Changed: " + v.Title
	case domain.Conflict:
		v.ActionError, status = sentence(domain.ErrorMessage(err)), http.StatusConflict
		v.Title = "Error: " + v.Title
	default:
		names, ok := actionFields[form]
		if !ok {
			names = map[string]string{"text": "note-text", "agreed_close_by": "agreed-close-by",
				"feedback": "feedback", "outcome": "outcome", "comment": "comment", "user_id": "assignee"}
		}
		v.Errors = fieldErrors(err, names)
		v.Title = "Error: " + v.Title
	}
	p.render(c, status, "referral", v)
}

func (p *Pages) acknowledge(c *gin.Context) {
	p.action(c, "acknowledge", formIn{}, "acknowledged", func(ctx context.Context, a domain.Actor, id uuid.UUID) (ledger.Written, error) {
		_, w, err := p.Service.Acknowledge(ctx, a, id)
		return w, err
	})
}

func (p *Pages) assign(c *gin.Context) {
	in := formIn{Assignee: c.PostForm("assignee")}
	p.action(c, "assign", in, "assigned", func(ctx context.Context, a domain.Actor, id uuid.UUID) (ledger.Written, error) {
		user, err := uuid.Parse(in.Assignee)
		if err != nil {
			return ledger.Written{}, domain.InvalidFields(domain.FieldError{Field: "user_id", Message: "choose an adviser"})
		}
		_, w, err := p.Service.Assign(ctx, a, id, user)
		return w, err
	})
}

func (p *Pages) addNote(c *gin.Context) {
	in := formIn{Note: c.PostForm("note-text"), AgreedCloseBy: c.PostForm("agreed-close-by")}
	p.action(c, "note", in, "note", func(ctx context.Context, a domain.Actor, id uuid.UUID) (ledger.Written, error) {
		_, w, err := p.Service.AddNote(ctx, a, id, domain.AddNote{Text: in.Note, AgreedCloseBy: readDate(in.AgreedCloseBy)})
		return w, err
	})
}

func (p *Pages) reviewUrgency(c *gin.Context) {
	in := formIn{Feedback: c.PostForm("feedback")}
	p.action(c, "urgency", in, "urgency", func(ctx context.Context, a domain.Actor, id uuid.UUID) (ledger.Written, error) {
		_, w, err := p.Service.DeclineUrgency(ctx, a, id, in.Feedback)
		return w, err
	})
}

func (p *Pages) closeReferral(c *gin.Context) {
	in := formIn{Outcome: c.PostForm("outcome"), Comment: c.PostForm("comment")}
	p.action(c, "close", in, "closed", func(ctx context.Context, a domain.Actor, id uuid.UUID) (ledger.Written, error) {
		_, w, err := p.Service.Close(ctx, a, id, in.Outcome, in.Comment)
		return w, err
	})
}
