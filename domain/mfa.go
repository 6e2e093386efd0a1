package domain

import "github.com/google/uuid"

// The second factor's events (issue 17). They record that something
// happened to an account's second factor, never the secret or a code: the
// secret is kept sealed outside the log.
const (
	OrganisationUserMFAEnrolledType       = "organisation.user_mfa_enrolled"
	OrganisationUserMFAResetType          = "organisation.user_mfa_reset"
	OrganisationMFARequirementChangedType = "organisation.mfa_requirement_changed"
)

// MFAMethodTOTP is the one second factor offered: a time-based one-time
// password (RFC 6238) from an authenticator app.
const MFAMethodTOTP = "totp"

// OrganisationUserMFAEnrolled records that a user enrolled a second
// factor, after proving it with a correct code. It holds no secret.
type OrganisationUserMFAEnrolled struct {
	UserID uuid.UUID `json:"user_id"`
	Method string    `json:"method"`
}

// OrganisationUserMFAReset records that a user's second factor was
// removed, by their org lead, the coordinator or the operator (no actor),
// so that they enrol again at their next sign-in.
type OrganisationUserMFAReset struct {
	UserID uuid.UUID `json:"user_id"`
}

// OrganisationMFARequirementChanged records whether the organisation's
// lead requires a second factor of all its users.
type OrganisationMFARequirementChanged struct {
	Required bool `json:"required"`
}

// AccountID implements UserEvent.
func (e *OrganisationUserMFAEnrolled) AccountID() uuid.UUID { return e.UserID }

// AccountID implements UserEvent.
func (e *OrganisationUserMFAReset) AccountID() uuid.UUID { return e.UserID }

// EventType implements Event.
func (*OrganisationUserMFAEnrolled) EventType() string { return OrganisationUserMFAEnrolledType }

// EventType implements Event.
func (*OrganisationUserMFAReset) EventType() string { return OrganisationUserMFAResetType }

// EventType implements Event.
func (*OrganisationMFARequirementChanged) EventType() string {
	return OrganisationMFARequirementChangedType
}

// MFARequiredFor reports whether u must have a second factor: one of the
// roles in effect is in roles (the configured auth.mfa_required_roles), or
// their organisation requires it (orgRequires).
func MFARequiredFor(u User, roles []Role, orgRequires bool) bool {
	if orgRequires {
		return true
	}
	for _, r := range u.EffectiveRoles() {
		for _, want := range roles {
			if r == want {
				return true
			}
		}
	}
	return false
}

// DecideEnrolMFA records a user's enrolment of a second factor, which the
// caller has proved with a correct code. resets is the user's MFAResets
// when the enrolment began: a reset recorded since voids the secret
// confirmed (the reset removes it from the store), so nothing is recorded.
// Errors: NotFound, Forbidden (closed account), Conflict (reset since the
// enrolment began).
func DecideEnrolMFA(o Organisation, userID uuid.UUID, resets int64) ([]Event, error) {
	u, ok := o.Users[userID]
	if !o.Exists || !ok {
		return nil, Errorf(NotFound, "no such user")
	}
	if u.Closed {
		return nil, Errorf(Forbidden, "the account is closed")
	}
	if u.MFAResets != resets {
		return nil, ErrMFAResetMeanwhile
	}
	return []Event{&OrganisationUserMFAEnrolled{UserID: userID, Method: MFAMethodTOTP}}, nil
}

// ErrMFAResetMeanwhile refuses to confirm a second factor whose
// enrolment began before a reset of the user's second factor.
var ErrMFAResetMeanwhile = Errorf(Conflict,
	"your second factor was reset while this set-up was waiting for a code: start the set-up again")

// DecideResetMFA removes a user's second factor (issue 17): their org lead
// may, or the coordinator; an account holding a network role is the
// coordinator's alone (as for R-AUTH-7). The zero actor is the operator at
// the data directory (ledger admin reset-mfa). No one resets their own
// second factor this way (ErrOwnMFAReset): that would let a session alone
// remove it. A user with no second factor is left as they are. Errors:
// NotFound, Forbidden.
func DecideResetMFA(o Organisation, actor Actor, userID uuid.UUID) ([]Event, error) {
	actor = o.asNow(actor)
	if !o.Exists {
		return nil, Errorf(NotFound, "no such organisation")
	}
	system := actor.UserID == uuid.Nil
	if !system && !canManage(o, actor) {
		return nil, Errorf(Forbidden, "only the organisation's lead or the coordinator can reset a second factor")
	}
	u, ok := o.Users[userID]
	if !ok {
		return nil, Errorf(NotFound, "no such user in this organisation")
	}
	if !system && actor.UserID == userID {
		// A session alone must not remove its own user's second factor:
		// replacing one's own asks for the password or a current code.
		return nil, ErrOwnMFAReset
	}
	if !system && u.holdsNetworkRole() && !actor.Has(RoleCoordinator) {
		return nil, &Error{Code: Forbidden, Message: "only the coordinator resets the second factor of an account that holds a network role"}
	}
	if !u.MFAEnrolled {
		return nil, nil
	}
	return []Event{&OrganisationUserMFAReset{UserID: userID}}, nil
}

// ErrOwnMFAReset refuses a lead's or coordinator's reset of their own
// second factor: they replace it as every user does, with their password
// or a current code (issue 17).
var ErrOwnMFAReset = &Error{Code: Forbidden, Message: "you cannot reset your own second factor: " +
	"replace it from your own second-factor settings, with your password or a current code"}

// DecideRequireMFA lets the org lead (or the coordinator) require a second
// factor of every user of the organisation, or stop requiring it. A change
// to what is already so records nothing. Errors: NotFound, Forbidden.
func DecideRequireMFA(o Organisation, actor Actor, required bool) ([]Event, error) {
	actor = o.asNow(actor)
	if !o.Exists {
		return nil, Errorf(NotFound, "no such organisation")
	}
	if !canManage(o, actor) {
		return nil, Errorf(Forbidden, "only the organisation's lead or the coordinator can require a second factor")
	}
	if o.MFARequired == required {
		return nil, nil
	}
	return []Event{&OrganisationMFARequirementChanged{Required: required}}, nil
}
