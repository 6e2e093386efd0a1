package domain

import (
	"maps"
	"slices"
	"time"

	"github.com/google/uuid"
)

// CoordinatingBodyID is the id of the network's coordinating body, the
// organisation the ledger registers on its first start (with the first
// coordinator). It is fixed so that a first start cut short by a crash
// finishes at the next instead of registering a second body. It leads the
// network and takes no referrals: the directory leaves it out, and a
// referral made or forwarded to it is refused.
var CoordinatingBodyID = uuid.NewSHA1(uuid.NameSpaceURL, []byte("urn:referral-ledger:coordinating-organisation"))

// User is an account, as its organisation's stream records it.
type User struct {
	ID             uuid.UUID
	OrganisationID uuid.UUID
	Username       string
	DisplayName    string
	Email          string
	Roles          []Role
	Team           string
	PasswordHash   string
	// PasswordSetHash is the hash the password was last set with (the
	// account added, the password changed); a rehash of the same password
	// (OrganisationPasswordRehashed) replaces PasswordHash and leaves it,
	// so what names the password to its sessions does not change. Empty
	// when it is PasswordHash: see PasswordSet.
	PasswordSetHash   string
	PasswordChangedAt time.Time
	CreatedAt         time.Time
	Closed            bool
	ClosedAt          time.Time
	// VoidRoles are network roles among Roles that were recorded without
	// the coordinator's authority (R-AUTH-7): before the rule covered
	// system support and emergency duty, an org lead could grant them. They
	// stay in Roles, as history, and grant nothing. Which grants are void
	// depends on who held what across the network when each was recorded,
	// which no single organisation stream knows: the user index sets it,
	// with VoidNetworkRoles.
	VoidRoles []Role

	// PasswordChangeRequired is true while the password is one someone
	// else set (an org lead or the coordinator), which the user must change
	// before doing anything else (R-AUTH-6).
	PasswordChangeRequired bool

	// MFAEnrolled is true while the user has a second factor enrolled
	// (issue 17); its secret is kept sealed outside the log.
	MFAEnrolled bool
	// MFAResets counts the resets of the user's second factor recorded so
	// far. A secret is kept with the count its enrolment began under: one
	// begun before the latest reset is void, and its confirmation records
	// no enrolment (DecideEnrolMFA).
	MFAResets int64
}

// PasswordSet is the hash u's password was last set with: a rehash of the
// same password since (OrganisationPasswordRehashed) leaves it, so it
// names the password, not how it is hashed now.
func (u User) PasswordSet() string {
	if u.PasswordSetHash != "" {
		return u.PasswordSetHash
	}
	return u.PasswordHash
}

// Actor returns the user as the actor of a command, with the roles in
// effect: void network roles left out.
func (u User) Actor() Actor {
	return Actor{UserID: u.ID, OrganisationID: u.OrganisationID, Roles: u.EffectiveRoles(), Team: u.Team}
}

// EffectiveRoles returns the roles that grant something: Roles without
// VoidRoles.
func (u User) EffectiveRoles() []Role {
	if len(u.VoidRoles) == 0 {
		return u.Roles
	}
	out := make([]Role, 0, len(u.Roles))
	for _, r := range u.Roles {
		if !slices.Contains(u.VoidRoles, r) {
			out = append(out, r)
		}
	}
	return out
}

// holdsNetworkRole reports whether any network role is recorded for u,
// void or not: such an account is the coordinator's to edit or close
// (R-AUTH-7), so that a void grant is cleared by the coordinator too.
func (u User) holdsNetworkRole() bool { return slices.ContainsFunc(u.Roles, Role.Network) }

// VoidNetworkRoles returns the network roles among roles that a grant
// recorded without the coordinator's authority leaves void (R-AUTH-7):
// all of them when byCoordinator is false, none otherwise. byCoordinator
// is whether whoever recorded the grant held the coordinator role in
// effect at that moment (or was the system itself, at bootstrap).
func VoidNetworkRoles(roles []Role, byCoordinator bool) []Role {
	if byCoordinator {
		return nil
	}
	var out []Role
	for _, r := range roles {
		if r.Network() {
			out = append(out, r)
		}
	}
	return out
}

// Organisation is the state of one member organisation, derived by replay.
type Organisation struct {
	ID             uuid.UUID
	Exists         bool
	Revision       uint64
	Name           string
	Description    string
	AdminEmail     string
	Services       []Service
	RegisteredAt   time.Time
	IntakeOff      bool
	IntakeReason   string
	ResumeOn       string    // YYYY-MM-DD, when intake switches back on by itself
	IntakeOffSince time.Time // when intake went off; a new reason or resume date while off keeps it (R-ORG-2)
	// MFARequired: the org lead requires a second factor of every user.
	MFARequired bool
	Users       map[uuid.UUID]User
}

// AcceptingOn reports whether the organisation accepts referrals on the
// Europe/London date today (YYYY-MM-DD): intake is on, or it was switched off
// with a resume date that has come (R-ORG-2).
func (o Organisation) AcceptingOn(today string) bool {
	if !o.IntakeOff {
		return true
	}
	return o.ResumeOn != "" && o.ResumeOn <= today
}

// EvolveOrganisation applies one recorded event. It never fails, and it never
// mutates the Users map of the state passed in (replays share nothing).
func EvolveOrganisation(o Organisation, rec Recorded) Organisation {
	o, _ = evolveOrganisation(o, rec)
	return o
}

// evolveOrganisation is EvolveOrganisation, also saying whether it knew
// the event.
func evolveOrganisation(o Organisation, rec Recorded) (Organisation, bool) {
	o.Revision = rec.Revision
	switch e := rec.Event.(type) {
	case *OrganisationRegistered:
		o.ID, o.Exists, o.RegisteredAt = e.OrganisationID, true, rec.At
		o.Name, o.Description, o.AdminEmail, o.Services = e.Name, e.Description, e.AdminEmail, e.Services
	case *OrganisationDirectoryUpdated:
		o.Name, o.Description, o.Services = e.Name, e.Description, e.Services
	case *OrganisationAdminContactChanged:
		o.AdminEmail = e.AdminEmail
	case *OrganisationIntakeSwitchedOff:
		// A switch-off while intake is still off (on the event's London
		// date) only edits its reason or resume date: intake has been off
		// since the first one, and the reminder counts from then
		// (R-ORG-2). Otherwise, and after a resume date has switched it
		// back on by itself, it goes off now.
		if !o.IntakeOff || o.AcceptingOn(LondonDate(rec.At)) {
			o.IntakeOffSince = rec.At
		}
		o.IntakeOff, o.IntakeReason, o.ResumeOn = true, e.Reason, e.ResumeOn
	case *OrganisationIntakeSwitchedOn:
		o.IntakeOff, o.IntakeReason, o.ResumeOn, o.IntakeOffSince = false, e.Reason, "", time.Time{}
	case *OrganisationMFARequirementChanged:
		o.MFARequired = e.Required
	case UserEvent:
		id := e.AccountID()
		if u, ok := o.Users[id]; ok || isUserAdded(e) {
			u.OrganisationID = o.ID
			o.Users = withUser(o.Users, EvolveUser(u, rec))
		}
	default:
		return o, false
	}
	return o, true
}

// UserEvent is an organisation event about one of its accounts.
type UserEvent interface {
	Event
	AccountID() uuid.UUID
}

// EvolveUser applies an event about one account (R-ORG-3, R-AUTH-6): its
// opening (onto a User holding only its OrganisationID), details, roles
// and team, password, or closure; other events leave u as it is. It is the
// one fold of an account, used by EvolveOrganisation and the user index.
// A role change replaces the roles and their void marks: whether the roles
// it records are void is for the user index to say (VoidNetworkRoles).
func EvolveUser(u User, rec Recorded) User {
	switch e := rec.Event.(type) {
	case *OrganisationUserAdded:
		u = User{ID: e.UserID, OrganisationID: u.OrganisationID, Username: e.Username,
			DisplayName: e.DisplayName, Email: e.Email, Roles: e.Roles, Team: e.Team,
			PasswordHash: e.PasswordHash, PasswordChangedAt: rec.At, PasswordChangeRequired: e.PasswordChangeRequired,
			CreatedAt: rec.At}
	case *OrganisationUserDetailsChanged:
		u.DisplayName, u.Email = e.DisplayName, e.Email
	case *OrganisationUserRolesChanged:
		u.Roles, u.Team, u.VoidRoles = e.Roles, e.Team, nil
	case *OrganisationPasswordChanged:
		u.PasswordHash, u.PasswordChangedAt, u.PasswordChangeRequired = e.PasswordHash, rec.At, e.PasswordChangeRequired
		u.PasswordSetHash = ""
	case *OrganisationPasswordRehashed:
		// The same password, hashed anew: not a change (R-AUTH-2, R-AUTH-6).
		u.PasswordSetHash = u.PasswordSet()
		u.PasswordHash = e.PasswordHash
	case *OrganisationAccountClosed:
		u.Closed, u.ClosedAt = true, rec.At
	case *OrganisationUserMFAEnrolled:
		u.MFAEnrolled = true
	case *OrganisationUserMFAReset:
		u.MFAEnrolled = false
		u.MFAResets++
	}
	return u
}

func isUserAdded(e Event) bool {
	_, ok := e.(*OrganisationUserAdded)
	return ok
}

func withUser(users map[uuid.UUID]User, u User) map[uuid.UUID]User {
	out := make(map[uuid.UUID]User, len(users)+1)
	maps.Copy(out, users)
	out[u.ID] = u
	return out
}

// ReplayOrganisation folds a stream's events into an organisation.
func ReplayOrganisation(events []Recorded) Organisation {
	var o Organisation
	for _, e := range events {
		o = EvolveOrganisation(o, e)
	}
	return o
}
