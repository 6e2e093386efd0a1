package ledger

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// Account is a user as their organisation's lead and the coordinator see
// them in the organisation's list (R-ORG-3): the account, with the network
// roles no coordinator granted marked void, and when they last signed in
// (zero if never, or not since sign-ins were recorded).
type Account struct {
	domain.User
	LastSignIn time.Time
}

// OrganisationUsers lists the accounts of organisation orgID, open ones
// first, each group by display name. Only the organisation's lead and the
// coordinator may read it, as only they manage its accounts (R-ORG-3).
// Errors: NotFound (no such organisation), Forbidden, Unavailable.
func (acc *Accounts) OrganisationUsers(ctx context.Context, actor domain.Actor, orgID uuid.UUID) ([]Account, error) {
	o, err := acc.managed(ctx, actor, orgID)
	if err != nil {
		return nil, err
	}
	users := make([]domain.User, 0, len(o.Users))
	for _, u := range o.Users {
		users = append(users, u)
	}
	slices.SortFunc(users, func(a, b domain.User) int {
		if a.Closed != b.Closed {
			if a.Closed {
				return 1
			}
			return -1
		}
		return cmp.Or(strings.Compare(strings.ToLower(a.DisplayName), strings.ToLower(b.DisplayName)),
			strings.Compare(a.Username, b.Username))
	})
	return acc.accounts(users)
}

// OrganisationUser returns one account of organisation orgID, under the
// rule of OrganisationUsers. Errors: NotFound (no such organisation, or no
// such user in it), Forbidden, Unavailable.
func (acc *Accounts) OrganisationUser(ctx context.Context, actor domain.Actor, orgID, userID uuid.UUID) (Account, error) {
	o, err := acc.managed(ctx, actor, orgID)
	if err != nil {
		return Account{}, err
	}
	u, ok := o.Users[userID]
	if !ok {
		return Account{}, domain.Errorf(domain.NotFound, "no such user in this organisation")
	}
	out, err := acc.accounts([]domain.User{u})
	if err != nil {
		return Account{}, err
	}
	return out[0], nil
}

// managed reads organisation orgID for an actor who manages it. Errors:
// NotFound, Forbidden.
func (acc *Accounts) managed(ctx context.Context, actor domain.Actor, orgID uuid.UUID) (domain.Organisation, error) {
	o, err := acc.svc.Organisation(ctx, orgID)
	if err != nil {
		return o, err
	}
	if !o.ManagedBy(actor) {
		return o, domain.Errorf(domain.Forbidden, "only the organisation's lead or the coordinator can see its users")
	}
	return o, nil
}

// accounts adds to users their void network roles, from the user index
// (which alone knows who granted them), and their last sign-in.
func (acc *Accounts) accounts(users []domain.User) ([]Account, error) {
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID.String()
	}
	last, err := acc.sessions.LastSignIns(ids)
	if err != nil {
		return nil, err
	}
	out := make([]Account, len(users))
	for i, u := range users {
		if indexed, ok := acc.users.UserByID(u.ID); ok && slices.Equal(indexed.Roles, u.Roles) {
			u.VoidRoles = indexed.VoidRoles
		}
		out[i] = Account{User: u, LastSignIn: last[ids[i]]}
	}
	return out, nil
}
