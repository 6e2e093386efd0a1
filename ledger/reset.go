package ledger

import (
	"context"

	"github.com/referral-ledger/ledger/domain"
)

// ResetPassword sets a new, generated one-time password for the account
// username, for an operator recovering an account nobody can sign in to
// (a lost first password): `ledger admin reset-password`, run with the
// server stopped. The reset is recorded as an event by the system actor;
// the user must change the password at first sign-in (R-AUTH-6), and every
// session of theirs ends. It returns the password, to be shown once.
// Errors: NotFound (no such account), Forbidden (closed account).
func (a *Accounts) ResetPassword(ctx context.Context, username string) (string, error) {
	if err := a.catchUp(ctx); err != nil {
		return "", err
	}
	u, ok := a.users.UserByUsername(domain.NormaliseUsername(username))
	if !ok {
		return "", domain.Errorf(domain.NotFound, "no account is named %q", username)
	}
	var orgName string
	if o, err := a.svc.Organisation(ctx, u.OrganisationID); err == nil {
		orgName = o.Name
	}
	password := generatePassword()
	if err := a.policy.Check(u.Username, password, u.DisplayName, orgName); err != nil {
		return "", err
	}
	hash, err := a.hasher.Hash(password)
	if err != nil {
		return "", err
	}
	system := domain.Actor{} // no user: the operator, at the data directory
	_, w, err := execute(ctx, a.svc, system, OrganisationStream(u.OrganisationID), domain.EvolveOrganisation,
		func(o domain.Organisation) ([]domain.Event, error) { return domain.DecideResetPassword(o, u.ID, hash) })
	if err != nil {
		return "", err
	}
	if err := a.users.WaitFor(ctx, w.Position); err != nil {
		return "", err
	}
	if err := a.sessions.DeleteForUser(u.ID.String()); err != nil {
		return password, err
	}
	return password, a.clearThrottle(u.Username)
}
