package domain

import "github.com/google/uuid"

// DecideSetPassword records a one-time password hash that the
// organisation's lead or the coordinator set for one of its users who
// cannot sign in (a forgotten password): the user must change it at their
// next sign-in (R-AUTH-6), as after `ledger admin reset-password`, and the
// event is the same (the hash, never the password). An account holding a
// network role is the coordinator's alone (R-AUTH-7). Nobody sets their
// own password this way: they change it knowing the current one, so a
// session left open cannot take the account over. The caller has checked
// the password against the policy. Errors: those of CheckSetPassword.
func DecideSetPassword(o Organisation, actor Actor, userID uuid.UUID, newHash string) ([]Event, error) {
	if err := CheckSetPassword(o, actor, userID); err != nil {
		return nil, err
	}
	return []Event{&OrganisationPasswordChanged{UserID: userID, PasswordHash: newHash, PasswordChangeRequired: true}}, nil
}

// CheckSetPassword reports whether actor may set a one-time password for
// user userID of o (DecideSetPassword), so that a refusal comes before
// the password is checked and hashed. Errors: NotFound (no such
// organisation, or no such user in it), Forbidden, Conflict (closed
// account).
func CheckSetPassword(o Organisation, actor Actor, userID uuid.UUID) error {
	actor = o.asNow(actor)
	if !o.Exists {
		return Errorf(NotFound, "no such organisation")
	}
	if !canManage(o, actor) {
		return Errorf(Forbidden, "only the organisation's lead or the coordinator can set a password for its users")
	}
	u, ok := o.Users[userID]
	if !ok {
		return Errorf(NotFound, "no such user in this organisation")
	}
	if err := CheckSetPasswordRoles(u.Roles, actor); err != nil {
		return err
	}
	if userID == actor.UserID {
		return Errorf(Forbidden, "you cannot set your own password here: change it with your current one")
	}
	if u.Closed {
		return Errorf(Conflict, "the account is closed")
	}
	return nil
}

// CheckSetPasswordRoles refuses, Forbidden, anyone but the coordinator
// setting a password for an account holding roles, when one of them is a
// network role (R-AUTH-7): the part of CheckSetPassword the pages check
// before offering the form.
func CheckSetPasswordRoles(roles []Role, actor Actor) error {
	if (User{Roles: roles}).holdsNetworkRole() && !actor.Has(RoleCoordinator) {
		return &Error{Code: Forbidden, Message: "only the coordinator sets a password for an account that holds a network role"}
	}
	return nil
}
