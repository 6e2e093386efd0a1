package http

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
)

type serviceBody struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

type organisationRequest struct {
	Name        string        `json:"name"`
	Description string        `json:"description"`
	AdminEmail  string        `json:"admin_email"`
	Services    []serviceBody `json:"services"`
}

type organisationPatch struct {
	Name        *string        `json:"name"`
	Description *string        `json:"description"`
	AdminEmail  *string        `json:"admin_email"`
	Services    *[]serviceBody `json:"services"`
}

type intakeRequest struct {
	Accepting *bool  `json:"accepting"`
	Reason    string `json:"reason"`
	ResumeOn  string `json:"resume_on"`
}

type intakeBody struct {
	Accepting     bool    `json:"accepting"`
	Reason        string  `json:"reason,omitempty"`
	ResumeOn      *string `json:"resume_on"`
	SwitchedOffAt *string `json:"switched_off_at"`
}

type organisationBody struct {
	ID                 string        `json:"id"`
	Name               string        `json:"name"`
	Description        string        `json:"description"`
	AdminEmail         string        `json:"admin_email"`
	Services           []serviceBody `json:"services"`
	AcceptingReferrals bool          `json:"accepting_referrals"`
	Intake             intakeBody    `json:"intake"`
	RegisteredAt       string        `json:"registered_at"`
	Revision           uint64        `json:"revision"`
	// MFARequired says whether the organisation requires a second factor
	// of all its users (issue 17), to its lead and the coordinator alone.
	MFARequired *bool `json:"mfa_required,omitempty"`
}

func servicesFromBody(in []serviceBody) []domain.Service {
	out := make([]domain.Service, len(in))
	for i, s := range in {
		out[i] = domain.Service(s)
	}
	return out
}

func servicesJSON(in []domain.Service) []serviceBody {
	out := make([]serviceBody, len(in))
	for i, s := range in {
		out[i] = serviceBody(s)
	}
	return out
}

func (s *Server) organisationJSON(o domain.Organisation) organisationBody {
	accepting := o.AcceptingOn(domain.LondonDate(s.Service.Now()))
	in := intakeBody{Accepting: accepting}
	switch {
	case o.ID == domain.CoordinatingBodyID:
		// The network's lead body takes no referrals (R-REF-4): it has no
		// intake to switch, and says so rather than "accepting".
		accepting, in.Accepting = false, false
	case !accepting:
		in.Reason = o.IntakeReason
		if o.ResumeOn != "" {
			in.ResumeOn = &o.ResumeOn
		}
		at := o.IntakeOffSince.UTC().Format(time.RFC3339)
		in.SwitchedOffAt = &at
	}
	return organisationBody{ID: o.ID.String(), Name: o.Name, Description: o.Description, AdminEmail: o.AdminEmail,
		Services: servicesJSON(o.Services), AcceptingReferrals: accepting, Intake: in,
		RegisteredAt: o.RegisteredAt.UTC().Format(time.RFC3339), Revision: o.Revision}
}

// respondOrganisation answers with the organisation once the views show the
// write, with its revision as ETag.
func (s *Server) respondOrganisation(c *gin.Context, status int, o domain.Organisation, w ledger.Written) {
	if err := s.settle(c, w.Position); err != nil {
		writeError(c, err)
		return
	}
	setETag(c, o.Revision)
	c.JSON(status, s.organisationAnswer(c, o))
}

// organisationAnswer is o as the caller sees it: with whether it requires
// a second factor of everyone if they manage it (its lead, the
// coordinator; issue 17).
func (s *Server) organisationAnswer(c *gin.Context, o domain.Organisation) organisationBody {
	out := s.organisationJSON(o)
	if o.ManagedBy(currentUser(c).Actor()) {
		required := o.MFARequired
		out.MFARequired = &required
	}
	return out
}

func (s *Server) registerOrganisation(c *gin.Context) {
	var req organisationRequest
	_, ctx, ok := s.command(c, "", &req)
	if !ok {
		return
	}
	o, w, err := s.Service.RegisterOrganisation(ctx, currentUser(c).Actor(), domain.RegisterOrganisation{
		Name: req.Name, Description: req.Description, AdminEmail: req.AdminEmail, Services: servicesFromBody(req.Services)})
	if err != nil {
		writeError(c, err)
		return
	}
	c.Header("Location", "/v1/organisations/"+o.ID.String())
	s.respondOrganisation(c, http.StatusCreated, o, w)
}

func (s *Server) getOrganisation(c *gin.Context) {
	id, err := parseUUIDParam(c, "id")
	if err != nil {
		writeError(c, err)
		return
	}
	ctx, err := s.request(c)
	if err != nil {
		writeError(c, err)
		return
	}
	o, err := s.Service.Organisation(ctx, id)
	if err == nil {
		err = ledger.ReadHolds(ctx, o.Revision)
	}
	if err != nil {
		writeError(c, err)
		return
	}
	setETag(c, o.Revision)
	c.JSON(http.StatusOK, s.organisationAnswer(c, o))
}

func (s *Server) updateOrganisation(c *gin.Context) {
	var req organisationPatch
	id, ctx, ok := s.command(c, "id", &req)
	if !ok {
		return
	}
	cmd := domain.UpdateOrganisation{Name: req.Name, Description: req.Description, AdminEmail: req.AdminEmail}
	if req.Services != nil {
		services := servicesFromBody(*req.Services)
		cmd.Services = &services
	}
	o, w, err := s.Service.UpdateOrganisation(ctx, currentUser(c).Actor(), id, cmd)
	if err != nil {
		writeError(c, err)
		return
	}
	s.respondOrganisation(c, http.StatusOK, o, w)
}

func (s *Server) setIntake(c *gin.Context) {
	var req intakeRequest
	id, ctx, ok := s.command(c, "id", &req)
	if !ok {
		return
	}
	accepting := req.ResumeOn == "" // a resume date comes only with switching off
	if req.Accepting == nil {
		// Refused after the check of who may set it (R-ORG-1).
		ctx = refuseField(c, ctx, "accepting", "is required (true or false)")
	} else {
		accepting = *req.Accepting
	}
	o, w, err := s.Service.SetIntake(ctx, currentUser(c).Actor(), id,
		domain.SetIntake{Accepting: accepting, Reason: req.Reason, ResumeOn: req.ResumeOn})
	if err != nil {
		writeError(c, err)
		return
	}
	s.respondOrganisation(c, http.StatusOK, o, w)
}

type addUserRequest struct {
	Username    string        `json:"username"`
	DisplayName string        `json:"display_name"`
	Email       string        `json:"email"`
	Roles       []domain.Role `json:"roles"`
	Team        string        `json:"team"`
	Password    string        `json:"password"`
}

func (s *Server) addUser(c *gin.Context) {
	var req addUserRequest
	id, ctx, ok := s.command(c, "id", &req)
	if !ok {
		return
	}
	u, w, err := s.Accounts.AddUser(ctx, currentUser(c).Actor(), id, ledger.NewUser{Username: req.Username,
		DisplayName: req.DisplayName, Email: req.Email, Roles: req.Roles, Team: req.Team, Password: req.Password})
	if err != nil {
		writeError(c, err)
		return
	}
	if err := s.settle(c, w.Position); err != nil {
		writeError(c, err)
		return
	}
	// An account is part of its organisation's stream: the ETag is the
	// organisation's revision, which If-Match on the account's writes names.
	setETag(c, w.Revision)
	c.Header("Location", "/v1/organisations/"+id.String()+"/users/"+u.ID.String())
	c.JSON(http.StatusCreated, managedUserJSON(u))
}

func (s *Server) closeAccount(c *gin.Context) {
	id, ctx, ok := s.command(c, "id", nil)
	if !ok {
		return
	}
	userID, err := parseUUIDParam(c, "user_id")
	if err != nil {
		writeError(c, err)
		return
	}
	w, err := s.Accounts.CloseAccount(ctx, currentUser(c).Actor(), id, userID)
	if err != nil {
		writeError(c, err)
		return
	}
	s.respondAfter(c, w.Position, http.StatusNoContent, nil)
}

// userPasswordRequest is the body of PUT
// /v1/organisations/{id}/users/{user_id}/password.
type userPasswordRequest struct {
	Password string `json:"password"`
}

// setUserPassword sets a new one-time password for a user who forgot
// theirs: the organisation's lead or the coordinator, who alone may for an
// account holding a network role (R-AUTH-7). The user must change it at
// their next sign-in, and every session of theirs ends (R-AUTH-6).
func (s *Server) setUserPassword(c *gin.Context) {
	userID, err := parseUUIDParam(c, "user_id")
	if err != nil {
		writeError(c, err)
		return
	}
	var req userPasswordRequest
	id, ctx, ok := s.command(c, "id", &req)
	if !ok {
		return
	}
	w, err := s.Accounts.SetPassword(ctx, currentUser(c).Actor(), id, userID, req.Password)
	if err != nil {
		writeError(c, err)
		return
	}
	s.respondAfter(c, w.Position, http.StatusNoContent, nil)
}

type userPatch struct {
	DisplayName *string        `json:"display_name"`
	Email       *string        `json:"email"`
	Roles       *[]domain.Role `json:"roles"`
	Team        *string        `json:"team"`
}

// updateUser edits an account (R-ORG-3); network roles only by the
// coordinator, who alone edits an account holding one (R-AUTH-7).
func (s *Server) updateUser(c *gin.Context) {
	userID, err := parseUUIDParam(c, "user_id")
	if err != nil {
		writeError(c, err)
		return
	}
	var req userPatch
	id, ctx, ok := s.command(c, "id", &req)
	if !ok {
		return
	}
	u, w, err := s.Accounts.UpdateUser(ctx, currentUser(c).Actor(), id, domain.UpdateUser{UserID: userID,
		DisplayName: req.DisplayName, Email: req.Email, Roles: req.Roles, Team: req.Team})
	if err != nil {
		writeError(c, err)
		return
	}
	if err := s.settle(c, w.Position); err != nil {
		writeError(c, err)
		return
	}
	setETag(c, w.Revision) // the organisation's, as for addUser
	c.JSON(http.StatusOK, managedUserJSON(u))
}

type directoryEntryBody struct {
	ID                 string        `json:"id"`
	Name               string        `json:"name"`
	Description        string        `json:"description"`
	Services           []serviceBody `json:"services"`
	AcceptingReferrals bool          `json:"accepting_referrals"`
	ResumeOn           *string       `json:"resume_on"`
	// IntakeReason is why intake is off, as the org lead gave it for the
	// organisations that refer to them (R-ORG-2); null while accepting.
	IntakeReason *string `json:"intake_reason"`
}

// directory lists the organisations signed up (R-VIEW-4).
func (s *Server) directory(c *gin.Context) {
	var v validator
	page := pageOf(c, &v, "directory")
	if err := v.err(); err != nil {
		writeError(c, err)
		return
	}
	all := s.Orgs.Directory(s.Service.Now())
	entries := all[:0:0]
	for _, e := range all {
		if e.ID != ledger.CoordinatorOrganisationID() { // the network's lead body, not a service to refer to
			entries = append(entries, e)
		}
	}
	// In the directory's order: by name ignoring case, then id.
	from, to, next, err := page(len(entries), func(i int) string {
		return strings.ToLower(entries[i].Name) + "\x00" + entries[i].ID.String()
	})
	if err != nil {
		writeError(c, err)
		return
	}
	entries = entries[from:to]
	out := make([]directoryEntryBody, 0, len(entries))
	for i, e := range entries {
		entry := directoryEntryBody{ID: e.ID.String(), Name: e.Name, Description: e.Description,
			Services: servicesJSON(e.Services), AcceptingReferrals: e.AcceptingReferrals}
		if e.ResumeOn != "" {
			entry.ResumeOn = &entries[i].ResumeOn
		}
		if e.IntakeReason != "" {
			entry.IntakeReason = &entries[i].IntakeReason
		}
		out = append(out, entry)
	}
	c.JSON(http.StatusOK, gin.H{"organisations": out, "next": next})
}

type accountBody struct {
	userBody
	VoidRoles    []domain.Role `json:"void_roles"`
	CreatedAt    string        `json:"created_at"`
	ClosedAt     *string       `json:"closed_at"`
	LastSignInAt *string       `json:"last_sign_in_at"`
}

type accountListBody struct {
	Users []accountBody `json:"users"`
	Next  *string       `json:"next"`
}

func accountJSON(a ledger.Account) accountBody {
	out := accountBody{userBody: managedUserJSON(a.User), VoidRoles: a.VoidRoles, CreatedAt: a.CreatedAt.UTC().Format(time.RFC3339)}
	if out.VoidRoles == nil {
		out.VoidRoles = []domain.Role{}
	}
	if a.Closed {
		at := a.ClosedAt.UTC().Format(time.RFC3339)
		out.ClosedAt = &at
	}
	if !a.LastSignIn.IsZero() {
		at := a.LastSignIn.UTC().Format(time.RFC3339)
		out.LastSignInAt = &at
	}
	return out
}

// listUsers lists an organisation's accounts by username, paginated, for
// its org lead and the coordinator (R-ORG-3).
func (s *Server) listUsers(c *gin.Context) {
	id, err := parseUUIDParam(c, "id")
	if err != nil {
		writeError(c, err)
		return
	}
	var v validator
	listParams(c, &v, "limit", "next")
	limit, after := pageParams(c, &v)
	if err := v.err(); err != nil {
		writeError(c, err)
		return
	}
	page, err := s.Accounts.OrganisationUsers(c.Request.Context(), currentUser(c).Actor(), id, after, limit)
	if fields := domain.ErrorFields(err); len(fields) == 1 && fields[0].Field == "next" {
		err = malformed("next: not a cursor of this list", fields...)
	}
	if err != nil {
		writeError(c, err)
		return
	}
	out := accountListBody{Users: make([]accountBody, len(page.Users))}
	for i, a := range page.Users {
		out.Users[i] = accountJSON(a)
	}
	if page.Next != "" {
		out.Next = &page.Next
	}
	c.JSON(http.StatusOK, out)
}
