package ledger

import (
	"context"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
)

// OrganisationNames finds organisations by name, as a projection of the
// organisation streams. WaitFor blocks until it has applied every event up
// to pos.
type OrganisationNames interface {
	OrganisationNamed(name string) (uuid.UUID, bool)
	WaitFor(ctx context.Context, pos eventstore.Position) error
}

// SetOrganisationNames gives the service the index it checks organisation
// names against besides their reservations: organisations registered before
// names were reserved hold theirs only there.
func (s *Service) SetOrganisationNames(n OrganisationNames) { s.names = n }

// RegisterOrganisation signs an organisation up (R-ORG-1) under a name no
// other organisation has, ignoring case and spacing. Errors: Forbidden,
// Invalid, Conflict (naming the field name).
func (s *Service) RegisterOrganisation(ctx context.Context, actor domain.Actor, cmd domain.RegisterOrganisation) (domain.Organisation, Written, error) {
	cmd.OrganisationID = s.newID(ctx)
	// Authority and fields first, so that a refused request reserves nothing.
	if _, err := domain.DecideRegisterOrganisation(domain.Organisation{}, actor, cmd); err != nil {
		return domain.Organisation{}, Written{}, err
	}
	if err := s.claimName(ctx, actor, cmd.OrganisationID, cmd.Name); err != nil {
		return domain.Organisation{}, Written{}, err
	}
	o, w, err := execute(ctx, s, actor, OrganisationStream(cmd.OrganisationID), domain.EvolveOrganisation,
		func(o domain.Organisation) ([]domain.Event, error) {
			return domain.DecideRegisterOrganisation(o, actor, cmd)
		})
	if err != nil {
		s.releaseName(ctx, actor, cmd.OrganisationID, cmd.Name)
	}
	return o, w, err
}

// OrganisationNameHeld says whether an organisation other than org holds
// name (R-ORG-1), ignoring case and spacing as the reservation does; org
// is uuid.Nil for one not yet registered. A form asks it when the ledger
// refused other fields first, so that its error summary also names a
// taken name at once. Errors: the store's.
func (s *Service) OrganisationNameHeld(ctx context.Context, org uuid.UUID, name string) (bool, error) {
	n, _, _, err := fold(ctx, s, OrganisationNameStream(name), domain.EvolveOrganisationName)
	if err != nil {
		return false, err
	}
	return n.Reserved && n.OrganisationID != org, nil
}

// claimName reserves name for organisation org (R-ORG-1). Errors: Conflict,
// naming the field name, when another organisation holds it.
func (s *Service) claimName(ctx context.Context, actor domain.Actor, org uuid.UUID, name string) error {
	if s.names != nil {
		head, err := s.store.Head(ctx)
		if err != nil {
			return storeError(err)
		}
		if err := s.names.WaitFor(ctx, head); err != nil {
			return err
		}
		if other, ok := s.names.OrganisationNamed(name); ok && other != org {
			return domain.ErrOrganisationNameTaken()
		}
	}
	reserve := func(n domain.OrganisationName) ([]domain.Event, error) {
		return domain.DecideReserveOrganisationName(n, org)
	}
	n, _, err := execute(ctx, s, actor, OrganisationNameStream(name), domain.EvolveOrganisationName, reserve)
	if err == nil && (!n.Reserved || n.OrganisationID != org) {
		// A rerun of the request (R-OPS-1) found the reservation its first
		// run made, and then gave up when it failed: reserve afresh.
		_, _, err = execute(withoutIdempotencyKey(ctx), s, actor, OrganisationNameStream(name), domain.EvolveOrganisationName, reserve)
	}
	return err
}

// releaseName gives up org's reservation of name, if it holds one. It is
// best effort: a reservation left behind only keeps a name taken.
func (s *Service) releaseName(ctx context.Context, actor domain.Actor, org uuid.UUID, name string) {
	_, _, _ = execute(ctx, s, actor, OrganisationNameStream(name), domain.EvolveOrganisationName,
		func(n domain.OrganisationName) ([]domain.Event, error) {
			return domain.DecideReleaseOrganisationName(n, org)
		})
}

// Organisation returns an organisation's current state. Every signed-in user
// may read the directory side of it. Errors: NotFound.
func (s *Service) Organisation(ctx context.Context, id uuid.UUID) (domain.Organisation, error) {
	o, _, _, err := fold(ctx, s, OrganisationStream(id), domain.EvolveOrganisation)
	if err != nil {
		return domain.Organisation{}, err
	}
	if !o.Exists {
		return o, domain.Errorf(domain.NotFound, "no such organisation")
	}
	return o, nil
}

// UpdateOrganisation changes the directory entry or admin contact. A new
// name must be one no other organisation has, ignoring case and spacing
// (R-ORG-1); the old one is then released. Errors: NotFound, Forbidden,
// Invalid, Conflict (naming the field name), PreconditionFailed (If-Match).
func (s *Service) UpdateOrganisation(ctx context.Context, actor domain.Actor, id uuid.UUID, cmd domain.UpdateOrganisation) (domain.Organisation, Written, error) {
	update := func(o domain.Organisation) ([]domain.Event, error) {
		return domain.DecideUpdateOrganisation(o, actor, cmd)
	}
	if cmd.Name == nil {
		return execute(ctx, s, actor, OrganisationStream(id), domain.EvolveOrganisation, update)
	}
	before, revision, exists, err := fold(ctx, s, OrganisationStream(id), domain.EvolveOrganisation)
	if err != nil {
		return domain.Organisation{}, Written{}, err
	}
	if _, err := update(before); err != nil {
		return domain.Organisation{}, Written{}, err
	}
	// If-Match names the organisation's revision: checked on it before a
	// name is claimed, and not held against the names' own streams.
	if err := holdsFor(ctx, exists, revision); err != nil {
		return domain.Organisation{}, Written{}, err
	}
	renamed := domain.NormaliseOrganisationName(*cmd.Name) != domain.NormaliseOrganisationName(before.Name)
	if renamed {
		if err := s.claimName(withoutMatch(ctx), actor, id, *cmd.Name); err != nil {
			return domain.Organisation{}, Written{}, err
		}
	}
	o, w, err := execute(ctx, s, actor, OrganisationStream(id), domain.EvolveOrganisation,
		func(o domain.Organisation) ([]domain.Event, error) {
			// The claim above was made against before's name: a rename that
			// got in since would leave a name unclaimed or one held in vain.
			if domain.NormaliseOrganisationName(o.Name) != domain.NormaliseOrganisationName(before.Name) {
				return nil, domain.Errorf(domain.Conflict, "the organisation was renamed meanwhile; read it again and retry")
			}
			return update(o)
		})
	switch {
	case renamed && err != nil && domain.NormaliseOrganisationName(o.Name) != domain.NormaliseOrganisationName(*cmd.Name):
		s.releaseName(withoutMatch(ctx), actor, id, *cmd.Name)
	case renamed && err == nil:
		s.releaseName(withoutMatch(ctx), actor, id, before.Name)
	}
	return o, w, err
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
	userID := s.newID(ctx)
	// A password set by a person other than the user (an org lead, the
	// coordinator) must be changed at first sign-in (R-AUTH-6); only the
	// bootstrap, acting for the operator, sets one that is not.
	cmd := domain.AddUser{UserID: userID, Username: nu.Username, DisplayName: nu.DisplayName, Email: nu.Email,
		Roles: nu.Roles, Team: nu.Team, PasswordChangeRequired: actor.UserID != uuid.Nil}
	// A user with this id exists only when the id derives from the request
	// and the request ran before (R-OPS-1): its steps below find their
	// events and answer from them, so there is nothing to check or hash.
	if _, ran := o.Users[userID]; !ran {
		// Decide once without the hash so that authorisation and field
		// errors come before the (deliberately slow) hashing and the
		// reservation.
		// Invalid fields and a refused password are reported together, so
		// that a form lists every mistake at once.
		_, err := domain.DecideAddUser(o, actor, cmd)
		if err != nil && domain.ErrorCode(err) != domain.Invalid {
			return domain.User{}, Written{}, err
		}
		var perr error
		if nu.Password == "" {
			perr = domain.InvalidFields(domain.FieldError{Field: "password", Message: "is required"})
		} else {
			perr = acc.policy.Check(nu.Username, nu.Password, nu.DisplayName, o.Name)
		}
		if err != nil || perr != nil {
			return domain.User{}, Written{}, joinInvalid(err, perr)
		}
		if cmd.PasswordHash, err = acc.hasher.Hash(nu.Password); err != nil {
			return domain.User{}, Written{}, err
		}
	}
	// If-Match names the organisation's revision (an account is part of
	// its stream): checked on it before the username is reserved, and
	// not held against the username's own stream.
	// A rerun of the request (R-OPS-1) answers from what its first run
	// wrote instead.
	if _, ran := o.Users[userID]; !ran {
		_, revision, exists, err := fold(ctx, s, OrganisationStream(orgID), domain.EvolveOrganisation)
		if err != nil {
			return domain.User{}, Written{}, err
		}
		if err := holdsFor(ctx, exists, revision); err != nil {
			return domain.User{}, Written{}, err
		}
	}
	reserve := func(u domain.Username) ([]domain.Event, error) { return domain.DecideReserveUsername(u, userID, orgID) }
	held, _, err := execute(withoutMatch(ctx), s, actor, UsernameStream(nu.Username), domain.EvolveUsername, reserve)
	if err != nil {
		return domain.User{}, Written{}, err
	}
	if !held.Reserved || held.UserID != userID {
		// An earlier run of this request reserved the name under its
		// derived ids, failed to record the account and gave the name up
		// (releaseUsername): reserve it again, under fresh ids.
		if _, _, err := execute(withoutIdempotencyKey(withoutMatch(ctx)), s, actor, UsernameStream(nu.Username),
			domain.EvolveUsername, reserve); err != nil {
			return domain.User{}, Written{}, err
		}
	}
	o, w, err := execute(ctx, s, actor, OrganisationStream(orgID), domain.EvolveOrganisation,
		func(o domain.Organisation) ([]domain.Event, error) { return domain.DecideAddUser(o, actor, cmd) })
	if err != nil {
		acc.releaseUsername(ctx, actor, orgID, userID, nu.Username)
		return domain.User{}, Written{}, err
	}
	return o.Users[userID], w, nil
}

// releaseUsername gives up the reservation of username for userID after
// the account could not be recorded in organisation orgID (a full disk, a
// stale If-Match, the actor's role removed meanwhile), so that the name is
// not kept from everyone for an account that does not exist (R-AUTH-1). It
// is best effort: a reservation left behind only keeps a name taken. It
// releases nothing if the account is recorded after all. The release takes
// fresh ids, never ones derived from the request: a retry of a request
// with an idempotency key finds its first reservation given up and
// reserves the name again (AddUser).
func (acc *Accounts) releaseUsername(ctx context.Context, actor domain.Actor, orgID, userID uuid.UUID, username string) {
	ctx, cancel := context.WithTimeout(withoutIdempotencyKey(withoutMatch(context.WithoutCancel(ctx))), releaseTimeout)
	defer cancel()
	o, _, _, err := fold(ctx, acc.svc, OrganisationStream(orgID), domain.EvolveOrganisation)
	if err != nil {
		return
	}
	if _, recorded := o.Users[userID]; recorded {
		return
	}
	_, _, _ = execute(ctx, acc.svc, actor, UsernameStream(username), domain.EvolveUsername,
		func(u domain.Username) ([]domain.Event, error) { return domain.DecideReleaseUsername(u, userID) })
}

// releaseTimeout bounds giving a username up after a failed request, which
// may have failed because its own time ran out.
const releaseTimeout = 5 * time.Second

// UpdateUser edits an account's display name, email, roles and team
// (R-ORG-3) under the rules of domain.DecideUpdateUser: network roles only
// by the coordinator (R-AUTH-7). A role removed stops counting on the
// user's next request, which reads the user afresh. Errors: NotFound,
// Forbidden, Invalid, Conflict (closed account), PreconditionFailed.
func (acc *Accounts) UpdateUser(ctx context.Context, actor domain.Actor, orgID uuid.UUID, cmd domain.UpdateUser) (domain.User, Written, error) {
	decide := func(o domain.Organisation) ([]domain.Event, error) { return domain.DecideUpdateUser(o, actor, cmd) }
	ended, err := acc.endCoordinator(ctx, actor, orgID, cmd.UserID, decide)
	if err != nil {
		return domain.User{}, Written{}, err
	}
	o, w, err := execute(ctx, acc.svc, actor, OrganisationStream(orgID), domain.EvolveOrganisation, decide)
	if err != nil || ended || (cmd.Roles != nil && slices.Contains(*cmd.Roles, domain.RoleCoordinator)) {
		// A removal not recorded in the account, or a grant: the
		// network-wide record says the user holds the role as the
		// account does.
		acc.settleCoordinator(ctx, actor, orgID, cmd.UserID)
	}
	if err != nil {
		return domain.User{}, w, err
	}
	return o.Users[cmd.UserID], w, nil
}

// endCoordinator records in the network-wide stream that actor ends the
// coordinator role of userID, of organisation orgID, when decide, the
// change of the account, would end it on the organisation as it is now
// (R-AUTH-7): before the account's own stream records the change, so that
// of two coordinators of different organisations removing each other at
// once, the one recorded second is refused (domain.DecideEndCoordinator)
// and a coordinator remains. A change decide refuses records nothing here:
// the organisation's decision says why. It reports whether it recorded an
// ending. Errors: Forbidden.
func (acc *Accounts) endCoordinator(ctx context.Context, actor domain.Actor, orgID, userID uuid.UUID,
	decide func(domain.Organisation) ([]domain.Event, error)) (bool, error) {
	if !actor.Has(domain.RoleCoordinator) {
		return false, nil // no coordinator role ends but by the coordinator
	}
	o, err := acc.svc.Organisation(ctx, orgID)
	if err != nil {
		return false, nil
	}
	u, ok := o.Users[userID]
	if !ok || u.Closed || !slices.Contains(u.Roles, domain.RoleCoordinator) {
		return false, nil
	}
	events, err := decide(o)
	if err != nil {
		return false, nil
	}
	after := o
	for _, e := range events {
		after = domain.EvolveOrganisation(after, domain.Recorded{Event: e})
	}
	if v := after.Users[userID]; !v.Closed && slices.Contains(v.Roles, domain.RoleCoordinator) {
		return false, nil
	}
	_, w, err := execute(withoutIdempotencyKey(withoutMatch(ctx)), acc.svc, actor, NetworkRolesStream, domain.EvolveNetworkCoordinators,
		func(n domain.NetworkCoordinators) ([]domain.Event, error) {
			return domain.DecideEndCoordinator(n, actor, userID, orgID)
		})
	if err != nil {
		return false, err
	}
	return w.Events > 0, nil
}

// settleCoordinator makes the network-wide record agree with userID's
// account after a change of it: holding the coordinator role again if the
// account holds it (a grant, or an ending whose change was not recorded).
// Best effort: a record left saying ended only ever refuses that user's
// removals of other coordinators, until the role is granted again.
func (acc *Accounts) settleCoordinator(ctx context.Context, actor domain.Actor, orgID, userID uuid.UUID) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	o, err := acc.svc.Organisation(ctx, orgID)
	if err != nil {
		return
	}
	u, ok := o.Users[userID]
	if !ok || u.Closed || !slices.Contains(u.Roles, domain.RoleCoordinator) {
		return
	}
	_, _, _ = execute(withoutIdempotencyKey(withoutMatch(ctx)), acc.svc, actor, NetworkRolesStream, domain.EvolveNetworkCoordinators,
		func(n domain.NetworkCoordinators) ([]domain.Event, error) {
			return domain.DecideHoldCoordinator(n, userID, orgID)
		})
}

// CloseAccount closes a user's account from this moment (R-ORG-3): the
// account's sessions end at once. Errors: NotFound, Forbidden.
func (acc *Accounts) CloseAccount(ctx context.Context, actor domain.Actor, orgID, userID uuid.UUID) (Written, error) {
	s := acc.svc
	decide := func(o domain.Organisation) ([]domain.Event, error) {
		return domain.DecideCloseAccount(o, actor, userID)
	}
	ended, err := acc.endCoordinator(ctx, actor, orgID, userID, decide)
	if err != nil {
		return Written{}, err
	}
	_, w, err := execute(ctx, s, actor, OrganisationStream(orgID), domain.EvolveOrganisation, decide)
	if err != nil {
		if ended {
			acc.settleCoordinator(ctx, actor, orgID, userID)
		}
		return w, err
	}
	return w, acc.sessions.DeleteForUser(userID.String())
}

// joinInvalid is one Invalid error listing the fields of every Invalid
// error among errs; nil if all are nil, and the first error that is not
// Invalid as it is, since it says something other than a field's mistake.
func joinInvalid(errs ...error) error {
	var fields []domain.FieldError
	for _, err := range errs {
		if err == nil {
			continue
		}
		if domain.ErrorCode(err) != domain.Invalid || len(domain.ErrorFields(err)) == 0 {
			return err
		}
		fields = append(fields, domain.ErrorFields(err)...)
	}
	if fields == nil {
		return nil
	}
	return domain.InvalidFields(fields...)
}
