package ledger

import (
	"context"
	"encoding/base64"
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

// UsersPage is one page of an organisation's accounts. Next is the cursor
// of the following page, "" when this is the last.
type UsersPage struct {
	Users []Account
	Next  string
}

// OrganisationUsers lists the accounts of organisation orgID by username
// (unique and never changed, so pages neither skip nor repeat anyone
// whatever is edited meanwhile), at most limit (1 to 200, 50 when 0)
// after the cursor after ("" for the first page). Only the
// organisation's lead and the coordinator may read it, as only they
// manage its accounts (R-ORG-3). Errors: NotFound (no such organisation),
// Forbidden, Invalid (a cursor no page gave, naming the field next),
// Unavailable.
func (acc *Accounts) OrganisationUsers(ctx context.Context, actor domain.Actor, orgID uuid.UUID, after string, limit int) (UsersPage, error) {
	o, err := acc.managed(ctx, actor, orgID)
	if err != nil {
		return UsersPage{}, err
	}
	// A cursor names the organisation whose list gave it: another's is
	// not a cursor of this list.
	tag := usersCursorTag + orgID.String() + ":"
	from := ""
	if after != "" {
		b, err := base64.RawURLEncoding.DecodeString(after)
		if err != nil || !strings.HasPrefix(string(b), tag) {
			return UsersPage{}, domain.InvalidFields(domain.FieldError{Field: "next",
				Message: "must be the next value of a page of this list, unchanged"})
		}
		from = strings.TrimPrefix(string(b), tag)
	}
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 200)
	users := make([]domain.User, 0, len(o.Users))
	for _, u := range o.Users {
		if u.Username > from {
			users = append(users, u)
		}
	}
	slices.SortFunc(users, func(a, b domain.User) int { return strings.Compare(a.Username, b.Username) })
	var page UsersPage
	if len(users) > limit {
		users = users[:limit]
		page.Next = base64.RawURLEncoding.EncodeToString([]byte(tag + users[limit-1].Username))
	}
	page.Users, err = acc.accounts(users)
	return page, err
}

// usersCursorTag starts every cursor of the users list, before the
// organisation's id, so a cursor of another list is refused.
const usersCursorTag = "u:"

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
