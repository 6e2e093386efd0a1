package web

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/projections"
)

// Case locking (R-LOCK-1..12): the team manager's lock request, the
// service manager's queue of requests to decide, the locked-cases report
// with its review and unlock forms, the responsible person's temporary
// access and messages, and the helpdesk's way of passing information to a
// case's owner. Every action is the ledger service's command with the
// signed-in user as actor, so the pages refuse exactly what the API does.
func init() {
	partials = append(partials, "templates/lock-fields.html")
	addSection(section{
		Nav: []navEntry{
			{Key: "locked-cases", Label: "Locked cases", Path: "/locked-cases", Order: 60, For: lockReportReader},
			{Key: "lock-requests", Label: "Lock requests", Path: "/lock-requests", Order: 61, For: serviceManager},
			{Key: "messages", Label: "Messages", Path: "/messages", Order: 62, For: mayBeResponsible},
			{Key: "pass-information", Label: "Pass information", Path: "/pass-information", Order: 63, For: anyRole(domain.RoleHelpdesk)},
		},
		Mount: func(p *Pages, a *gin.RouterGroup) {
			tm := p.requireRole(teamManager)
			a.GET("/clients/:id/lock-request", tm, p.lockRequestPage)
			a.POST("/clients/:id/lock-request", tm, p.requestLock)
			sm := p.requireRole(serviceManager)
			a.GET("/lock-requests", sm, p.lockRequestsPage)
			a.GET("/lock-requests/:id", sm, p.lockDecisionPage)
			a.POST("/lock-requests/:id", sm, p.decideLock)
			// Who may withdraw a request is the ledger's to say: its maker,
			// or another team manager of the lock's organisation.
			a.GET("/lock-requests/:id/withdraw", p.withdrawLockPage)
			a.POST("/lock-requests/:id/withdraw", p.withdrawLockRequest)
			a.GET("/locked-cases", p.requireRole(lockReportReader), p.lockedCasesPage)
			a.GET("/locked-cases/:id/review", tm, p.lockReviewPage)
			a.POST("/locked-cases/:id/review", tm, p.reviewLock)
			a.GET("/locked-cases/:id/unlock", tm, p.unlockPage)
			a.POST("/locked-cases/:id/unlock", tm, p.requestUnlock)
			a.GET("/locked-cases/:id/serious-case-review", sm, p.seriousCaseReviewPage)
			a.POST("/locked-cases/:id/serious-case-review", sm, p.completeSeriousCaseReview)
			a.GET("/clients/:id/temporary-access", p.temporaryAccessPage)
			a.POST("/clients/:id/temporary-access", p.grantTemporaryAccess)
			a.GET("/clients/:id/temporary-access/:user/end", p.endAccessPage)
			a.POST("/clients/:id/temporary-access/:user/end", p.endTemporaryAccess)
			a.GET("/messages", p.requireRole(mayBeResponsible), p.messagesPage)
			a.GET("/pass-information", p.passInformationPage)
			a.POST("/pass-information", p.passInformation)
		},
		Flashes: map[string]string{
			"lock-requested":     "Lock requested. A service manager of your organisation will decide it.",
			"lock-approved":      "Lock approved. The case is now locked.",
			"lock-refused":       "Lock request refused. The case stays as it was.",
			"unlock-approved":    "Unlock approved. The case is no longer locked.",
			"unlock-refused":     "Unlock request refused. The case stays locked.",
			"lock-reviewed":      "Review recorded. The next review is due in a month.",
			"lock-reviewed-lift": "Review recorded, with a request to unlock the case. A service manager will decide it.",
			"unlock-requested":   "Unlock requested. A service manager of your organisation will decide it.",
			"lock-withdrawn":     "Lock request withdrawn. The case is not locked, and a new request can be made.",
			"unlock-withdrawn":   "Unlock request withdrawn. The case stays locked.",
			"review-completed":   "Serious case review recorded complete. The case stays locked until an unlock is approved.",
			"access-granted":     "Temporary access granted. It ends by itself at the time shown.",
			"access-ended":       "Temporary access ended.",
			"own-access-ended":   "Your temporary access ended.",
			"information-passed": "Sent to the person responsible, if there is one.",
		},
		Labels: map[string]string{
			"responsible": "the responsible person", "lock-reason": "the reason for the lock", "decision-reason": "the reason",
			"decision": "the decision", "keep-locked": "whether the case stays locked", "review-notes": "the notes",
			"unlock-reason": "the reason to unlock", "withdraw-reason": "the reason for withdrawing", "grantee": "the member of staff", "access-reason": "the reason for access",
			"hours": "the number of hours", "case": "the client id or referral reference", "message-text": "the information",
			"allow-other-org": "the team's organisation", "allow-other-team": "the team's name",
			"deny-other-org": "the team's organisation", "deny-other-team": "the team's name",
		},
	})
}

func teamManager(u domain.User) bool    { return anyRole(domain.RoleTeamManager)(u) }
func serviceManager(u domain.User) bool { return anyRole(domain.RoleServiceManager)(u) }

// lockReportReader may read the locked-cases report, as GET
// /v1/locked-cases allows: managers and the coordinator.
func lockReportReader(u domain.User) bool {
	return anyRole(domain.RoleTeamManager, domain.RoleServiceManager, domain.RoleCoordinator)(u)
}

// mayBeResponsible holds a role a case can be locked to (R-LOCK-10):
// casework or manager, never helpdesk.
func mayBeResponsible(u domain.User) bool { return caseworker(u) && !anyRole(domain.RoleHelpdesk)(u) }

// staffView is a member of staff as the forms offer them.
type staffView struct {
	ID           uuid.UUID
	DisplayName  string
	Team         string
	Organisation string // another organisation's name; "" for the user's own
	Checked      bool
}

// counterparts lists the organisations that made or received, with org,
// the client's referrals refs: the other side of its own referrals of the
// client, never who else holds them.
func (p *Pages) counterparts(org uuid.UUID, refs []projections.ReferralSummary) []orgOption {
	var out []orgOption
	for _, r := range refs {
		if r.FromOrganisationID != org && r.ToOrganisationID != org {
			continue
		}
		for _, o := range []uuid.UUID{r.FromOrganisationID, r.ToOrganisationID} {
			if o != org && o != uuid.Nil && !slices.ContainsFunc(out, func(x orgOption) bool { return x.ID == o }) {
				out = append(out, orgOption{ID: o, Name: p.orgName(o)})
			}
		}
	}
	slices.SortFunc(out, func(a, b orgOption) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// othersStaff is staff of the organisations others, each named with its
// organisation, for the lists that may name people outside the user's
// own (allow, deny, short-term access: R-LOCK-1, R-LOCK-4).
func (p *Pages) othersStaff(ctx context.Context, others []orgOption, keep func(domain.User) bool) []staffView {
	var out []staffView
	for _, o := range others {
		for _, s := range p.staff(ctx, o.ID, keep) {
			s.Organisation = o.Name
			out = append(out, s)
		}
	}
	return out
}

// staff are the open accounts of an organisation, by name, with keep
// deciding who is offered.
func (p *Pages) staff(ctx context.Context, org uuid.UUID, keep func(domain.User) bool) []staffView {
	o, err := p.Service.Organisation(ctx, org)
	if err != nil {
		return nil
	}
	var out []staffView
	for _, u := range o.Users {
		if !u.Closed && keep(u) {
			out = append(out, staffView{ID: u.ID, DisplayName: u.DisplayName, Team: u.Team})
		}
	}
	slices.SortFunc(out, func(a, b staffView) int { return strings.Compare(a.DisplayName, b.DisplayName) })
	return out
}

// caseReferences names a client's case by its referrals' references,
// never by the client's data: those the user may know of (R-AUTH-4), the
// referrals their organisation made or received, or every one for a
// network-wide role. A referral between two other organisations is never
// named, not even by its reference. Errors: the views' (ErrUnreadable),
// rather than a case named by no referral.
func (p *Pages) caseReferences(u domain.User, client uuid.UUID) ([]projections.ReferralSummary, error) {
	ids, err := p.Clients.ReferralsOf(client)
	if err != nil {
		return nil, err
	}
	all, err := p.Referrals.ReferencesOf(ids)
	if err != nil {
		return nil, err
	}
	if u.Actor().NetworkWide() {
		return all, nil
	}
	return slices.DeleteFunc(all, func(r projections.ReferralSummary) bool {
		return r.FromOrganisationID != u.OrganisationID && r.ToOrganisationID != u.OrganisationID
	}), nil
}

// partyText says in words whom an allow or deny entry names.
func (p *Pages) partyText(x domain.Party, owner uuid.UUID) string {
	switch {
	case x.UserID != uuid.Nil:
		return p.userName(x.UserID)
	case x.Team != "":
		org := x.OrganisationID
		if org == uuid.Nil {
			org = owner
		}
		return "Team " + x.Team + " (" + p.orgName(org) + ")"
	case x.Role == domain.RoleSystemSupport:
		return "System support"
	case x.Role == domain.RoleEmergencyDuty:
		return "Emergency duty"
	}
	return string(x.Role)
}

func (p *Pages) partiesText(in []domain.Party, owner uuid.UUID) []string {
	out := make([]string, len(in))
	for i, x := range in {
		out[i] = p.partyText(x, owner)
	}
	return out
}

// --- The team manager's lock request (R-LOCK-1, R-LOCK-10, R-LOCK-11) ---

type lockRequestForm struct {
	Responsible, Reason             string
	AllowUsers, AllowTeams          []string
	DenyUsers, DenyTeams, DenyRoles []string
	Hide, SeriousCaseReview         bool
	// A team of another organisation involved with the client, to allow
	// or to refuse (R-LOCK-11): its organisation's id and the team's name.
	AllowOtherOrg, AllowOtherTeam string
	DenyOtherOrg, DenyOtherTeam   string
	Referral                      string // the referral page the manager came from, to go back to
}

type lockRequestView struct {
	layout
	ClientID    uuid.UUID
	References  []projections.ReferralSummary
	Form        lockRequestForm
	Responsible []staffView // who the case can be locked to
	Staff       []staffView // the organisation's staff, for the deny list
	Allowable   []staffView // those a lock can let in: never helpdesk (R-LOCK-2)
	Teams       []string
	Others      []orgOption // the other organisations involved with the client, for their teams
	Conflict    string
}

// orgOption is an organisation as a select offers it.
type orgOption struct {
	ID   uuid.UUID
	Name string
}

func (v lockRequestView) Has(list []string, value string) bool { return slices.Contains(list, value) }

// clientID reads the :id of a client's page.
func clientID(c *gin.Context) (uuid.UUID, bool) { return pathID(c) }

func (p *Pages) lockRequestView(c *gin.Context, client uuid.UUID, f lockRequestForm) (lockRequestView, error) {
	u := currentUser(c)
	ctx := c.Request.Context()
	refs, err := p.caseReferences(currentUser(c), client)
	if err != nil {
		return lockRequestView{}, err
	}
	v := lockRequestView{layout: p.base(c, "Request a case lock", ""), ClientID: client, Form: f, References: refs}
	v.Responsible = p.staff(ctx, u.OrganisationID, mayBeResponsible)
	v.Staff = p.staff(ctx, u.OrganisationID, func(domain.User) bool { return true })
	v.Allowable = p.staff(ctx, u.OrganisationID, func(s domain.User) bool { return !s.Actor().Has(domain.RoleHelpdesk) })
	for _, s := range v.Staff {
		if s.Team != "" && !slices.Contains(v.Teams, s.Team) {
			v.Teams = append(v.Teams, s.Team)
		}
	}
	slices.Sort(v.Teams)
	v.Others = p.counterparts(u.OrganisationID, v.References)
	// People of the other organisations involved may be let in or kept
	// out by name too, after the organisation's own (its teams are those
	// of its own staff; another's are named with their organisation).
	v.Staff = append(v.Staff, p.othersStaff(ctx, v.Others, func(domain.User) bool { return true })...)
	v.Allowable = append(v.Allowable, p.othersStaff(ctx, v.Others, func(s domain.User) bool { return !s.Actor().Has(domain.RoleHelpdesk) })...)
	return v, nil
}

// otherTeam reads a team of another organisation from the form, as an
// allow or deny entry; half of one is an error on the half missing.
func otherTeam(org, team, prefix string, fe *[]domain.FieldError) (domain.Party, bool) {
	team = strings.TrimSpace(team)
	id, err := uuid.Parse(org)
	switch {
	case org == "" && team == "":
		return domain.Party{}, false
	case org == "" || err != nil:
		*fe = append(*fe, domain.FieldError{Field: prefix + "-other-org", Message: "Choose the organisation the team belongs to"})
	case team == "":
		*fe = append(*fe, domain.FieldError{Field: prefix + "-other-team", Message: "Enter the name of the team"})
	default:
		return domain.Party{Team: team, OrganisationID: id}, true
	}
	return domain.Party{}, false
}

// lockRequestPage is the form, for a team manager whose organisation holds
// the client: anyone else gets what the API's lock request would answer.
func (p *Pages) lockRequestPage(c *gin.Context) {
	client, ok := clientID(c)
	if !ok {
		p.fail(c, domain.Errorf(domain.NotFound, "no such client"))
		return
	}
	if err := p.Service.MayRequestLock(p.request(c, nil), currentUser(c).Actor(), client, p.caseIndex()); err != nil {
		p.fail(c, err)
		return
	}
	f := lockRequestForm{Referral: c.Query("referral")}
	if _, err := uuid.Parse(f.Referral); err != nil {
		f.Referral = ""
	}
	v, err := p.lockRequestView(c, client, f)
	if err != nil {
		p.fail(c, err)
		return
	}
	p.render(c, http.StatusOK, "lock-request", v)
}

func (p *Pages) requestLock(c *gin.Context) {
	client, ok := clientID(c)
	if !ok {
		p.fail(c, domain.Errorf(domain.NotFound, "no such client"))
		return
	}
	_ = c.Request.ParseForm()
	f := lockRequestForm{Responsible: c.PostForm("responsible"), Reason: c.PostForm("lock-reason"),
		AllowUsers: c.PostFormArray("allow-user"), AllowTeams: c.PostFormArray("allow-team"),
		DenyUsers: c.PostFormArray("deny-user"), DenyTeams: c.PostFormArray("deny-team"), DenyRoles: c.PostFormArray("deny-role"),
		Hide: c.PostForm("hide") == "yes", SeriousCaseReview: c.PostForm("serious-case-review") == "yes", Referral: c.PostForm("referral"),
		AllowOtherOrg: c.PostForm("allow-other-org"), AllowOtherTeam: c.PostForm("allow-other-team"),
		DenyOtherOrg: c.PostForm("deny-other-org"), DenyOtherTeam: c.PostForm("deny-other-team")}
	if _, err := uuid.Parse(f.Referral); err != nil {
		f.Referral = ""
	}
	responsible, _ := uuid.Parse(f.Responsible)
	cmd := domain.RequestLock{ClientID: client, ResponsibleUserID: responsible, Reason: strings.TrimSpace(f.Reason),
		HideNotification: f.Hide, SeriousCaseReview: f.SeriousCaseReview, Allow: []domain.Party{}, Deny: []domain.Party{}}
	for _, s := range f.AllowUsers {
		if id, err := uuid.Parse(s); err == nil {
			cmd.Allow = append(cmd.Allow, domain.Party{UserID: id})
		}
	}
	for _, t := range f.AllowTeams {
		cmd.Allow = append(cmd.Allow, domain.Party{Team: t})
	}
	for _, s := range f.DenyUsers {
		if id, err := uuid.Parse(s); err == nil {
			cmd.Deny = append(cmd.Deny, domain.Party{UserID: id})
		}
	}
	for _, t := range f.DenyTeams {
		cmd.Deny = append(cmd.Deny, domain.Party{Team: t})
	}
	for _, r := range f.DenyRoles {
		cmd.Deny = append(cmd.Deny, domain.Party{Role: domain.Role(r)})
	}
	// The other organisation's teams go last, so the ledger's errors on
	// them (allow[i]…) are known by their index.
	var fe []domain.FieldError
	allowOther, denyOther := -1, -1
	if x, ok := otherTeam(f.AllowOtherOrg, f.AllowOtherTeam, "allow", &fe); ok {
		allowOther, cmd.Allow = len(cmd.Allow), append(cmd.Allow, x)
	}
	if x, ok := otherTeam(f.DenyOtherOrg, f.DenyOtherTeam, "deny", &fe); ok {
		denyOther, cmd.Deny = len(cmd.Deny), append(cmd.Deny, x)
	}
	// A half-filled entry goes to the ledger with the rest of the form, so
	// the page lists every mistake at once; the ledger refuses it.
	cmd.Refused = fe
	_, w, err := p.Service.RequestLock(p.request(c, nil), currentUser(c).Actor(), cmd, p.caseIndex())
	if err == nil {
		if err := p.settle(c.Request.Context(), w.Position); err != nil {
			p.fail(c, err)
			return
		}
		p.flash(c, "lock-requested")
		if f.Referral != "" {
			c.Redirect(http.StatusSeeOther, "/referrals/"+f.Referral)
			return
		}
		c.Redirect(http.StatusSeeOther, "/locked-cases")
		return
	}
	code := domain.ErrorCode(err)
	if code != domain.Invalid && code != domain.Conflict {
		p.fail(c, err)
		return
	}
	v, verr := p.lockRequestView(c, client, f)
	if verr != nil {
		p.fail(c, verr)
		return
	}
	v.Title = "Error: " + v.Title
	status := http.StatusUnprocessableEntity
	if code == domain.Conflict {
		v.Conflict, status = sentence(domain.ErrorMessage(err)), http.StatusConflict
	} else {
		v.Errors = fieldErrors(err, map[string]string{"responsible_user_id": "responsible", "reason": "lock-reason"})
		for i := range v.Errors {
			field := v.Errors[i].Field
			for _, list := range []struct {
				name  string
				other int
			}{{"allow", allowOther}, {"deny", denyOther}} {
				switch {
				case !strings.HasPrefix(field, list.name) || strings.HasPrefix(field, list.name+"-other-"):
				case list.other >= 0 && field == list.name+"["+strconv.Itoa(list.other)+"]-organisation-id":
					v.Errors[i].Field = list.name + "-other-org"
				case list.other >= 0 && strings.HasPrefix(field, list.name+"["+strconv.Itoa(list.other)+"]"):
					v.Errors[i].Field = list.name + "-other-team"
				default:
					v.Errors[i].Field = list.name + "-user"
				}
			}
		}
	}
	p.render(c, status, "lock-request", v)
}

// --- The service manager's queue (R-LOCK-6, R-LOCK-10) ---

type lockRequestItemView struct {
	ledger.LockRequestItem
	References          []projections.ReferralSummary
	RequestedByName     string
	ResponsibleName     string
	AllowText, DenyText []string
}

type lockRequestsView struct {
	layout
	Items []lockRequestItemView
}

func (p *Pages) awaiting(c *gin.Context) ([]lockRequestItemView, error) {
	if err := p.settleHead(c.Request.Context()); err != nil {
		return nil, err
	}
	u := currentUser(c)
	items, err := p.Service.LockRequestsAwaiting(p.request(c, nil), u.Actor(), p.Locks)
	if err != nil {
		return nil, err
	}
	out := make([]lockRequestItemView, len(items))
	for i, it := range items {
		refs, err := p.caseReferences(currentUser(c), it.ClientID)
		if err != nil {
			return nil, err
		}
		out[i] = lockRequestItemView{LockRequestItem: it, References: refs,
			RequestedByName: p.userName(it.RequestedBy), ResponsibleName: p.userName(it.ResponsibleUserID),
			AllowText: p.partiesText(it.Allow, u.OrganisationID), DenyText: p.partiesText(it.Deny, u.OrganisationID)}
	}
	return out, nil
}

func (p *Pages) lockRequestsPage(c *gin.Context) {
	items, err := p.awaiting(c)
	if err != nil {
		p.fail(c, err)
		return
	}
	p.render(c, http.StatusOK, "lock-requests", lockRequestsView{layout: p.base(c, "Lock requests", "lock-requests"), Items: items})
}

type lockDecisionView struct {
	layout
	Item             lockRequestItemView
	Decision, Reason string
	Confirm          bool
}

// queued finds a request in the user's queue. One decided already, which
// the user could have decided, says so, and how (a decision sent twice, or
// its page opened again after deciding), or that it was withdrawn; any other is not theirs to
// decide, and is answered as not found.
func (p *Pages) queued(c *gin.Context) (lockRequestItemView, bool) {
	id, ok := pathID(c)
	if !ok {
		p.fail(c, domain.Errorf(domain.NotFound, "no such lock request"))
		return lockRequestItemView{}, false
	}
	items, err := p.awaiting(c)
	if err != nil {
		p.fail(c, err)
		return lockRequestItemView{}, false
	}
	for _, it := range items {
		if it.ID == id {
			return it, true
		}
	}
	u := currentUser(c)
	d, err := p.Service.LockRequestDecision(p.request(c, nil), u.Actor(), id, p.Locks)
	if err != nil {
		p.fail(c, err)
		return lockRequestItemView{}, false
	}
	// The page's title is its h1 (lock-decided.html), as on every page.
	kind := "lock"
	if d.Unlock {
		kind = "unlock"
	}
	title := "This " + kind + " request was already decided"
	if d.Withdrawn {
		title = "This " + kind + " request was withdrawn"
	}
	refs, err := p.caseReferences(u, d.ClientID)
	if err != nil {
		p.fail(c, err)
		return lockRequestItemView{}, false
	}
	v := lockDecidedView{layout: p.base(c, title, "lock-requests"), Decided: d,
		References: refs, By: p.userName(d.DecidedBy), Sent: c.Request.Method == http.MethodPost}
	if d.DecidedBy == u.ID {
		v.By = "You"
	}
	status := http.StatusOK
	if v.Sent {
		status = http.StatusConflict // as the API answers a decision of a request already decided
		v.Title = "Error: " + v.Title
	}
	p.render(c, status, "lock-decided", v)
	return lockRequestItemView{}, false
}

// lockDecidedView is the page of a request decided already.
type lockDecidedView struct {
	layout
	Decided    ledger.LockRequestDecided
	References []projections.ReferralSummary
	By         string // who decided it, "You" for the user
	Sent       bool   // the user sent a decision, which was not recorded
}

func (p *Pages) lockDecisionPage(c *gin.Context) {
	it, ok := p.queued(c)
	if !ok {
		return
	}
	p.renderDecision(c, http.StatusOK, lockDecisionView{layout: p.base(c, decisionTitle(it), "lock-requests"), Item: it})
}

// renderDecision shows a request's page with its reason, whose reading is
// recorded in the client's access log first (R-LOCK-9).
func (p *Pages) renderDecision(c *gin.Context, status int, v lockDecisionView) {
	read, err := p.Service.ReadLockRequests(p.request(c, nil), currentUser(c).Actor(), []ledger.LockRequestItem{v.Item.LockRequestItem})
	if err != nil {
		p.fail(c, err)
		return
	}
	v.Item.LockRequestItem = read[0]
	p.render(c, status, "lock-decision", v)
}

func decisionTitle(it lockRequestItemView) string {
	if it.Unlock {
		return "Decide an unlock request"
	}
	return "Decide a lock request"
}

// decideLock takes the decision in two steps: the form, then a page to
// check it; only the confirmed decision goes to the ledger.
func (p *Pages) decideLock(c *gin.Context) {
	it, ok := p.queued(c)
	if !ok {
		return
	}
	v := lockDecisionView{layout: p.base(c, decisionTitle(it), "lock-requests"), Item: it,
		Decision: c.PostForm("decision"), Reason: strings.TrimSpace(c.PostForm("decision-reason"))}
	switch {
	case v.Decision != "approve" && v.Decision != "refuse":
		v.Errors = append(v.Errors, fieldError{Field: "decision", Message: "Choose whether to approve or refuse the request"})
	case v.Decision == "refuse" && v.Reason == "" && !it.Erased:
		// Once the client's data is erased no reason can be kept: a
		// refusal is recorded without one (the form asks for none).
		v.Errors = append(v.Errors, fieldError{Field: "decision-reason", Message: "Enter the reason for refusing"})
	}
	if len(v.Errors) > 0 {
		v.Title = "Error: " + v.Title
		p.renderDecision(c, http.StatusUnprocessableEntity, v)
		return
	}
	if c.PostForm("confirm") != "yes" {
		v.Confirm, v.Title = true, "Check your decision"
		p.renderDecision(c, http.StatusOK, v)
		return
	}
	approve := v.Decision == "approve"
	_, unlock, w, err := p.Service.DecideLockRequest(p.request(c, nil), currentUser(c).Actor(), it.ID, approve, v.Reason, p.Locks, p.caseIndex())
	if err != nil {
		if domain.ErrorCode(err) == domain.Invalid {
			v.Errors = fieldErrors(err, map[string]string{"reason": "decision-reason", "approve": "decision"})
			v.Title = "Error: " + v.Title
			p.renderDecision(c, http.StatusUnprocessableEntity, v)
			return
		}
		p.fail(c, err)
		return
	}
	if err := p.settle(c.Request.Context(), w.Position); err != nil {
		p.fail(c, err)
		return
	}
	key := map[[2]bool]string{{false, true}: "lock-approved", {false, false}: "lock-refused",
		{true, true}: "unlock-approved", {true, false}: "unlock-refused"}[[2]bool{unlock, approve}]
	p.flash(c, key)
	c.Redirect(http.StatusSeeOther, "/lock-requests")
}

// --- Withdrawing a request (R-LOCK-1, R-LOCK-6, R-LOCK-10) ---

// withdrawableUnlock is the page withdrawing the unlock request waiting
// on a locked case, when actor may withdraw it, or "".
func withdrawableUnlock(l domain.Lock, actor domain.Actor) string {
	if id, unlock, ok := l.WithdrawableBy(actor); ok && unlock {
		return "/lock-requests/" + id.String() + "/withdraw"
	}
	return ""
}

// lockWithdrawView is the page that takes back a lock or unlock request
// still waiting for a decision, as POST /v1/lock-requests/{id}/withdrawal
// does: what the request is, and a reason. The request's own reason is
// not shown: it is the client's data, and withdrawing needs none of it.
type lockWithdrawView struct {
	layout
	Request     ledger.LockRequestView
	References  []projections.ReferralSummary
	RequestedBy string // who asked, "you" for the user
	Referral    string // the referral page to go back to, if any
	Reason      string
	Erased      bool   // the client's data is erased: no reason can be kept
	Conflict    string // why it can no longer be withdrawn
}

// withdrawView finds the request at the path as the user may see it: its
// maker, those who may decide or withdraw it; anyone else gets what the
// API's GET of it answers (R-LOCK-12).
func (p *Pages) withdrawView(c *gin.Context) (lockWithdrawView, bool) {
	id, ok := pathID(c)
	if !ok {
		p.fail(c, domain.Errorf(domain.NotFound, "no such lock request"))
		return lockWithdrawView{}, false
	}
	if err := p.settleHead(c.Request.Context()); err != nil {
		p.fail(c, err)
		return lockWithdrawView{}, false
	}
	u := currentUser(c)
	// The page shows no reason: it reads none, and records no read of the
	// case (R-LOCK-9).
	r, err := p.Service.LockRequestStanding(p.request(c, nil), u.Actor(), id, p.Locks, p.caseIndex())
	if err != nil {
		p.fail(c, err)
		return lockWithdrawView{}, false
	}
	title := "Withdraw a lock request"
	if r.Unlock {
		title = "Withdraw an unlock request"
	}
	referral := c.Query("referral")
	if c.Request.Method == http.MethodPost {
		referral = c.PostForm("referral")
	}
	if _, err := uuid.Parse(referral); err != nil {
		referral = ""
	}
	// Opened from a referral's page, it is one of that case's pages, as
	// the page requesting a lock is, and no menu entry is current; from
	// the locked-cases report, that entry is.
	nav := "locked-cases"
	if referral != "" {
		nav = ""
	}
	refs, err := p.caseReferences(u, r.ClientID)
	if err != nil {
		p.fail(c, err)
		return lockWithdrawView{}, false
	}
	v := lockWithdrawView{layout: p.base(c, title, nav), Request: r, References: refs,
		RequestedBy: p.userName(r.RequestedBy), Erased: p.Clients.IsErased(r.ClientID), Referral: referral}
	if r.RequestedBy == u.ID {
		v.RequestedBy = "you"
	}
	switch {
	case r.Status == "withdrawn":
		v.Conflict = "This request was already withdrawn."
	case r.Status != "requested":
		v.Conflict = "This request was already decided: it can no longer be withdrawn."
	case !r.MayWithdraw:
		p.fail(c, domain.Errorf(domain.Forbidden, "only the team manager who made the request, or another team manager of the organisation it belongs to, can withdraw it"))
		return lockWithdrawView{}, false
	}
	return v, true
}

// withdrawLockPage asks to confirm the withdrawal, with its reason.
func (p *Pages) withdrawLockPage(c *gin.Context) {
	v, ok := p.withdrawView(c)
	if !ok {
		return
	}
	p.render(c, http.StatusOK, "lock-withdraw", v)
}

// withdrawLockRequest takes the request back: to the referral the user
// came from, or the locked cases, with a confirmation; the form again,
// with the error summary, when the reason is missing.
func (p *Pages) withdrawLockRequest(c *gin.Context) {
	v, ok := p.withdrawView(c)
	if !ok {
		return
	}
	v.Reason = strings.TrimSpace(c.PostForm("withdraw-reason"))
	status := http.StatusConflict
	if v.Conflict == "" {
		_, unlock, w, err := p.Service.WithdrawLockRequest(p.request(c, nil), currentUser(c).Actor(), v.Request.ID, v.Reason, p.Locks, p.caseIndex())
		if err == nil {
			next := "/locked-cases"
			if v.Referral != "" {
				next = "/referrals/" + v.Referral
			}
			p.done(c, w.Position, map[bool]string{false: "lock-withdrawn", true: "unlock-withdrawn"}[unlock], next)
			return
		}
		switch domain.ErrorCode(err) {
		case domain.Invalid:
			v.Errors, status = fieldErrors(err, map[string]string{"reason": "withdraw-reason"}), http.StatusUnprocessableEntity
		case domain.Conflict:
			v.Conflict = sentence(domain.ErrorMessage(err))
		default:
			p.fail(c, err)
			return
		}
	}
	v.Title = "Error: " + v.Title
	p.render(c, status, "lock-withdraw", v)
}

// --- The locked-cases report (R-LOCK-5, R-LOCK-7) ---

type accessView struct {
	Kind, Who string
	Expires   time.Time
	Denied    bool
	UserID    uuid.UUID
	// RefusedNow marks a live temporary grant the lock refuses all the
	// same: its holder is helpdesk staff now, or the deny list names them.
	RefusedNow bool
}

type lockedCaseView struct {
	ClientID     uuid.UUID
	References   []projections.ReferralSummary
	Organisation string
	Responsible  string
	RequestedBy  string
	ApprovedBy   string
	LockedAt     time.Time
	ReviewDue    time.Time
	Overdue      bool
	DueSoon      bool
	Hidden       bool
	Review       bool // a serious case review keeps it locked
	// CanCompleteReview: the user records that serious case review complete
	// (a service manager of the owning organisation who did not ask for the lock).
	CanCompleteReview bool
	UnlockRequested   bool
	Access            []accessView
	Temporary         []accessView
	CanReview         bool // a team manager of the owning organisation
	IsResponsible     bool
	// AccessLog: the case's access log, for a user GET
	// /v1/clients/{id}/access-log answers (the responsible person, the
	// coordinator; R-LOCK-9), through its first referral; "" otherwise.
	AccessLog string
	// WithdrawUnlock: the page withdrawing the unlock request waiting on
	// the case, for a user who may (R-LOCK-6, R-LOCK-10); "" when none.
	WithdrawUnlock string
}

type lockedCasesView struct {
	layout
	Cases                   []lockedCaseView
	Overdue, DueSoon, Total int
	Network                 bool // every locked case in the network, the coordinator's report
}

// accessList is the access a locked case grants now, as the API's report
// lists it (R-LOCK-7, domain.Lock.AccessNow): nobody listed as let in is
// refused. temporary is the live grants, for the responsible person who
// made them to see and end, with those the lock refuses now (the grantee
// given the helpdesk role, or moved into a team it refuses) marked.
func (p *Pages) accessList(l domain.Lock, now time.Time) (all, temporary []accessView) {
	for _, e := range l.AccessNow(p.Orgs.UserByID, now) {
		a := accessView{Expires: e.ExpiresAt, UserID: e.UserID}
		x := domain.Party{UserID: e.UserID, Team: e.Team, OrganisationID: e.TeamOrganisationID, Role: e.Role}
		switch e.Kind {
		case string(domain.GrantResponsible):
			a.Kind, a.Who = "Responsible person", p.userName(e.UserID)
		case string(domain.GrantAllowedUser):
			a.Kind, a.Who = "Allowed user", p.partyText(x, l.OwningOrganisationID)
		case string(domain.GrantAllowedTeam):
			a.Kind, a.Who = "Allowed team", p.partyText(x, l.OwningOrganisationID)
		case string(domain.GrantTemporary):
			a.Kind, a.Who = "Temporary access", p.userName(e.UserID)
		case string(domain.GrantAutomaticRole):
			a.Kind, a.Who = "By role", p.partyText(x, uuid.Nil)
		default:
			a.Kind, a.Who, a.Denied = "Denied", p.partyText(x, l.OwningOrganisationID), true
		}
		all = append(all, a)
	}
	for _, g := range l.Grants {
		if g.Live(now) {
			a := accessView{Kind: "Temporary access", Who: p.userName(g.UserID), Expires: g.ExpiresAt, UserID: g.UserID}
			a.RefusedNow = !l.Lets(p.Orgs.UserByID, g.UserID, now)
			temporary = append(temporary, a)
		}
	}
	return all, temporary
}

// lockedCasesPage is GET /v1/locked-cases as a page: a manager's own
// locked cases (requested, approved or responsible for), the
// coordinator's every one but those whose lock refuses them, by review
// date.
func (p *Pages) lockedCasesPage(c *gin.Context) {
	u := currentUser(c)
	actor := u.Actor()
	network := actor.Has(domain.RoleCoordinator)
	if err := p.settleHead(c.Request.Context()); err != nil {
		p.fail(c, err)
		return
	}
	now := p.Service.Now()
	v := lockedCasesView{layout: p.base(c, "Locked cases", "locked-cases"), Network: network}
	// The coordinator's every one, but those whose lock refuses them
	// (R-LOCK-2, R-LOCK-12).
	var cases []projections.LockedCase
	if network {
		cases = p.Locks.CoordinatorLockedCases(actor)
	} else {
		cases = p.Locks.LockedCases(actor)
	}
	for _, lc := range cases {
		l := lc.Lock
		refs, err := p.caseReferences(currentUser(c), lc.ClientID)
		if err != nil {
			p.fail(c, err)
			return
		}
		cv := lockedCaseView{ClientID: lc.ClientID, References: refs, Organisation: p.orgName(l.OwningOrganisationID),
			Responsible: p.userName(l.ResponsibleUserID), RequestedBy: p.userName(l.RequestedBy), ApprovedBy: p.userName(l.ApprovedBy),
			LockedAt: l.LockedAt, ReviewDue: l.ReviewDue(), Overdue: l.ReviewOverdue(now), Hidden: l.HideNotification,
			Review: l.SeriousCaseReview && !l.SeriousCaseReviewEnd, UnlockRequested: l.UnlockRequestID != uuid.Nil,
			CanReview: l.ReviewableBy(actor), IsResponsible: l.ResponsibleUserID == u.ID,
			WithdrawUnlock:    withdrawableUnlock(l, actor),
			CanCompleteReview: l.SeriousCaseReviewCompletableBy(actor)}
		cv.DueSoon = !cv.Overdue && l.ReviewDue().Sub(now) <= 7*24*time.Hour
		cv.AccessLog = p.accessLogLink(u, lc.ClientID, refs)
		cv.Access, cv.Temporary = p.accessList(l, now)
		switch {
		case cv.Overdue:
			v.Overdue++
		case cv.DueSoon:
			v.DueSoon++
		}
		v.Cases = append(v.Cases, cv)
	}
	v.Total = len(v.Cases)
	p.render(c, http.StatusOK, "locked-cases", v)
}

// --- Review and unlock request (R-LOCK-5, R-LOCK-6, R-LOCK-10) ---

type lockReviewView struct {
	layout
	ClientID            uuid.UUID
	References          []projections.ReferralSummary
	ReviewDue           time.Time
	Overdue             bool
	UnlockRequested     bool
	Keep, Notes, Reason string
	Conflict            string
	// Erased: the client's data is erased, so the review's notes or the
	// unlock's reason cannot be kept, and go without (R-PRIV-3, R-LOCK-6).
	Erased bool
}

// reviewable finds a locked case the user reviews; any other is not
// found, as the API's review of it would answer (R-LOCK-12).
func (p *Pages) reviewable(c *gin.Context) (uuid.UUID, domain.Lock, bool) {
	client, ok := clientID(c)
	if ok {
		if l := p.Locks.LockOf(client); l.ReviewableBy(currentUser(c).Actor()) {
			return client, l, true
		}
	}
	p.fail(c, domain.Errorf(domain.NotFound, "no such client"))
	return uuid.Nil, domain.Lock{}, false
}

func (p *Pages) reviewView(c *gin.Context, title string, client uuid.UUID, l domain.Lock) (lockReviewView, error) {
	refs, err := p.caseReferences(currentUser(c), client)
	if err != nil {
		return lockReviewView{}, err
	}
	return lockReviewView{layout: p.base(c, title, "locked-cases"), ClientID: client, References: refs,
		ReviewDue: l.ReviewDue(), Overdue: l.ReviewOverdue(p.Service.Now()), UnlockRequested: l.UnlockRequestID != uuid.Nil,
		Erased: p.Clients.IsErased(client)}, nil
}

func (p *Pages) lockReviewPage(c *gin.Context) {
	client, l, ok := p.reviewable(c)
	if !ok {
		return
	}
	v, err := p.reviewView(c, "Review a locked case", client, l)
	if err != nil {
		p.fail(c, err)
		return
	}
	p.render(c, http.StatusOK, "lock-review", v)
}

func (p *Pages) reviewLock(c *gin.Context) {
	client, ok := clientID(c)
	if !ok {
		p.fail(c, domain.Errorf(domain.NotFound, "no such client"))
		return
	}
	keep, notes := c.PostForm("keep-locked"), strings.TrimSpace(c.PostForm("review-notes"))
	ctx := p.request(c, nil)
	missing := domain.FieldError{Field: "keep_locked", Message: "choose whether the case stays locked"}
	chosen := keep == "yes" || keep == "no"
	if !chosen {
		// Named after the checks of who may review the case, as the API
		// does, so that whoever may not learns nothing of it from the
		// form drawn again (R-LOCK-12); nothing is recorded.
		ctx = ledger.WithRefused(ctx, []domain.FieldError{missing})
	}
	_, w, err := p.Service.ReviewLock(ctx, currentUser(c).Actor(), client, keep != "no", notes, p.caseIndex())
	if !chosen && domain.ErrorCode(err) == domain.Invalid {
		if fe := domain.ErrorFields(err); !slices.ContainsFunc(fe, func(f domain.FieldError) bool { return f.Field == missing.Field }) {
			err = domain.InvalidFields(append([]domain.FieldError{missing}, fe...)...)
		}
	}
	if err == nil {
		p.done(c, w.Position, map[bool]string{true: "lock-reviewed", false: "lock-reviewed-lift"}[keep == "yes"], "/locked-cases")
		return
	}
	p.lockFormError(c, err, "lock-review", "Review a locked case", client, func(v *lockReviewView) {
		v.Keep, v.Notes = keep, notes
		v.Errors = fieldErrors(err, map[string]string{"keep_locked": "keep-locked", "notes": "review-notes"})
	})
}

// lockFormError draws a review or unlock form again with what the user
// entered and the ledger's refusal; other refusals are the error page. A
// conflict naming a field (a review asking for an unlock nobody could
// decide) is the error summary linking to it, as a mistake in the form
// is; any other is said above the form.
func (p *Pages) lockFormError(c *gin.Context, err error, page, title string, client uuid.UUID, fill func(*lockReviewView)) {
	code := domain.ErrorCode(err)
	if code != domain.Invalid && code != domain.Conflict {
		p.fail(c, err)
		return
	}
	v, verr := p.reviewView(c, "Error: "+title, client, p.Locks.LockOf(client))
	if verr != nil {
		p.fail(c, verr)
		return
	}
	fill(&v)
	status := http.StatusUnprocessableEntity
	if code == domain.Conflict {
		status = http.StatusConflict
		if len(domain.ErrorFields(err)) == 0 {
			v.Errors, v.Conflict = nil, sentence(domain.ErrorMessage(err))
		}
	}
	p.render(c, status, page, v)
}

func (p *Pages) unlockPage(c *gin.Context) {
	client, l, ok := p.reviewable(c)
	if !ok {
		return
	}
	v, err := p.reviewView(c, "Ask to unlock a case", client, l)
	if err != nil {
		p.fail(c, err)
		return
	}
	if !v.UnlockRequested {
		// Nobody could decide it: said now, not after the form is sent
		// (R-LOCK-6, R-LOCK-10).
		if err := p.Service.UnlockDecidable(p.request(c, nil), currentUser(c).Actor(), l); err != nil {
			if domain.ErrorCode(err) != domain.Conflict {
				p.fail(c, err)
				return
			}
			v.Conflict = sentence(domain.ErrorMessage(err))
		}
	}
	p.render(c, http.StatusOK, "unlock-request", v)
}

func (p *Pages) requestUnlock(c *gin.Context) {
	client, ok := clientID(c)
	if !ok {
		p.fail(c, domain.Errorf(domain.NotFound, "no such client"))
		return
	}
	reason := strings.TrimSpace(c.PostForm("unlock-reason"))
	_, w, err := p.Service.RequestUnlock(p.request(c, nil), currentUser(c).Actor(), client, reason, p.caseIndex())
	if err == nil {
		p.done(c, w.Position, "unlock-requested", "/locked-cases")
		return
	}
	p.lockFormError(c, err, "unlock-request", "Ask to unlock a case", client, func(v *lockReviewView) {
		v.Reason = reason
		v.Errors = fieldErrors(err, map[string]string{"reason": "unlock-reason"})
	})
}

// --- The end of a serious case review (R-LOCK-6, R-LOCK-10) ---

// seriousCaseReviewPage asks a service manager of the lock's organisation
// to confirm that the serious case review the case is locked for is over,
// as POST /v1/clients/{id}/serious-case-review-completion records it. A
// case whose review they may not record complete is not found, as the
// review and unlock pages answer (R-LOCK-12).
func (p *Pages) seriousCaseReviewPage(c *gin.Context) {
	client, ok := clientID(c)
	if ok {
		if l := p.Locks.LockOf(client); l.SeriousCaseReviewCompletableBy(currentUser(c).Actor()) {
			v, err := p.reviewView(c, "Record the serious case review complete", client, l)
			if err != nil {
				p.fail(c, err)
				return
			}
			p.render(c, http.StatusOK, "serious-case-review", v)
			return
		}
	}
	p.fail(c, domain.Errorf(domain.NotFound, "no such client"))
}

func (p *Pages) completeSeriousCaseReview(c *gin.Context) {
	client, ok := clientID(c)
	if !ok {
		p.fail(c, domain.Errorf(domain.NotFound, "no such client"))
		return
	}
	w, err := p.Service.CompleteSeriousCaseReview(p.request(c, nil), currentUser(c).Actor(), client, p.caseIndex())
	if err == nil {
		p.done(c, w.Position, "review-completed", "/locked-cases")
		return
	}
	p.lockFormError(c, err, "serious-case-review", "Record the serious case review complete", client, func(*lockReviewView) {})
}

// --- The responsible person's temporary access (R-LOCK-4) ---

type temporaryAccessView struct {
	layout
	ClientID               uuid.UUID
	References             []projections.ReferralSummary
	Temporary              []accessView
	Staff                  []staffView
	Grantee, Reason, Hours string
	Conflict               string
	// Erased: the client's data is erased: there is nothing left to see,
	// and no reason for access could be kept (R-PRIV-3).
	Erased bool
}

func (p *Pages) temporaryAccessView(c *gin.Context) (temporaryAccessView, bool) {
	client, ok := clientID(c)
	if !ok {
		p.fail(c, domain.Errorf(domain.NotFound, "no such client"))
		return temporaryAccessView{}, false
	}
	if err := p.settleHead(c.Request.Context()); err != nil {
		p.fail(c, err)
		return temporaryAccessView{}, false
	}
	u := currentUser(c)
	acc, err := p.Service.TemporaryAccessOf(p.request(c, nil), u.Actor(), client, p.caseIndex())
	if err != nil {
		p.fail(c, err)
		return temporaryAccessView{}, false
	}
	now := p.Service.Now()
	refs, err := p.caseReferences(currentUser(c), client)
	if err != nil {
		p.fail(c, err)
		return temporaryAccessView{}, false
	}
	v := temporaryAccessView{layout: p.base(c, "Temporary access", "messages"), ClientID: client, References: refs, Hours: "1",
		Erased: p.Clients.IsErased(client)}
	_, v.Temporary = p.accessList(acc.Lock, now)
	grantable := func(s domain.User) bool {
		a := s.Actor()
		_, in := domain.LockAccess(acc.Lock, a, now)
		return !in && !a.Has(domain.RoleHelpdesk) && !acc.Lock.Denies(a)
	}
	v.Staff = p.staff(c.Request.Context(), acc.Lock.OwningOrganisationID, grantable)
	// And the people of the other organisations involved with the client
	// (the receiving adviser of a case the referrer locked, say).
	v.Staff = append(v.Staff, p.othersStaff(c.Request.Context(),
		p.counterparts(acc.Lock.OwningOrganisationID, v.References), grantable)...)
	return v, true
}

func (p *Pages) temporaryAccessPage(c *gin.Context) {
	v, ok := p.temporaryAccessView(c)
	if !ok {
		return
	}
	p.render(c, http.StatusOK, "temporary-access", v)
}

func (p *Pages) grantTemporaryAccess(c *gin.Context) {
	client, ok := clientID(c)
	if !ok {
		p.fail(c, domain.Errorf(domain.NotFound, "no such client"))
		return
	}
	grantee, reason, hoursText := c.PostForm("grantee"), strings.TrimSpace(c.PostForm("access-reason")), strings.TrimSpace(c.PostForm("hours"))
	// What the form cannot read goes to the ledger as nobody and no hours,
	// which it refuses along with anything else wrong (the reason): the
	// page lists every mistake at once, in the form's own words.
	user, uerr := uuid.Parse(grantee)
	hours, _ := strconv.Atoi(hoursText) // 0 when it is no number: refused
	_, w, err := p.Service.GrantTemporaryAccess(p.request(c, nil), currentUser(c).Actor(), client, user, reason, hours, p.caseIndex())
	if domain.ErrorCode(err) == domain.Invalid {
		fe := domain.ErrorFields(err)
		for i := range fe {
			switch {
			case fe[i].Field == "user_id" && uerr != nil:
				fe[i].Message = "choose the member of staff"
			case fe[i].Field == "hours":
				fe[i].Message = "must be a whole number from 1 to 24"
			}
		}
		err = domain.InvalidFields(fe...)
	}
	if err == nil {
		p.done(c, w.Position, "access-granted", "/clients/"+client.String()+"/temporary-access")
		return
	}
	code := domain.ErrorCode(err)
	if code != domain.Invalid && code != domain.Conflict {
		p.fail(c, err)
		return
	}
	v, ok := p.temporaryAccessView(c)
	if !ok {
		return
	}
	v.Grantee, v.Reason, v.Hours = grantee, reason, hoursText
	v.Title = "Error: " + v.Title
	status := http.StatusUnprocessableEntity
	if code == domain.Conflict {
		v.Conflict, status = sentence(domain.ErrorMessage(err)), http.StatusConflict
	} else {
		v.Errors = fieldErrors(err, map[string]string{"user_id": "grantee", "reason": "access-reason", "hours": "hours"})
		inFormOrder(v.Errors, []string{"grantee", "access-reason", "hours"}) // the summary lists them as the form does
	}
	p.render(c, status, "temporary-access", v)
}

type endAccessView struct {
	layout
	ClientID uuid.UUID
	Grant    accessView
}

// endAccessPage asks the responsible person to confirm ending a grant.
func (p *Pages) endAccessPage(c *gin.Context) {
	v, ok := p.temporaryAccessView(c)
	if !ok {
		return
	}
	user, err := uuid.Parse(c.Param("user"))
	if err == nil {
		for _, g := range v.Temporary {
			if g.UserID == user {
				p.render(c, http.StatusOK, "end-access", endAccessView{layout: p.base(c, "End temporary access", "messages"), ClientID: v.ClientID, Grant: g})
				return
			}
		}
	}
	p.fail(c, domain.Errorf(domain.NotFound, "no such grant"))
}

func (p *Pages) endTemporaryAccess(c *gin.Context) {
	client, ok := clientID(c)
	user, err := uuid.Parse(c.Param("user"))
	if !ok || err != nil {
		p.fail(c, domain.Errorf(domain.NotFound, "no such client"))
		return
	}
	u := currentUser(c)
	w, err := p.Service.EndTemporaryAccess(p.request(c, nil), u.Actor(), client, user, p.caseIndex())
	if err != nil {
		p.fail(c, err)
		return
	}
	if p.Locks.LockOf(client).ResponsibleUserID != u.ID { // the grantee, ending their own access: the case is closed to them now
		p.done(c, w.Position, "own-access-ended", "/")
		return
	}
	p.done(c, w.Position, "access-ended", "/clients/"+client.String()+"/temporary-access")
}

// --- The responsible person's messages (R-LOCK-8) ---

type messageView struct {
	ledger.Message
	From, Organisation string
}

type caseMessagesView struct {
	ClientID        uuid.UUID
	Responsible     bool // the case is locked to the user; else its responsible person left, or the lock refuses them
	Refused         bool // the lock refuses its responsible person now, whose account is open (R-LOCK-2)
	References      []projections.ReferralSummary
	CaseReference   string // the case's reference in email notices (domain.CaseReference)
	AccessLog       string // the case's access log, for the responsible person (R-LOCK-9); "" otherwise
	Messages        []messageView
	ChildProtection int
}

type messagesView struct {
	layout
	Cases           []caseMessagesView
	ChildProtection int
}

// messagesPage lists, for each case locked to the user, the information
// passed on about it, as GET /v1/clients/{id}/messages reads it (each
// read is in the case's access log, R-LOCK-9); never a case whose lock
// refuses the user (R-LOCK-2, R-LOCK-12). A case whose responsible
// person's account is closed, or whom the lock now refuses, has nobody it
// is locked to who can read it: its messages are
// listed to everyone the lock lets in, whom its managers are told to have
// read them (R-LOCK-8). Child-protection messages are counted and marked
// first.
func (p *Pages) messagesPage(c *gin.Context) {
	if err := p.settleHead(c.Request.Context()); err != nil {
		p.fail(c, err)
		return
	}
	u := currentUser(c)
	now := p.Service.Now()
	v := messagesView{layout: p.base(c, "Messages", "messages")}
	for _, lc := range p.Locks.LockedCases(domain.Actor{}) {
		if !lc.Lock.Lets(p.Orgs.UserByID, u.ID, now) {
			// The lock refuses the user, even one it is locked to whom
			// its deny list names now (R-LOCK-2): they learn nothing of
			// the case here (R-LOCK-12).
			continue
		}
		responsible := lc.Lock.ResponsibleUserID == u.ID
		// A responsible person the lock now refuses (moved into a team
		// its deny list names, or made helpdesk) cannot read the case:
		// as for one who left, its messages are listed to everyone the
		// lock lets in, whom the managers are told to have read them
		// (R-LOCK-8, R-LOCK-2).
		r, known := p.Orgs.UserByID(lc.Lock.ResponsibleUserID)
		refused := known && !r.Closed && lc.Lock.Refuses(r.Actor())
		if !responsible && known && !r.Closed && !refused {
			continue
		}
		msgs, err := p.Service.Messages(p.request(c, nil), u.Actor(), lc.ClientID, p.caseIndex())
		if err != nil {
			p.fail(c, err)
			return
		}
		refs, err := p.caseReferences(currentUser(c), lc.ClientID)
		if err != nil {
			p.fail(c, err)
			return
		}
		cv := caseMessagesView{ClientID: lc.ClientID, Responsible: responsible, Refused: refused, References: refs,
			CaseReference: domain.CaseReference(lc.ClientID)}
		if responsible {
			cv.AccessLog = p.accessLogLink(u, lc.ClientID, refs)
		}
		for i := len(msgs) - 1; i >= 0; i-- { // newest first
			m := msgs[i]
			cv.Messages = append(cv.Messages, messageView{Message: m, From: p.userName(m.FromUserID), Organisation: p.orgName(m.FromOrganisationID)})
			if m.ChildProtection {
				cv.ChildProtection++
			}
		}
		v.ChildProtection += cv.ChildProtection
		v.Cases = append(v.Cases, cv)
	}
	p.render(c, http.StatusOK, "messages", v)
}

// --- The helpdesk's route to a case's owner (R-LOCK-8, R-LOCK-12) ---

type passInformationView struct {
	layout
	Case, Text      string
	ChildProtection bool
}

// passInformationPage is the form; ?case= fills in the case the user was
// refused (a referral reference or a client id, nothing else), as the
// refusal of a locked case links it.
func (p *Pages) passInformationPage(c *gin.Context) {
	v := passInformationView{layout: p.base(c, "Pass information to the case owner", "pass-information")}
	if s := strings.TrimSpace(c.Query("case")); s != "" {
		if _, err := uuid.Parse(s); err == nil && len(s) == 36 {
			v.Case = s
		} else if ref, err := domain.ParseReference(s); err == nil {
			v.Case = ref.String()
		}
	}
	p.render(c, http.StatusOK, "pass-information", v)
}

// unknownCase is the namespace of the stand-in client id of a reference
// no referral has: the message then takes the same path as for any id,
// and is kept without its text, as for any client the ledger does not
// hold.
var unknownCase = uuid.MustParse("6f1d3a52-5c55-4b7e-9a0e-2f8e6b1c4d90")

// caseOf reads the client id or referral reference the sender typed. The
// reference is looked up among every referral, for routing only: the
// sender is never told what it found. Errors: the views' (ErrUnreadable),
// rather than a message sent to no case: the 503 of any message sent
// while the views cannot be read.
func (p *Pages) caseOf(s string) (uuid.UUID, bool, error) {
	s = strings.TrimSpace(s)
	if id, err := uuid.Parse(s); err == nil && len(s) == 36 {
		return id, true, nil
	}
	ref, err := domain.ParseReference(s)
	if err != nil {
		return uuid.Nil, false, nil
	}
	client, ok, err := p.Referrals.ClientOfReference(ref)
	switch {
	case err != nil:
		return uuid.Nil, false, err
	case ok:
		return client, true, nil
	}
	return uuid.NewSHA1(unknownCase, []byte(ref.String())), true, nil
}

// passInformation sends a message to the case's responsible person, if
// there is one: the answer is the same for a locked, an unlocked and an
// unknown case (R-LOCK-8, R-LOCK-12).
func (p *Pages) passInformation(c *gin.Context) {
	v := passInformationView{layout: p.base(c, "Pass information to the case owner", "pass-information"),
		Case: strings.TrimSpace(c.PostForm("case")), Text: c.PostForm("message-text"), ChildProtection: c.PostForm("child-protection") == "yes"}
	client, ok, err := p.caseOf(v.Case)
	if err != nil {
		p.fail(c, err)
		return
	}
	if !ok {
		err = domain.InvalidFields(domain.FieldError{Field: "case", Message: "enter the client id or a referral reference like 7KQ4-M2XD"})
		if strings.TrimSpace(v.Text) == "" {
			err = domain.InvalidFields(domain.FieldError{Field: "case", Message: "enter the client id or a referral reference like 7KQ4-M2XD"},
				domain.FieldError{Field: "text", Message: "is required"})
		}
	} else {
		_, err = p.Service.SendMessage(p.request(c, nil), currentUser(c).Actor(), client, v.Text, v.ChildProtection, p.Clients)
	}
	if err != nil {
		if domain.ErrorCode(err) != domain.Invalid {
			p.fail(c, err)
			return
		}
		v.Title = "Error: " + v.Title
		v.Errors = fieldErrors(err, map[string]string{"text": "message-text", "case": "case"})
		p.render(c, http.StatusUnprocessableEntity, "pass-information", v)
		return
	}
	p.flash(c, "information-passed")
	c.Redirect(http.StatusSeeOther, "/pass-information")
}
