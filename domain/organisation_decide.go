package domain

import (
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// RegisterOrganisation asks to sign an organisation up (R-ORG-1).
type RegisterOrganisation struct {
	OrganisationID uuid.UUID
	Name           string
	Description    string
	AdminEmail     string
	Services       []Service
}

// DecideRegisterOrganisation lets the coordinator register an organisation.
// Errors: Forbidden (not a coordinator), Conflict (already registered),
// Invalid.
func DecideRegisterOrganisation(o Organisation, actor Actor, cmd RegisterOrganisation) ([]Event, error) {
	if !actor.Has(RoleCoordinator) {
		return nil, Errorf(Forbidden, "only the coordinator registers organisations")
	}
	if o.Exists {
		return nil, Errorf(Conflict, "the organisation is already registered")
	}
	var f fieldErrors
	validateDirectory(&f, cmd.Name, cmd.Description, cmd.Services)
	f.email("admin_email", cmd.AdminEmail, true)
	if err := f.err(); err != nil {
		return nil, err
	}
	return []Event{&OrganisationRegistered{OrganisationID: cmd.OrganisationID, Name: cmd.Name,
		Description: cmd.Description, AdminEmail: cmd.AdminEmail, Services: nonNilServices(cmd.Services)}}, nil
}

func validateDirectory(f *fieldErrors, name, description string, services []Service) {
	f.text("name", name, true, MaxShortText)
	f.text("description", description, false, MaxLongText)
	validateServices(f, services)
}

func validateServices(f *fieldErrors, services []Service) {
	if len(services) > 50 {
		f.add("services", "must list at most 50 services")
		return
	}
	seen := make(map[string]bool, len(services))
	for i, s := range services {
		field := "services[" + strconvItoa(i) + "]"
		f.text(field+".name", s.Name, true, MaxShortText)
		f.text(field+".description", s.Description, false, MaxLongText)
		// The directory lists each service once: "Housing" and
		// "HOUSING " are one service (compared as organisation names are).
		if key := NormaliseOrganisationName(s.Name); key != "" && !f.names(field+".name") {
			if seen[key] {
				f.add(field+".name", "is already the name of another of the organisation's services (ignoring case and spacing)")
			}
			seen[key] = true
		}
	}
}

func nonNilServices(s []Service) []Service {
	if s == nil {
		return []Service{}
	}
	return s
}

// UpdateOrganisation asks to change the directory entry or the admin
// contact; nil fields are left as they are.
type UpdateOrganisation struct {
	Name        *string
	Description *string
	Services    *[]Service
	AdminEmail  *string
}

// asNow is actor as o records them now, when they are one of its users:
// without the roles o no longer records for them, and with none once o
// records their account closed. A request authenticated a moment before
// its account was closed, or a role removed, is decided on what the
// account is when the decision is made (R-ORG-3, R-AUTH-7): two
// coordinators of one organisation closing or demoting each other at
// once cannot both succeed. It only ever takes roles away: the effective
// roles the actor came with stay the bound.
func (o Organisation) asNow(actor Actor) Actor {
	u, ok := o.Users[actor.UserID]
	if !ok || actor.UserID == uuid.Nil {
		return actor
	}
	roles := []Role{}
	if !u.Closed {
		for _, r := range actor.Roles {
			if slices.Contains(u.Roles, r) {
				roles = append(roles, r)
			}
		}
	}
	actor.Roles = roles
	return actor
}

// canManage reports whether the actor may manage organisation o: its org
// lead, or the coordinator.
func canManage(o Organisation, actor Actor) bool {
	return actor.Has(RoleCoordinator) || (actor.Has(RoleOrgLead) && actor.OrganisationID == o.ID)
}

// ManagedBy reports whether actor may manage o's accounts and entry: its
// org lead, or the coordinator (R-ORG-1, R-ORG-3).
func (o Organisation) ManagedBy(actor Actor) bool { return canManage(o, actor) }

// DecideUpdateOrganisation keeps the directory entry and admin contact
// current (R-ORG-1). An update that changes nothing records nothing. A
// lead is decided on as o records them now (asNow, R-ORG-3). Errors:
// NotFound, Forbidden, Invalid.
func DecideUpdateOrganisation(o Organisation, actor Actor, cmd UpdateOrganisation) ([]Event, error) {
	actor = o.asNow(actor)
	if !o.Exists {
		return nil, Errorf(NotFound, "no such organisation")
	}
	if !canManage(o, actor) {
		return nil, Errorf(Forbidden, "only the organisation's lead or the coordinator can change its entry")
	}
	name, desc, services := o.Name, o.Description, o.Services
	if cmd.Name != nil {
		name = *cmd.Name
	}
	if cmd.Description != nil {
		desc = *cmd.Description
	}
	if cmd.Services != nil {
		services = nonNilServices(*cmd.Services)
	}
	// Only what the caller changes is checked, so an entry kept before a
	// rule was tightened can still have its other fields changed.
	var f fieldErrors
	if cmd.Name != nil {
		f.text("name", name, true, MaxShortText)
	}
	if cmd.Description != nil {
		f.text("description", desc, false, MaxLongText)
	}
	if cmd.Services != nil {
		validateServices(&f, services)
	}
	if cmd.AdminEmail != nil {
		f.email("admin_email", *cmd.AdminEmail, true)
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	var out []Event
	if name != o.Name || desc != o.Description || !slices.Equal(services, o.Services) {
		out = append(out, &OrganisationDirectoryUpdated{Name: name, Description: desc, Services: services})
	}
	if cmd.AdminEmail != nil && *cmd.AdminEmail != o.AdminEmail {
		out = append(out, &OrganisationAdminContactChanged{AdminEmail: *cmd.AdminEmail})
	}
	return out, nil
}

// SetIntake asks to switch intake on or off (R-ORG-2).
type SetIntake struct {
	Accepting bool
	Reason    string
	ResumeOn  string // YYYY-MM-DD, only when switching off
}

// DecideSetIntake lets the org lead switch intake off (with a reason and an
// optional future resume date) or on. Asking for the state already in force
// records nothing. A new reason or resume date while intake is off is
// recorded as another switch-off, which keeps when intake went off
// (EvolveOrganisation). The lead is decided on as o records them now
// (asNow, R-ORG-3). Errors: NotFound, Forbidden, Conflict (the
// coordinating body, which has no intake), Invalid.
func DecideSetIntake(o Organisation, actor Actor, cmd SetIntake, now time.Time) ([]Event, error) {
	actor = o.asNow(actor)
	if !o.Exists {
		return nil, Errorf(NotFound, "no such organisation")
	}
	if !actor.Has(RoleOrgLead) || actor.OrganisationID != o.ID {
		return nil, Errorf(Forbidden, "only the organisation's lead can switch its intake")
	}
	if o.ID == CoordinatingBodyID {
		// It takes no referrals (R-REF-4) and is not in the directory: a
		// switch would change nothing anyone sees, yet remind its lead
		// that its intake is off.
		return nil, Errorf(Conflict, "the network's coordinating body takes no referrals: it has no intake to switch")
	}
	var f fieldErrors
	f.text("reason", cmd.Reason, !cmd.Accepting, MaxLongText)
	if cmd.Accepting && cmd.ResumeOn != "" {
		f.add("resume_on", "only applies when switching intake off")
	}
	if d, ok := f.date("resume_on", cmd.ResumeOn); ok && !cmd.Accepting && d.Format(DateLayout) <= LondonDate(now) {
		f.add("resume_on", "must be a date after today")
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	accepting := o.AcceptingOn(LondonDate(now))
	switch {
	case cmd.Accepting && (accepting && !o.IntakeOff):
		return nil, nil
	case cmd.Accepting:
		return []Event{&OrganisationIntakeSwitchedOn{Reason: cmd.Reason}}, nil
	case !accepting && o.ResumeOn == cmd.ResumeOn && o.IntakeReason == cmd.Reason:
		return nil, nil
	default:
		return []Event{&OrganisationIntakeSwitchedOff{Reason: cmd.Reason, ResumeOn: cmd.ResumeOn}}, nil
	}
}

// AddUser asks to open an account. The caller checks the password against
// the policy and passes only its hash.
type AddUser struct {
	UserID       uuid.UUID
	Username     string
	DisplayName  string
	Email        string
	Roles        []Role
	Team         string
	PasswordHash string

	// PasswordChangeRequired is true when someone other than the user
	// chose the password (R-AUTH-6).
	PasswordChangeRequired bool
}

// NormaliseUsername returns the form usernames are compared in: usernames
// are unique regardless of case (R-AUTH-1).
func NormaliseUsername(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ValidateUsername checks a username's form: 3–64 characters of a–z, 0–9,
// '.', '_', '-', '@'.
func ValidateUsername(field, username string) *FieldError {
	if n := len(username); n < 3 || n > 64 {
		return &FieldError{Field: field, Message: "must be 3 to 64 characters long"}
	}
	for _, r := range username {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-@", r)) {
			return &FieldError{Field: field, Message: "may contain only letters, digits and . _ - @"}
		}
	}
	return nil
}

// DecideAddUser lets the org lead (or the coordinator) open an account in
// the organisation. Network roles (coordinator, auditor, system support,
// emergency duty) are granted only by the coordinator (R-AUTH-7: Forbidden,
// naming the field roles). Uniqueness of the username across the network is
// decided by the Username aggregate. Errors: NotFound, Forbidden, Invalid,
// Conflict (user id already used).
func DecideAddUser(o Organisation, actor Actor, cmd AddUser) ([]Event, error) {
	actor = o.asNow(actor)
	if !o.Exists {
		return nil, Errorf(NotFound, "no such organisation")
	}
	if !canManage(o, actor) {
		return nil, Errorf(Forbidden, "only the organisation's lead or the coordinator can add its users")
	}
	var f fieldErrors
	if fe := ValidateUsername("username", cmd.Username); fe != nil {
		f = append(f, *fe)
	}
	f.text("display_name", cmd.DisplayName, true, MaxShortText)
	f.email("email", cmd.Email, true)
	f.text("team", cmd.Team, false, MaxShortText)
	validateRoles(&f, cmd.Roles)
	if err := grantsNetworkRole(actor, cmd.Roles); err != nil {
		return nil, err
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	if _, ok := o.Users[cmd.UserID]; ok {
		return nil, Errorf(Conflict, "a user with this id already exists")
	}
	return []Event{&OrganisationUserAdded{UserID: cmd.UserID, Username: NormaliseUsername(cmd.Username),
		DisplayName: cmd.DisplayName, Email: cmd.Email, Roles: sortedRoles(cmd.Roles),
		Team: cmd.Team, PasswordHash: cmd.PasswordHash, PasswordChangeRequired: cmd.PasswordChangeRequired}}, nil
}

func validateRoles(f *fieldErrors, roles []Role) {
	if len(roles) == 0 {
		f.add("roles", "must list at least one role")
	}
	for i, r := range roles {
		if !r.Valid() {
			f.add("roles["+strconvItoa(i)+"]", "is not a known role")
		}
	}
}

func sortedRoles(roles []Role) []Role { return slices.Compact(slices.Sorted(slices.Values(roles))) }

// grantsNetworkRole refuses a network role named by anyone but the
// coordinator (R-AUTH-7): Forbidden, naming the field roles.
func grantsNetworkRole(actor Actor, roles []Role) error {
	if actor.Has(RoleCoordinator) || !slices.ContainsFunc(roles, Role.Network) {
		return nil
	}
	return &Error{Code: Forbidden, Message: "only the coordinator grants network roles (coordinator, auditor, system support, emergency duty)",
		Fields: []FieldError{{Field: "roles", Message: "names a network role, which only the coordinator grants"}}}
}

// errNetworkAccount refuses an org lead an account that holds a network
// role (R-AUTH-7).
var errNetworkAccount = &Error{Code: Forbidden, Message: "only the coordinator edits or closes an account that holds a network role"}

// UpdateUser asks to edit an account; nil fields are left as they are.
type UpdateUser struct {
	UserID      uuid.UUID
	DisplayName *string
	Email       *string
	Roles       *[]Role
	Team        *string
}

// DecideUpdateUser lets the org lead (or the coordinator) change an
// account's display name, email, roles and team (R-ORG-3). Network roles
// are granted and removed only by the coordinator, and an account holding
// one is edited only by the coordinator (R-AUTH-7). A change that changes
// nothing records nothing, except that the coordinator naming a network
// role always records the roles: that is the coordinator's grant, which
// makes a network role an org lead once recorded take effect. Errors:
// NotFound, Forbidden, Invalid, Conflict (closed account).
func DecideUpdateUser(o Organisation, actor Actor, cmd UpdateUser) ([]Event, error) {
	actor = o.asNow(actor)
	if !o.Exists {
		return nil, Errorf(NotFound, "no such organisation")
	}
	if !canManage(o, actor) {
		return nil, Errorf(Forbidden, "only the organisation's lead or the coordinator can edit its users")
	}
	u, ok := o.Users[cmd.UserID]
	if !ok {
		return nil, Errorf(NotFound, "no such user in this organisation")
	}
	coordinator := actor.Has(RoleCoordinator)
	if u.holdsNetworkRole() && !coordinator {
		return nil, errNetworkAccount
	}
	if u.Closed {
		return nil, Errorf(Conflict, "the account is closed")
	}
	name, email, roles, team := u.DisplayName, u.Email, u.Roles, u.Team
	if cmd.DisplayName != nil {
		name = *cmd.DisplayName
	}
	if cmd.Email != nil {
		email = *cmd.Email
	}
	if cmd.Team != nil {
		team = *cmd.Team
	}
	var f fieldErrors
	f.text("display_name", name, true, MaxShortText)
	f.email("email", email, true)
	f.text("team", team, false, MaxShortText)
	if cmd.Roles != nil {
		validateRoles(&f, *cmd.Roles)
		if err := grantsNetworkRole(actor, *cmd.Roles); err != nil {
			return nil, err
		}
		roles = sortedRoles(*cmd.Roles)
		if cmd.UserID == actor.UserID && slices.Contains(u.Roles, RoleCoordinator) && !slices.Contains(roles, RoleCoordinator) {
			f.add("roles", "cannot remove your own coordinator role: another coordinator must")
		}
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	var out []Event
	if name != u.DisplayName || email != u.Email {
		out = append(out, &OrganisationUserDetailsChanged{UserID: u.ID, DisplayName: name, Email: email})
	}
	granted := coordinator && cmd.Roles != nil && slices.ContainsFunc(roles, Role.Network)
	if !slices.Equal(roles, u.Roles) || team != u.Team || granted {
		out = append(out, &OrganisationUserRolesChanged{UserID: u.ID, Roles: roles, Team: team})
	}
	return out, nil
}

// DecideCloseAccount closes a user's account from this moment (R-ORG-3);
// an account holding a network role only the coordinator closes (R-AUTH-7).
// Nobody closes their own coordinator account, as nobody removes their own
// coordinator role. Closing a closed account records nothing. Errors:
// NotFound (no such user in the organisation), Forbidden.
func DecideCloseAccount(o Organisation, actor Actor, userID uuid.UUID) ([]Event, error) {
	actor = o.asNow(actor)
	if !o.Exists {
		return nil, Errorf(NotFound, "no such organisation")
	}
	if !canManage(o, actor) {
		return nil, Errorf(Forbidden, "only the organisation's lead or the coordinator can close its accounts")
	}
	u, ok := o.Users[userID]
	if !ok {
		return nil, Errorf(NotFound, "no such user in this organisation")
	}
	if u.holdsNetworkRole() && !actor.Has(RoleCoordinator) {
		return nil, errNetworkAccount
	}
	if userID == actor.UserID && slices.Contains(u.Roles, RoleCoordinator) {
		// As with removing one's own coordinator role (DecideUpdateUser):
		// the network is never left without a coordinator by accident.
		return nil, Errorf(Forbidden, "you cannot close your own coordinator account: another coordinator must")
	}
	if u.Closed {
		return nil, nil
	}
	return []Event{&OrganisationAccountClosed{UserID: userID}}, nil
}

// DecideChangePassword records a user's new password hash; the caller has
// checked the current password and the policy. Errors: NotFound, Forbidden
// (closed account).
func DecideChangePassword(o Organisation, userID uuid.UUID, newHash string) ([]Event, error) {
	u, ok := o.Users[userID]
	if !o.Exists || !ok {
		return nil, Errorf(NotFound, "no such user")
	}
	if u.Closed {
		return nil, Errorf(Forbidden, "the account is closed")
	}
	return []Event{&OrganisationPasswordChanged{UserID: userID, PasswordHash: newHash}}, nil
}

// DecideRehashPassword records a new hash, under stronger parameters, of
// the password the caller has just checked against verifiedHash. Nothing
// is recorded when the account's hash is no longer verifiedHash (changed
// or rehashed meanwhile) or the account is closed: a rehash is never worth
// refusing anything for. Errors: NotFound.
func DecideRehashPassword(o Organisation, userID uuid.UUID, verifiedHash, newHash string) ([]Event, error) {
	u, ok := o.Users[userID]
	if !o.Exists || !ok {
		return nil, Errorf(NotFound, "no such user")
	}
	if u.Closed || u.PasswordHash != verifiedHash || newHash == "" {
		return nil, nil
	}
	return []Event{&OrganisationPasswordRehashed{UserID: userID, PasswordHash: newHash}}, nil
}

// DecideResetPassword records a one-time password hash an operator set for
// a user who cannot sign in (a lost first password): the user must change
// it at first sign-in (R-AUTH-6). Errors: NotFound, Forbidden (closed
// account).
func DecideResetPassword(o Organisation, userID uuid.UUID, newHash string) ([]Event, error) {
	events, err := DecideChangePassword(o, userID, newHash)
	if err != nil {
		return nil, err
	}
	events[0].(*OrganisationPasswordChanged).PasswordChangeRequired = true
	return events, nil
}
