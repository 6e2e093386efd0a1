package domain

import "github.com/google/uuid"

// The organisation event types: one complete list (OrganisationEventTypes).
// Users belong to their organisation's stream, so closing an account and
// the organisation's other changes share one order.
const (
	OrganisationRegisteredType          = "organisation.registered"
	OrganisationDirectoryUpdatedType    = "organisation.directory_updated"
	OrganisationAdminContactChangedType = "organisation.admin_contact_changed"
	OrganisationIntakeSwitchedOffType   = "organisation.intake_switched_off"
	OrganisationIntakeSwitchedOnType    = "organisation.intake_switched_on"
	OrganisationUserAddedType           = "organisation.user_added"
	OrganisationAccountClosedType       = "organisation.account_closed"
	OrganisationPasswordChangedType     = "organisation.password_changed"
	OrganisationUserDetailsChangedType  = "organisation.user_details_changed"
	OrganisationUserRolesChangedType    = "organisation.user_roles_changed"
	OrganisationPasswordRehashedType    = "organisation.password_rehashed"
)

// OrganisationEventTypes lists every organisation event type.
func OrganisationEventTypes() []string {
	return []string{OrganisationRegisteredType, OrganisationDirectoryUpdatedType, OrganisationAdminContactChangedType,
		OrganisationIntakeSwitchedOffType, OrganisationIntakeSwitchedOnType, OrganisationUserAddedType,
		OrganisationAccountClosedType, OrganisationPasswordChangedType, OrganisationUserDetailsChangedType,
		OrganisationUserRolesChangedType, OrganisationUserMFAEnrolledType, OrganisationUserMFAResetType,
		OrganisationMFARequirementChangedType, OrganisationPasswordRehashedType}
}

func newOrganisationEvent(t string) (Event, bool) {
	switch t {
	case OrganisationRegisteredType:
		return &OrganisationRegistered{}, true
	case OrganisationDirectoryUpdatedType:
		return &OrganisationDirectoryUpdated{}, true
	case OrganisationAdminContactChangedType:
		return &OrganisationAdminContactChanged{}, true
	case OrganisationIntakeSwitchedOffType:
		return &OrganisationIntakeSwitchedOff{}, true
	case OrganisationIntakeSwitchedOnType:
		return &OrganisationIntakeSwitchedOn{}, true
	case OrganisationUserAddedType:
		return &OrganisationUserAdded{}, true
	case OrganisationAccountClosedType:
		return &OrganisationAccountClosed{}, true
	case OrganisationPasswordChangedType:
		return &OrganisationPasswordChanged{}, true
	case OrganisationUserDetailsChangedType:
		return &OrganisationUserDetailsChanged{}, true
	case OrganisationUserRolesChangedType:
		return &OrganisationUserRolesChanged{}, true
	case OrganisationUserMFAEnrolledType:
		return &OrganisationUserMFAEnrolled{}, true
	case OrganisationUserMFAResetType:
		return &OrganisationUserMFAReset{}, true
	case OrganisationMFARequirementChangedType:
		return &OrganisationMFARequirementChanged{}, true
	case OrganisationPasswordRehashedType:
		return &OrganisationPasswordRehashed{}, true
	}
	return nil, false
}

// Service is one service an organisation offers, as listed in the directory.
type Service struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// OrganisationRegistered signs an organisation up to the network (R-ORG-1).
// Intake starts switched on.
type OrganisationRegistered struct {
	OrganisationID uuid.UUID `json:"organisation_id"`
	Name           string    `json:"name"`
	Description    string    `json:"description"`
	AdminEmail     string    `json:"admin_email"`
	Services       []Service `json:"services"`
}

// OrganisationDirectoryUpdated replaces the organisation's directory entry.
type OrganisationDirectoryUpdated struct {
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Services    []Service `json:"services"`
}

// OrganisationAdminContactChanged records a new administrative contact
// mailbox, where notices of incoming referrals go.
type OrganisationAdminContactChanged struct {
	AdminEmail string `json:"admin_email"`
}

// OrganisationIntakeSwitchedOff stops new referrals (R-ORG-2), optionally
// until ResumeOn (YYYY-MM-DD), when intake switches back on by itself.
type OrganisationIntakeSwitchedOff struct {
	Reason   string `json:"reason"`
	ResumeOn string `json:"resume_on,omitempty"`
}

// OrganisationIntakeSwitchedOn accepts referrals again.
type OrganisationIntakeSwitchedOn struct {
	Reason string `json:"reason,omitempty"`
}

// OrganisationUserAdded opens an account (R-ORG-3). PasswordHash is an
// argon2id PHC string, never a password. PasswordChangeRequired marks a
// password someone else chose, to be changed at first sign-in (R-AUTH-6);
// accounts added before it existed lack it and are not flagged.
type OrganisationUserAdded struct {
	UserID       uuid.UUID `json:"user_id"`
	Username     string    `json:"username"`
	DisplayName  string    `json:"display_name"`
	Email        string    `json:"email"`
	Roles        []Role    `json:"roles"`
	Team         string    `json:"team,omitempty"`
	PasswordHash string    `json:"password_hash"`

	PasswordChangeRequired bool `json:"password_change_required,omitempty"`
}

// OrganisationAccountClosed closes an account for good (R-ORG-3).
type OrganisationAccountClosed struct {
	UserID uuid.UUID `json:"user_id"`
}

// OrganisationPasswordChanged records a user's new password hash.
// PasswordChangeRequired marks a password someone other than the user set
// (an operator's reset): the user must change it at first sign-in
// (R-AUTH-6). Events written before it existed read as false, the user's
// own change, which is what they were.
type OrganisationPasswordChanged struct {
	UserID                 uuid.UUID `json:"user_id"`
	PasswordHash           string    `json:"password_hash"`
	PasswordChangeRequired bool      `json:"password_change_required,omitempty"`
}

// OrganisationPasswordRehashed records a new hash of the same password,
// made under stronger argon2id parameters than the one it replaces when
// the user signed in with it (R-AUTH-3). It is not a password change: the
// password's age (R-AUTH-2), whether it must be changed (R-AUTH-6) and the
// sessions open with it stay as they were.
type OrganisationPasswordRehashed struct {
	UserID       uuid.UUID `json:"user_id"`
	PasswordHash string    `json:"password_hash"`
}

// OrganisationUserDetailsChanged records an account's new display name and
// email (R-ORG-3).
type OrganisationUserDetailsChanged struct {
	UserID      uuid.UUID `json:"user_id"`
	DisplayName string    `json:"display_name"`
	Email       string    `json:"email"`
}

// OrganisationUserRolesChanged records an account's new roles and team:
// what it may do and which lock allow lists name it (R-ORG-3, R-AUTH-7).
type OrganisationUserRolesChanged struct {
	UserID uuid.UUID `json:"user_id"`
	Roles  []Role    `json:"roles"`
	Team   string    `json:"team,omitempty"`
}

// AccountID implements UserEvent.
func (e *OrganisationUserDetailsChanged) AccountID() uuid.UUID { return e.UserID }

// AccountID implements UserEvent.
func (e *OrganisationUserRolesChanged) AccountID() uuid.UUID { return e.UserID }

// AccountID implements UserEvent.
func (e *OrganisationUserAdded) AccountID() uuid.UUID { return e.UserID }

// AccountID implements UserEvent.
func (e *OrganisationAccountClosed) AccountID() uuid.UUID { return e.UserID }

// AccountID implements UserEvent.
func (e *OrganisationPasswordChanged) AccountID() uuid.UUID { return e.UserID }

// AccountID implements UserEvent.
func (e *OrganisationPasswordRehashed) AccountID() uuid.UUID { return e.UserID }

// EventType implements Event.
func (*OrganisationUserDetailsChanged) EventType() string { return OrganisationUserDetailsChangedType }

// EventType implements Event.
func (*OrganisationUserRolesChanged) EventType() string { return OrganisationUserRolesChangedType }

// EventType implements Event.
func (*OrganisationRegistered) EventType() string { return OrganisationRegisteredType }

// EventType implements Event.
func (*OrganisationDirectoryUpdated) EventType() string { return OrganisationDirectoryUpdatedType }

// EventType implements Event.
func (*OrganisationAdminContactChanged) EventType() string {
	return OrganisationAdminContactChangedType
}

// EventType implements Event.
func (*OrganisationIntakeSwitchedOff) EventType() string { return OrganisationIntakeSwitchedOffType }

// EventType implements Event.
func (*OrganisationIntakeSwitchedOn) EventType() string { return OrganisationIntakeSwitchedOnType }

// EventType implements Event.
func (*OrganisationUserAdded) EventType() string { return OrganisationUserAddedType }

// EventType implements Event.
func (*OrganisationAccountClosed) EventType() string { return OrganisationAccountClosedType }

// EventType implements Event.
func (*OrganisationPasswordChanged) EventType() string { return OrganisationPasswordChangedType }

// EventType implements Event.
func (*OrganisationPasswordRehashed) EventType() string { return OrganisationPasswordRehashedType }
