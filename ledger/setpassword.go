package ledger

import (
	"context"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// SetPassword sets a new one-time password for user userID of
// organisation orgID, for someone who forgot theirs: by the
// organisation's lead, or the coordinator, who alone may for an account
// holding a network role (R-AUTH-7). The password must meet the policy
// (R-AUTH-2, the common-password list included), checked as for a user
// added with an initial password; it is stored only as its hash, in the
// event `ledger admin reset-password` records, with the actor who set it.
// The user must change it at their next sign-in (R-AUTH-6), and every
// session of theirs ends: deleted from the session store here, and refused
// on any node because it was opened with another password (credentialOf).
// Failed sign-ins of the account are forgotten, lifting a lockout.
// Errors: NotFound, Forbidden, Conflict (closed account), Invalid (naming
// the field password), PreconditionFailed, Unavailable (too many passwords
// being hashed at once).
func (a *Accounts) SetPassword(ctx context.Context, actor domain.Actor, orgID, userID uuid.UUID, password string) (Written, error) {
	o, err := a.svc.Organisation(ctx, orgID)
	if err != nil {
		return Written{}, err
	}
	// Who may, and for whom, before the policy and the (deliberately slow)
	// hashing.
	if err := domain.CheckSetPassword(o, actor, userID); err != nil {
		return Written{}, err
	}
	u := o.Users[userID]
	if password == "" {
		return Written{}, domain.InvalidFields(domain.FieldError{Field: "password", Message: "is required"})
	}
	if err := a.policy.Check(u.Username, password, u.DisplayName, o.Name); err != nil {
		return Written{}, withField(err, "password")
	}
	hash, err := a.hasher.Hash(password)
	if err != nil {
		return Written{}, err
	}
	_, w, err := execute(ctx, a.svc, actor, OrganisationStream(orgID), domain.EvolveOrganisation,
		func(o domain.Organisation) ([]domain.Event, error) {
			return domain.DecideSetPassword(o, actor, userID, hash)
		})
	if err != nil {
		return w, err
	}
	if err := a.users.WaitFor(ctx, w.Position); err != nil {
		return w, err
	}
	if err := a.sessions.DeleteForUser(userID.String()); err != nil {
		return w, err
	}
	return w, a.clearThrottle(u.Username)
}

// accountThrottleClearer is a Throttle that can forget an account's
// failed attempts (auth.Throttle does).
type accountThrottleClearer interface {
	ClearAccount(username string) error
}

// clearThrottle forgets the failed sign-in attempts, and so the lockout,
// of the account username once someone else has set its password: the
// user given the new password can sign in with it at once, rather than
// after the lockout the guesses of the old one earned (R-AUTH-3). The
// limits per client address stay as they are.
func (a *Accounts) clearThrottle(username string) error {
	if c, ok := a.throttle.(accountThrottleClearer); ok {
		return c.ClearAccount(username)
	}
	return nil
}
