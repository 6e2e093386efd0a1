package domain

import "github.com/google/uuid"

// Role is what a user may do in the network (API.md "Roles").
type Role string

// The roles.
const (
	RoleAdviser        Role = "adviser"
	RoleOrgLead        Role = "org_lead"
	RoleCoordinator    Role = "coordinator"
	RoleAuditor        Role = "auditor"
	RoleTeamManager    Role = "team_manager"
	RoleServiceManager Role = "service_manager"
	RoleSystemSupport  Role = "system_support"
	RoleEmergencyDuty  Role = "emergency_duty"
	RoleHelpdesk       Role = "helpdesk"
)

// Roles lists every role, in a stable order.
func Roles() []Role {
	return []Role{RoleAdviser, RoleOrgLead, RoleCoordinator, RoleAuditor, RoleTeamManager,
		RoleServiceManager, RoleSystemSupport, RoleEmergencyDuty, RoleHelpdesk}
}

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool {
	for _, k := range Roles() {
		if r == k {
			return true
		}
	}
	return false
}

// Network reports whether r is a network role: one that reaches beyond the
// user's own organisation (referrals of every organisation, or locked cases
// of every organisation), so that only the coordinator grants or removes it
// and closes the accounts that hold it (R-AUTH-7, R-LOCK-11).
func (r Role) Network() bool {
	return r == RoleCoordinator || r == RoleAuditor || r == RoleSystemSupport || r == RoleEmergencyDuty
}

// Actor is the signed-in user a command is decided for.
type Actor struct {
	UserID         uuid.UUID
	OrganisationID uuid.UUID
	Roles          []Role
	Team           string
}

// Has reports whether the actor holds role r.
func (a Actor) Has(r Role) bool {
	for _, k := range a.Roles {
		if k == r {
			return true
		}
	}
	return false
}

// HasAny reports whether the actor holds at least one of roles.
func (a Actor) HasAny(roles ...Role) bool {
	for _, r := range roles {
		if a.Has(r) {
			return true
		}
	}
	return false
}

// NetworkWide reports whether the actor's role lets them see referrals of
// every organisation (R-AUTH-4): coordinators and auditors.
func (a Actor) NetworkWide() bool { return a.HasAny(RoleCoordinator, RoleAuditor) }

// caseworkRoles act on referrals for their organisation: make, acknowledge,
// assign, note, review urgency and close.
var caseworkRoles = []Role{RoleAdviser, RoleOrgLead, RoleTeamManager, RoleServiceManager}

// Caseworker reports whether the actor may act on referrals for their own
// organisation. Auditors, helpdesk and coordinators acting network-wide may
// not: they read, or route, but do not work cases.
func (a Actor) Caseworker() bool { return a.HasAny(caseworkRoles...) }
