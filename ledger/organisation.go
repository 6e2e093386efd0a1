package ledger

import (
	"context"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// RegisterOrganisation signs an organisation up (R-ORG-1). Errors:
// Forbidden, Invalid.
func (s *Service) RegisterOrganisation(ctx context.Context, actor domain.Actor, cmd domain.RegisterOrganisation) (domain.Organisation, Written, error) {
	cmd.OrganisationID = s.newID()
	return execute(ctx, s, actor, OrganisationStream(cmd.OrganisationID), domain.EvolveOrganisation,
		func(o domain.Organisation) ([]domain.Event, error) {
			return domain.DecideRegisterOrganisation(o, actor, cmd)
		})
}

// Organisation returns an organisation's current state. Every signed-in user
// may read the directory side of it. Errors: NotFound.
func (s *Service) Organisation(ctx context.Context, id uuid.UUID) (domain.Organisation, error) {
	history, err := s.load(ctx, OrganisationStream(id))
	if err != nil {
		return domain.Organisation{}, err
	}
	o := domain.ReplayOrganisation(history)
	if !o.Exists {
		return o, domain.Errorf(domain.NotFound, "no such organisation")
	}
	return o, nil
}

// UpdateOrganisation changes the directory entry or admin contact. Errors:
// NotFound, Forbidden, Invalid, PreconditionFailed (If-Match).
func (s *Service) UpdateOrganisation(ctx context.Context, actor domain.Actor, id uuid.UUID, cmd domain.UpdateOrganisation) (domain.Organisation, Written, error) {
	return execute(ctx, s, actor, OrganisationStream(id), domain.EvolveOrganisation,
		func(o domain.Organisation) ([]domain.Event, error) {
			return domain.DecideUpdateOrganisation(o, actor, cmd)
		})
}

// SetIntake switches the organisation's intake on or off (R-ORG-2). Errors:
// NotFound, Forbidden, Invalid, PreconditionFailed.
func (s *Service) SetIntake(ctx context.Context, actor domain.Actor, id uuid.UUID, cmd domain.SetIntake) (domain.Organisation, Written, error) {
	now := s.Now()
	return execute(ctx, s, actor, OrganisationStream(id), domain.EvolveOrganisation,
		func(o domain.Organisation) ([]domain.Event, error) { return domain.DecideSetIntake(o, actor, cmd, now) })
}

// NewUser is a request to open an account, with its password in clear.
type NewUser struct {
	Username    string
	DisplayName string
	Email       string
	Roles       []domain.Role
	Team        string
	Password    string
}

// AddUser opens an account in organisation orgID (R-ORG-3): it checks the
// password against the policy (R-AUTH-2), reserves the username network-wide
// (R-AUTH-1), hashes the password (R-AUTH-3) and records the user. Errors:
// NotFound, Forbidden, Invalid, Conflict (username taken).
func (acc *Accounts) AddUser(ctx context.Context, actor domain.Actor, orgID uuid.UUID, nu NewUser) (domain.User, Written, error) {
	s := acc.svc
	o, err := s.Organisation(ctx, orgID)
	if err != nil {
		return domain.User{}, Written{}, err
	}
	userID := s.newID()
	// A password set by a person other than the user (an org lead, the
	// coordinator) must be changed at first sign-in (R-AUTH-6); only the
	// bootstrap, acting for the operator, sets one that is not.
	cmd := domain.AddUser{UserID: userID, Username: nu.Username, DisplayName: nu.DisplayName, Email: nu.Email,
		Roles: nu.Roles, Team: nu.Team, PasswordChangeRequired: actor.UserID != uuid.Nil}
	// Decide once without the hash so that authorisation and field errors
	// come before the (deliberately slow) hashing and the reservation.
	if _, err := domain.DecideAddUser(o, actor, cmd); err != nil {
		return domain.User{}, Written{}, err
	}
	if err := acc.policy.Check(nu.Username, nu.Password); err != nil {
		return domain.User{}, Written{}, err
	}
	if cmd.PasswordHash, err = acc.hasher.Hash(nu.Password); err != nil {
		return domain.User{}, Written{}, err
	}
	if _, _, err := execute(ctx, s, actor, UsernameStream(nu.Username), domain.EvolveUsername,
		func(u domain.Username) ([]domain.Event, error) { return domain.DecideReserveUsername(u, userID, orgID) }); err != nil {
		return domain.User{}, Written{}, err
	}
	o, w, err := execute(ctx, s, actor, OrganisationStream(orgID), domain.EvolveOrganisation,
		func(o domain.Organisation) ([]domain.Event, error) { return domain.DecideAddUser(o, actor, cmd) })
	if err != nil {
		return domain.User{}, Written{}, err
	}
	return o.Users[userID], w, nil
}

// CloseAccount closes a user's account from this moment (R-ORG-3): the
// account's sessions end at once. Errors: NotFound, Forbidden.
func (acc *Accounts) CloseAccount(ctx context.Context, actor domain.Actor, orgID, userID uuid.UUID) (Written, error) {
	s := acc.svc
	_, w, err := execute(ctx, s, actor, OrganisationStream(orgID), domain.EvolveOrganisation,
		func(o domain.Organisation) ([]domain.Event, error) {
			return domain.DecideCloseAccount(o, actor, userID)
		})
	if err != nil {
		return w, err
	}
	return w, acc.sessions.DeleteForUser(userID.String())
}
