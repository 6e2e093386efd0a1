package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
)

// The org lead's pages (R-ORG-1..3): the organisation's users, its intake
// and its directory entry. They live under /organisations/:id so the
// coordinator uses the same pages for any organisation; each reads and
// writes through the ledger service with the signed-in user as actor, so
// the API's rules decide who may (the org lead of it, or the coordinator;
// intake only the org lead of it).
func init() {
	funcs["roleName"] = roleName
	funcs["inc"] = func(n int) int { return n + 1 }
	addSection(section{
		Nav: []navEntry{
			{Key: "organisation", Label: "Your organisation", Path: "/organisation", Order: 60, For: anyRole(domain.RoleOrgLead)},
		},
		Mount: func(p *Pages, a *gin.RouterGroup) {
			a.GET("/organisation", p.requireRole(anyRole(domain.RoleOrgLead)), p.ownOrganisation)
			a.GET("/organisations/:id/users", p.orgUsersPage)
			a.GET("/organisations/:id/users/new", p.newUserPage)
			a.POST("/organisations/:id/users", p.addUser)
			a.GET("/organisations/:id/users/:user_id", p.editUserPage)
			a.POST("/organisations/:id/users/:user_id", p.editUser)
			a.GET("/organisations/:id/users/:user_id/close", p.closeAccountPage)
			a.POST("/organisations/:id/users/:user_id/close", p.closeAccount)
			a.GET("/organisations/:id/intake", p.intakePage)
			a.POST("/organisations/:id/intake", p.setIntake)
			a.GET("/organisations/:id/profile", p.profilePage)
			a.POST("/organisations/:id/profile", p.updateProfile)
		},
		Flashes: map[string]string{
			"user-added":     "User added. Give them their one-time password in person or by phone, never by email: they must change it when they first sign in.",
			"user-updated":   "The user's details have been saved.",
			"account-closed": "Account closed. The user was signed out and can no longer sign in.",
			"intake-off":     "Intake switched off. The directory now shows that you are not accepting referrals.",
			"intake-on":      "Intake switched on. The directory now shows that you are accepting referrals.",
			"intake-changed": "Saved. Intake stays off; the directory shows the new reason and date.",
			"profile":        "Your directory entry has been saved.",
		},
		Labels: map[string]string{
			"display-name": "the name", "username": "the username", "email": "the email address",
			"roles": "the roles", "team": "the team", "password": "the one-time password",
			"intake-reason": "the reason", "resume-on": "the date intake switches back on",
			"admin-email": "the admin contact email", "description": "the description", "name": "the organisation's name",
		},
	})
}

// roleWords names each role as people say it, with what it lets them do.
var roleWords = map[domain.Role][2]string{
	domain.RoleAdviser:        {"Adviser", "Makes, receives and works on referrals."},
	domain.RoleOrgLead:        {"Organisation lead", "Manages the organisation's users, intake and directory entry, and works on referrals."},
	domain.RoleTeamManager:    {"Team manager", "Requests that a case be locked, and works on referrals."},
	domain.RoleServiceManager: {"Service manager", "Decides lock and unlock requests, and works on referrals."},
	domain.RoleHelpdesk:       {"Helpdesk", "Passes information to the person responsible for a locked case."},
	domain.RoleCoordinator:    {"Network coordinator", "Registers organisations and runs the network: a network role."},
	domain.RoleAuditor:        {"Auditor", "Reads every case's history, read-only: a network role."},
	domain.RoleSystemSupport:  {"System support", "Reaches locked cases to fix the system: a network role."},
	domain.RoleEmergencyDuty:  {"Emergency duty", "Reaches locked cases out of hours: a network role."},
}

// roleName is a role in words.
func roleName(r domain.Role) string {
	if w, ok := roleWords[r]; ok {
		return w[0]
	}
	return string(r)
}

// roleOption is one checkbox of the roles fieldset.
type roleOption struct {
	Value, Label, Hint string
	Checked            bool
}

// roleOptions are the roles the actor may grant (network roles only by the
// coordinator, R-AUTH-7), checked as in chosen.
func roleOptions(actor domain.Actor, chosen []domain.Role) []roleOption {
	var out []roleOption
	for _, r := range domain.Roles() {
		if r.Network() && !actor.Has(domain.RoleCoordinator) {
			continue
		}
		w := roleWords[r]
		out = append(out, roleOption{Value: string(r), Label: w[0], Hint: w[1], Checked: slices.Contains(chosen, r)})
	}
	return out
}

// orgView is what every page of the section shows around its own part:
// which organisation, and the section's own navigation.
type orgView struct {
	layout
	Org     domain.Organisation
	Tab     string // "users", "intake" or "profile"
	IsLead  bool   // the user is the org lead of this organisation
	Page    string // which part of orglead.html to draw
	Managed bool   // the user may manage its users and entry
	// Coordinator is whether the user is the network coordinator, who
	// alone grants network roles (R-AUTH-7).
	Coordinator bool
	// Revision is the organisation's revision the edit forms were drawn
	// from, sent back as the write's If-Match (R-LEDGER-2); Stale says a
	// form came back because someone else changed the organisation first.
	Revision uint64
	Stale    bool
}

// refused draws a form the ledger refused again, titled title: as stale
// (409) when someone changed the organisation first, else with its
// errors (422), which errs gives.
func (v *orgView) refused(c *gin.Context, err error, title string, errs func() []fieldError) int {
	v.keepRevision(c, err)
	if v.Stale {
		v.Title = "Changed: " + title
		return http.StatusConflict
	}
	v.Title = "Error: " + title
	v.Errors = errs()
	return http.StatusUnprocessableEntity
}

// formRevision reads the revision a form was drawn from, as the write's
// If-Match; nil when the form carries none.
func formRevision(c *gin.Context) *uint64 {
	rev, err := strconv.ParseUint(c.PostForm("revision"), 10, 64)
	if err != nil {
		return nil
	}
	return &rev
}

// keepRevision draws a refused form again with the revision it was drawn
// from, so that sending it again cannot overwrite a change made since; on
// a stale form, the revision now, after the user has seen the warning.
func (v *orgView) keepRevision(c *gin.Context, err error) {
	if domain.ErrorCode(err) == domain.PreconditionFailed {
		v.Stale = true
		return
	}
	if rev := formRevision(c); rev != nil {
		v.Revision = *rev
	}
}

// orgBase reads organisation id for a page, and whether the user manages
// it. Errors: NotFound.
func (p *Pages) orgBase(c *gin.Context, title, tab, page string) (orgView, error) {
	id, ok := pathID(c)
	if !ok {
		return orgView{}, domain.Errorf(domain.NotFound, "no such organisation")
	}
	o, err := p.Service.Organisation(c.Request.Context(), id)
	if err != nil {
		return orgView{}, err
	}
	actor := currentUser(c).Actor()
	nav := ""
	if actor.OrganisationID == o.ID {
		nav = "organisation"
	}
	return orgView{layout: p.base(c, title+" – "+o.Name, nav), Org: o, Tab: tab, Page: page,
		IsLead: actor.Has(domain.RoleOrgLead) && actor.OrganisationID == o.ID, Managed: o.ManagedBy(actor),
		Coordinator: actor.Has(domain.RoleCoordinator), Revision: o.Revision}, nil
}

// managedOrgBase is orgBase for the pages only those who manage the
// organisation may see. Errors: NotFound, Forbidden.
func (p *Pages) managedOrgBase(c *gin.Context, title, tab, page string) (orgView, error) {
	v, err := p.orgBase(c, title, tab, page)
	if err == nil && !v.Managed {
		err = errNotManaged
	}
	return v, err
}

// errNotManaged is the refusal of a page to someone who does not manage
// the organisation, in the ledger's words for the same data.
var errNotManaged = domain.Errorf(domain.Forbidden, "only the organisation's lead or the coordinator can manage its users and directory entry")

// ownOrganisation sends an org lead to their own organisation's users.
func (p *Pages) ownOrganisation(c *gin.Context) {
	c.Redirect(http.StatusSeeOther, "/organisations/"+currentUser(c).OrganisationID.String()+"/users")
}

// accountRow is one account as the list shows it.
type accountRow struct {
	ledger.Account
	Roles string
}

// usersPerPage is how many accounts the users and second-factor pages
// show at a time, each with a link to the next page.
const usersPerPage = 200

type usersView struct {
	orgView
	Users []accountRow
	Next  string
}

// orgUsersPage lists the organisation's users through the ledger's
// access check, as GET /v1/organisations/{id}/users does (R-ORG-3).
func (p *Pages) orgUsersPage(c *gin.Context) {
	v, err := p.orgBase(c, "Users", "users", "users")
	if err != nil {
		p.fail(c, err)
		return
	}
	if err := p.settleHead(c.Request.Context()); err != nil {
		p.fail(c, err)
		return
	}
	page, err := p.Accounts.OrganisationUsers(p.request(c, nil), currentUser(c).Actor(), v.Org.ID, c.Query("next"), usersPerPage)
	if err != nil {
		p.fail(c, err)
		return
	}
	uv := usersView{orgView: v, Next: page.Next}
	for _, a := range page.Users {
		uv.Users = append(uv.Users, accountRow{Account: a, Roles: rolesText(a.User)})
	}
	p.render(c, http.StatusOK, "orglead", uv)
}

// rolesText is an account's roles in words, a void one marked.
func rolesText(u domain.User) string {
	var names []string
	for _, r := range u.Roles {
		n := roleName(r)
		if slices.Contains(u.VoidRoles, r) {
			n += " (not in effect: not granted by the coordinator)"
		}
		names = append(names, n)
	}
	return strings.Join(names, ", ")
}

// userForm is what the add and edit forms hold.
type userForm struct {
	DisplayName, Username, Email, Team, Password string
	Roles                                        []domain.Role
}

type userFormView struct {
	orgView
	Form        userForm
	RoleOptions []roleOption
	Account     ledger.Account // the account edited; zero when adding
	ReadOnly    string         // why the account cannot be edited here, if it cannot
	// Rules is the password policy in force, in words, for the hint of
	// the one-time password (R-AUTH-2).
	Rules string
}

// Err returns the message for the field with id, "" when none.
func (v userFormView) Err(id string) string { return errorFor(v.Errors, id) }

// userFields maps the API's field names to the form's input ids.
var userFields = map[string]string{
	"display_name": "display-name", "username": "username", "email": "email", "roles": "roles",
	"team": "team", "password": "password",
}

// userFieldOrder is the order of the user forms' inputs, which the error
// summary follows.
var userFieldOrder = []string{"display-name", "username", "email", "roles", "team", "password"}

// userErrors are the errors of a user form: the ledger's, with those of
// single roles ("roles[1]: is not a known role", a value the form does not
// offer) said once, at the roles, which the summary links to; in the
// order of the form.
func userErrors(err error) []fieldError {
	errs := fieldErrors(err, userFields)
	folded := errs[:0]
	unknown := false
	for _, e := range errs {
		if strings.HasPrefix(e.Field, "roles[") {
			if !unknown {
				folded = append(folded, fieldError{Field: "roles", Message: "Select only roles from the list"})
			}
			unknown = true
			continue
		}
		folded = append(folded, e)
	}
	inFormOrder(folded, userFieldOrder)
	return folded
}

// inFormOrder sorts errs as their inputs come on the form, errors of no
// listed input last, and words the missing roles as a choice to make.
func inFormOrder(errs []fieldError, order []string) {
	for i, e := range errs {
		if e.Field == "roles" && strings.Contains(e.Message, "at least one role") {
			errs[i].Message = "Select at least one role"
		}
	}
	at := func(e fieldError) int {
		if i := slices.Index(order, e.Field); i >= 0 {
			return i
		}
		return len(order)
	}
	slices.SortStableFunc(errs, func(a, b fieldError) int { return at(a) - at(b) })
}

func readUserForm(c *gin.Context) userForm {
	f := userForm{DisplayName: strings.TrimSpace(c.PostForm("display-name")), Username: strings.TrimSpace(c.PostForm("username")),
		Email: strings.TrimSpace(c.PostForm("email")), Team: strings.TrimSpace(c.PostForm("team")), Password: c.PostForm("password")}
	for _, r := range c.PostFormArray("roles") {
		f.Roles = append(f.Roles, domain.Role(r))
	}
	return f
}

// newUserPage shows the form to add a user, to those who may (R-ORG-3).
func (p *Pages) newUserPage(c *gin.Context) {
	v, err := p.managedOrgBase(c, "Add a user", "users", "new-user")
	if err != nil {
		p.fail(c, err)
		return
	}
	p.render(c, http.StatusOK, "orglead", userFormView{orgView: v, RoleOptions: roleOptions(currentUser(c).Actor(), nil),
		Rules: p.passwordRules()})
}

// addUser opens the account through the ledger, exactly as POST
// /v1/organisations/{id}/users does: the password is one-time, to be
// changed at first sign-in (R-AUTH-6). Errors come back beside each field
// with everything but the password kept; nothing is written then.
func (p *Pages) addUser(c *gin.Context) {
	v, err := p.orgBase(c, "Add a user", "users", "new-user")
	if err != nil {
		p.fail(c, err)
		return
	}
	actor := currentUser(c).Actor()
	f := readUserForm(c)
	// The ledger checks every field and the password's policy before it
	// writes anything; an empty password fails that policy, and is named
	// here in words of its own.
	_, w, err := p.Accounts.AddUser(p.request(c, nil), actor, v.Org.ID, ledger.NewUser{Username: f.Username,
		DisplayName: f.DisplayName, Email: f.Email, Roles: f.Roles, Team: f.Team, Password: f.Password})
	if err != nil {
		code := domain.ErrorCode(err)
		if code != domain.Invalid && code != domain.Conflict && !(code == domain.Forbidden && len(domain.ErrorFields(err)) > 0) {
			p.fail(c, err)
			return
		}
		f.Password = ""
		fv := userFormView{orgView: v, Form: f, RoleOptions: roleOptions(actor, f.Roles), Rules: p.passwordRules()}
		fv.Title = "Error: " + fv.Title
		fv.Errors = userErrors(err)
		if c.PostForm("password") == "" {
			fv.Errors = slices.DeleteFunc(fv.Errors, func(e fieldError) bool { return e.Field == "password" })
			fv.Errors = append(fv.Errors, fieldError{Field: "password", Message: "Enter a one-time password"})
		}
		inFormOrder(fv.Errors, userFieldOrder)
		p.render(c, http.StatusUnprocessableEntity, "orglead", fv)
		return
	}
	p.done(c, w.Position, "user-added", "/organisations/"+v.Org.ID.String()+"/users")
}

// userPathID is the :user_id of the path. Errors: NotFound.
func userPathID(c *gin.Context) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Param("user_id"))
	if err != nil || len(c.Param("user_id")) != 36 {
		return uuid.Nil, domain.Errorf(domain.NotFound, "no such user in this organisation")
	}
	return id, nil
}

// accountView reads the account of the path for a page, through the
// ledger's access check.
func (p *Pages) accountView(c *gin.Context, title, page string) (userFormView, error) {
	v, err := p.orgBase(c, title, "users", page)
	if err != nil {
		return userFormView{}, err
	}
	userID, err := userPathID(c)
	if err != nil {
		return userFormView{}, err
	}
	if err := p.settleHead(c.Request.Context()); err != nil {
		return userFormView{}, err
	}
	actor := currentUser(c).Actor()
	a, err := p.Accounts.OrganisationUser(p.request(c, nil), actor, v.Org.ID, userID)
	if err != nil {
		return userFormView{}, err
	}
	fv := userFormView{orgView: v, Account: a, Form: userForm{DisplayName: a.DisplayName, Email: a.Email, Team: a.Team, Roles: a.Roles}}
	switch {
	case a.Closed:
		fv.ReadOnly = "This account was closed on " + londonDateTime(a.ClosedAt) + ". A closed account cannot be opened again: add a new user instead."
	case slices.ContainsFunc(a.Roles, domain.Role.Network) && !actor.Has(domain.RoleCoordinator):
		fv.ReadOnly = "This account holds a network role, so only the network coordinator can change or close it."
	}
	fv.RoleOptions = roleOptions(actor, fv.Form.Roles)
	return fv, nil
}

// editUserPage shows an account with the form to change it.
func (p *Pages) editUserPage(c *gin.Context) {
	fv, err := p.accountView(c, "User", "edit-user")
	if err != nil {
		p.fail(c, err)
		return
	}
	fv.Title = fv.Account.DisplayName + " – " + fv.Org.Name
	p.render(c, http.StatusOK, "orglead", fv)
}

// editUser changes the account's name, email, roles and team through the
// ledger, as PATCH /v1/organisations/{id}/users/{user_id} does (R-ORG-3,
// R-AUTH-7).
func (p *Pages) editUser(c *gin.Context) {
	fv, err := p.accountView(c, "User", "edit-user")
	if err != nil {
		p.fail(c, err)
		return
	}
	actor := currentUser(c).Actor()
	f := readUserForm(c)
	roles := f.Roles
	if roles == nil {
		roles = []domain.Role{}
	}
	_, w, err := p.Accounts.UpdateUser(p.request(c, formRevision(c)), actor, fv.Org.ID, domain.UpdateUser{UserID: fv.Account.ID,
		DisplayName: &f.DisplayName, Email: &f.Email, Roles: &roles, Team: &f.Team})
	if err != nil {
		code := domain.ErrorCode(err)
		if code != domain.Invalid && code != domain.PreconditionFailed && !(code == domain.Forbidden && len(domain.ErrorFields(err)) > 0) {
			p.fail(c, err)
			return
		}
		fv.Form = f
		fv.RoleOptions = roleOptions(actor, f.Roles)
		status := fv.refused(c, err, fv.Account.DisplayName+" – "+fv.Org.Name, func() []fieldError { return userErrors(err) })
		p.render(c, status, "orglead", fv)
		return
	}
	p.done(c, w.Position, "user-updated", "/organisations/"+fv.Org.ID.String()+"/users/"+fv.Account.ID.String())
}

// closeAccountPage asks to confirm closing an account: it cannot be undone.
func (p *Pages) closeAccountPage(c *gin.Context) {
	fv, err := p.accountView(c, "Close an account", "close-user")
	if err != nil {
		p.fail(c, err)
		return
	}
	if fv.ReadOnly != "" && !fv.Account.Closed {
		p.fail(c, domain.Errorf(domain.Forbidden, "only the coordinator edits or closes an account that holds a network role"))
		return
	}
	p.render(c, http.StatusOK, "orglead", fv)
}

// closeAccount closes the account from this moment, as DELETE
// /v1/organisations/{id}/users/{user_id} does (R-ORG-3): its sessions end.
func (p *Pages) closeAccount(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		p.fail(c, domain.Errorf(domain.NotFound, "no such organisation"))
		return
	}
	userID, err := userPathID(c)
	if err != nil {
		p.fail(c, err)
		return
	}
	w, err := p.Accounts.CloseAccount(p.request(c, nil), currentUser(c).Actor(), id, userID)
	if err != nil {
		p.fail(c, err)
		return
	}
	p.done(c, w.Position, "account-closed", "/organisations/"+id.String()+"/users")
}

// intakeView is the intake page: the state in force and the form.
type intakeView struct {
	orgView
	Accepting bool
	Since     time.Time // when intake went off, or came back on by its resume date
	DaysOff   int
	Reason    string
	ResumeOn  string
	Form      struct{ Reason, ResumeOn string }
	// Coordinating: the network's coordinating body, which takes no
	// referrals and is not in the directory: it has no intake to switch.
	Coordinating bool
}

// Err returns the message for the field with id, "" when none.
func (v intakeView) Err(id string) string { return errorFor(v.Errors, id) }

var intakeFields = map[string]string{"reason": "intake-reason", "resume_on": "resume-on", "accepting": "intake-reason"}

// intakeView reads the organisation's intake as the directory applies it
// today (a resume date that has come switches it on, R-ORG-2). The page is
// the org lead's of that organisation, who alone switches it; the
// coordinator sees the state without the form.
func (p *Pages) intakeView(c *gin.Context) (intakeView, error) {
	v, err := p.orgBase(c, "Intake", "intake", "intake")
	if err != nil {
		return intakeView{}, err
	}
	if !v.IsLead && !currentUser(c).Actor().Has(domain.RoleCoordinator) {
		return intakeView{}, domain.Errorf(domain.Forbidden, "only the organisation's lead can switch its intake")
	}
	now := p.Service.Now()
	o := v.Org
	iv := intakeView{orgView: v, Accepting: o.AcceptingOn(domain.LondonDate(now)), Coordinating: o.ID == ledger.CoordinatorOrganisationID()}
	switch {
	case !iv.Accepting:
		iv.Since, iv.Reason, iv.ResumeOn = o.IntakeOffSince, o.IntakeReason, o.ResumeOn
		iv.DaysOff = calendarDays(o.IntakeOffSince, now)
		// The form that changes the reason or the date starts from them.
		iv.Form.Reason = o.IntakeReason
		if d, err := time.Parse(domain.DateLayout, o.ResumeOn); err == nil {
			iv.Form.ResumeOn = d.Format("2 1 2006")
		}
	case o.IntakeOff: // back on by its resume date
		if d, err := time.ParseInLocation(domain.DateLayout, o.ResumeOn, london); err == nil {
			iv.Since = d
		}
	}
	return iv, nil
}

// calendarDays counts the days from from's London date to to's.
func calendarDays(from, to time.Time) int {
	a, errA := time.Parse(domain.DateLayout, domain.LondonDate(from))
	b, errB := time.Parse(domain.DateLayout, domain.LondonDate(to))
	if errA != nil || errB != nil || b.Before(a) {
		return 0
	}
	return int(b.Sub(a).Hours() / 24)
}

func (p *Pages) intakePage(c *gin.Context) {
	iv, err := p.intakeView(c)
	if err != nil {
		p.fail(c, err)
		return
	}
	p.render(c, http.StatusOK, "orglead", iv)
}

// setIntake switches intake off (reason required, resume date optional) or
// on, as PUT /v1/organisations/{id}/intake does (R-ORG-2); sent while it is
// off, it changes the reason and the date it switches back on by itself.
func (p *Pages) setIntake(c *gin.Context) {
	iv, err := p.intakeView(c)
	if err != nil {
		p.fail(c, err)
		return
	}
	choice := c.PostForm("accepting")
	if choice != "yes" && choice != "no" {
		// The form sends one or the other; as the API refuses an
		// accepting that is not a boolean, anything else changes nothing.
		p.renderError(c, http.StatusUnprocessableEntity, "Check what you entered",
			"The form did not say whether to switch intake on or off. Nothing was changed. Go back to the intake page and try again.")
		return
	}
	accepting := choice == "yes"
	cmd := domain.SetIntake{Accepting: accepting}
	if !accepting {
		cmd.Reason, cmd.ResumeOn = strings.TrimSpace(c.PostForm("intake-reason")), readDate(c.PostForm("resume-on"))
	}
	// Sent with the revision the page was drawn from, as the API's
	// If-Match (R-LEDGER-2): a page from before another lead switched
	// intake, or changed its reason or date, does not undo that.
	_, w, err := p.Service.SetIntake(p.request(c, formRevision(c)), currentUser(c).Actor(), iv.Org.ID, cmd)
	if err != nil {
		code := domain.ErrorCode(err)
		if code != domain.Invalid && code != domain.PreconditionFailed {
			p.fail(c, err)
			return
		}
		if !accepting {
			iv.Form.Reason, iv.Form.ResumeOn = c.PostForm("intake-reason"), c.PostForm("resume-on")
		}
		status := iv.refused(c, err, iv.Title, func() []fieldError { return fieldErrors(err, intakeFields) })
		p.render(c, status, "orglead", iv)
		return
	}
	if err := p.settle(c.Request.Context(), w.Position); err != nil {
		p.fail(c, err)
		return
	}
	switch {
	case accepting:
		p.flash(c, "intake-on")
	case !iv.Accepting:
		p.flash(c, "intake-changed")
	default:
		p.flash(c, "intake-off")
	}
	c.Redirect(http.StatusSeeOther, "/organisations/"+iv.Org.ID.String()+"/intake")
}

// serviceRow is one service of the profile form; Row is its place on the
// form, which names its inputs.
type serviceRow struct {
	Row               int
	Name, Description string
}

type profileView struct {
	orgView
	Name, Description, AdminEmail string
	Services                      []serviceRow
}

// Err returns the message for the field with id, "" when none.
func (v profileView) Err(id string) string { return errorFor(v.Errors, id) }

// profileView reads the directory entry for those who manage it (R-ORG-1).
func (p *Pages) profileView(c *gin.Context) (profileView, error) {
	v, err := p.managedOrgBase(c, "Directory entry", "profile", "profile")
	if err != nil {
		return profileView{}, err
	}
	pv := profileView{orgView: v, Name: v.Org.Name, Description: v.Org.Description, AdminEmail: v.Org.AdminEmail}
	for i, s := range v.Org.Services {
		pv.Services = append(pv.Services, serviceRow{Row: i, Name: s.Name, Description: s.Description})
	}
	pv.Services = append(pv.Services, serviceRow{Row: len(pv.Services)}) // a blank row to add one
	return pv, nil
}

func (p *Pages) profilePage(c *gin.Context) {
	pv, err := p.profileView(c)
	if err != nil {
		p.fail(c, err)
		return
	}
	p.render(c, http.StatusOK, "orglead", pv)
}

// maxServiceRows bounds the rows a posted form is read for: the ledger
// allows 50 services, and a row more lets it say so.
const maxServiceRows = 51

// updateProfile saves the directory entry and admin contact email, as
// PATCH /v1/organisations/{id} does (R-ORG-1). A row left blank is no
// service: clearing a row removes that service.
func (p *Pages) updateProfile(c *gin.Context) {
	pv, err := p.profileView(c)
	if err != nil {
		p.fail(c, err)
		return
	}
	pv.Name = strings.TrimSpace(c.PostForm("name"))
	pv.Description, pv.AdminEmail = strings.TrimSpace(c.PostForm("description")), strings.TrimSpace(c.PostForm("admin-email"))
	pv.Services = nil
	services := []domain.Service{}
	fields := map[string]string{"name": "name", "description": "description", "admin_email": "admin-email", "services": "services"}
	for i := range maxServiceRows + 1 {
		n := strconv.Itoa(i)
		name, desc := strings.TrimSpace(c.PostForm("service-"+n+"-name")), strings.TrimSpace(c.PostForm("service-"+n+"-description"))
		if name == "" && desc == "" {
			continue
		}
		k := strconv.Itoa(len(services))
		fields["services["+k+"].name"], fields["services["+k+"].description"] = "service-"+n+"-name", "service-"+n+"-description"
		services = append(services, domain.Service{Name: name, Description: desc})
		pv.Services = append(pv.Services, serviceRow{Row: i, Name: name, Description: desc})
	}
	_, w, err := p.Service.UpdateOrganisation(p.request(c, formRevision(c)), currentUser(c).Actor(), pv.Org.ID,
		domain.UpdateOrganisation{Name: &pv.Name, Description: &pv.Description, Services: &services, AdminEmail: &pv.AdminEmail})
	if err != nil {
		err = p.withNameTaken(c, err, pv.Org.ID, pv.Name)
		code := domain.ErrorCode(err)
		if code != domain.Invalid && code != domain.PreconditionFailed && !(code == domain.Conflict && len(domain.ErrorFields(err)) > 0) {
			p.fail(c, err)
			return
		}
		next := 0
		for _, s := range pv.Services {
			next = max(next, s.Row+1)
		}
		pv.Services = append(pv.Services, serviceRow{Row: next})
		status := pv.refused(c, err, pv.Title, func() []fieldError { return serviceErrors(fieldErrors(err, fields)) })
		p.render(c, status, "orglead", pv)
		return
	}
	p.done(c, w.Position, "profile", "/organisations/"+pv.Org.ID.String()+"/profile")
}

// serviceErrors names the service row of a message that does not say
// which field it is about ("Is required" beside a service's name).
func serviceErrors(errs []fieldError) []fieldError {
	for i, e := range errs {
		row, part, ok := strings.Cut(strings.TrimPrefix(e.Field, "service-"), "-")
		if !ok || !strings.HasPrefix(e.Field, "service-") {
			continue
		}
		n, err := strconv.Atoi(row)
		if err != nil {
			continue
		}
		what := "The name of service " + strconv.Itoa(n+1)
		if part == "description" {
			what = "The description of service " + strconv.Itoa(n+1)
		}
		errs[i].Message = what + " " + strings.ToLower(e.Message[:1]) + e.Message[1:]
	}
	return errs
}

// withNameTaken adds to err, when the ledger refused other fields before
// it came to the name, that another organisation than org already has
// name, so the error summary lists every mistake at once (R-ORG-1).
func (p *Pages) withNameTaken(c *gin.Context, err error, org uuid.UUID, name string) error {
	fields := domain.ErrorFields(err)
	if domain.ErrorCode(err) != domain.Invalid || len(fields) == 0 || strings.TrimSpace(name) == "" ||
		slices.ContainsFunc(fields, func(f domain.FieldError) bool { return f.Field == "name" }) {
		return err
	}
	held, herr := p.Service.OrganisationNameHeld(c.Request.Context(), org, name)
	if herr != nil || !held {
		return err
	}
	return domain.InvalidFields(append(slices.Clone(fields), domain.ErrorFields(domain.ErrOrganisationNameTaken())...)...)
}
