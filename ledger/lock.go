package ledger

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// LockIndex finds the client a lock or unlock request belongs to; ok is
// false when there is no such request, and err set, never ok false, when
// the read models cannot be read.
type LockIndex interface {
	ClientOfLockRequest(request uuid.UUID) (client uuid.UUID, unlock bool, ok bool, err error)
}

// clientOfLockRequest is index.ClientOfLockRequest. Errors: Unavailable.
func clientOfLockRequest(index LockIndex, request uuid.UUID) (uuid.UUID, bool, bool, error) {
	client, unlock, ok, err := index.ClientOfLockRequest(request)
	if err != nil {
		return uuid.Nil, false, false, viewsUnreadable(err)
	}
	return client, unlock, ok, nil
}

// ClientKnowledge answers which organisations hold a client, and their
// referrals.
type ClientKnowledge interface {
	ClientIndex
	ClientReferrals
}

// missingOrganisations names the team entries of a lock's list whose
// organisation does not exist (R-LOCK-11), one error each. Errors: the
// store's.
func (s *Service) missingOrganisations(ctx context.Context, field string, parties []domain.Party) ([]domain.FieldError, error) {
	var out []domain.FieldError
	for i, p := range parties {
		if p.OrganisationID == uuid.Nil {
			continue
		}
		o, _, _, err := fold(ctx, s, OrganisationStream(p.OrganisationID), domain.EvolveOrganisation)
		if err != nil {
			return nil, err
		}
		if !o.Exists {
			out = append(out, domain.FieldError{Field: fmt.Sprintf("%s[%d].organisation_id", field, i), Message: "no such organisation"})
		}
	}
	return out, nil
}

// namedStaff returns the accounts the lists name by user id, as the
// directory has them.
func (s *Service) namedStaff(lists ...[]domain.Party) map[uuid.UUID]domain.User {
	out := map[uuid.UUID]domain.User{}
	if s.people == nil {
		return out
	}
	for _, list := range lists {
		for _, p := range list {
			if p.UserID == uuid.Nil {
				continue
			}
			if u, ok := s.people.UserByID(p.UserID); ok {
				out[p.UserID] = u
			}
		}
	}
	return out
}

// onClient runs a decision on a client's stream.
func (s *Service) onClient(ctx context.Context, actor domain.Actor, client uuid.UUID,
	decide func(domain.ClientRecord) ([]domain.Event, error)) (domain.ClientRecord, Written, error) {
	return execute(ctx, s, actor, ClientStream(client), domain.EvolveClient, decide)
}

// RequestLock records a team manager's request to lock a client's case
// (R-LOCK-1); the lock will belong to their organisation, and the
// responsible person must be an active member of it (R-LOCK-10). Only an
// organisation holding the client may ask, and one kept out of a hidden
// lock learns nothing (R-LOCK-12). Errors: NotFound, Forbidden, Conflict,
// Invalid.
func (s *Service) RequestLock(ctx context.Context, actor domain.Actor, cmd domain.RequestLock, idx CaseIndex) (domain.ClientRecord, Written, error) {
	if s.people != nil {
		cmd.Responsible, _ = s.people.UserByID(cmd.ResponsibleUserID)
	}
	cmd.Named = s.namedStaff(cmd.Allow, cmd.Deny)
	// Whom the deny list leaves to decide the request (R-LOCK-10).
	own, _, _, err := fold(ctx, s, OrganisationStream(actor.OrganisationID), domain.EvolveOrganisation)
	if err != nil {
		return domain.ClientRecord{}, Written{}, err
	}
	cmd.Colleagues = own.Users
	for _, list := range []struct {
		field   string
		parties []domain.Party
	}{{"allow", cmd.Allow}, {"deny", cmd.Deny}} {
		missing, err := s.missingOrganisations(ctx, list.field, list.parties)
		if err != nil {
			return domain.ClientRecord{}, Written{}, err
		}
		// Refused with every other mistake, when the gate lets the caller
		// that far (R-LOCK-12).
		cmd.Refused = append(cmd.Refused, missing...)
	}
	cmd.RequestID = s.newID(ctx)
	return s.onGatedClient(ctx, actor, cmd.ClientID, idx, errNoClient, func(c domain.ClientRecord) ([]domain.Event, error) {
		knows, err := organisationKnows(idx, actor.OrganisationID, cmd.ClientID)
		if err != nil {
			return nil, err
		}
		if !knows {
			return nil, errNoClient
		}
		return domain.DecideRequestLock(c, actor, cmd)
	})
}

// DecideLockRequest is a service manager's decision on a lock or unlock
// request (R-LOCK-1, R-LOCK-6, R-LOCK-10). Whoever may not see the case
// gets the answer for a request that does not exist (R-LOCK-12). Errors:
// NotFound, Forbidden, Conflict (already decided, however it went),
// Invalid.
func (s *Service) DecideLockRequest(ctx context.Context, actor domain.Actor, request uuid.UUID, approve bool, reason string,
	index LockIndex, idx CaseIndex) (domain.ClientRecord, bool, Written, error) {
	noRequest := domain.Errorf(domain.NotFound, "no such lock request")
	client, unlock, ok, err := clientOfLockRequest(index, request)
	if err != nil {
		return domain.ClientRecord{}, false, Written{}, err
	}
	if !ok {
		client = request // no client, no lock, no referrals: refused as a real one would be
	}
	c, w, err := s.onGatedClient(ctx, actor, client, idx, noRequest, func(c domain.ClientRecord) ([]domain.Event, error) {
		switch {
		case !ok:
			return nil, noRequest
		case unlock:
			return domain.DecideUnlock(c, actor, request, approve, reason)
		}
		var responsible domain.User
		if s.people != nil {
			responsible, _ = s.people.UserByID(c.Lock.ResponsibleUserID)
		}
		return domain.DecideLock(c, actor, request, approve, reason, responsible)
	})
	if ok && domain.ErrorCode(err) == domain.NotFound {
		// A request no longer waiting was decided: to a service manager
		// who could have decided it, deciding it again is a conflict, as
		// for a lock request approved twice, whichever way it went;
		// anyone else still learns nothing (R-LOCK-12).
		if d, derr := s.LockRequestDecision(ctx, actor, request, index); derr == nil {
			kind := "lock"
			if d.Unlock {
				kind = "unlock"
			}
			if d.Withdrawn {
				return c, unlock, w, domain.Errorf(domain.Conflict, "the %s request was withdrawn", kind)
			}
			return c, unlock, w, domain.Errorf(domain.Conflict, "the %s request was already decided", kind)
		}
	}
	return c, unlock, w, err
}

// WithdrawLockRequest takes back a lock or unlock request that still
// awaits a decision: the team manager who made it, or another team
// manager of the organisation the lock belongs to (R-LOCK-1, R-LOCK-6,
// R-LOCK-10). Whoever may not see the case, or is not of that
// organisation, gets the answer for a request that does not exist
// (R-LOCK-12). One who could have withdrawn it, sending it again after it
// was decided or withdrawn, is told so (Conflict). Errors: NotFound,
// Forbidden, Conflict, Invalid.
func (s *Service) WithdrawLockRequest(ctx context.Context, actor domain.Actor, request uuid.UUID, reason string,
	index LockIndex, idx CaseIndex) (domain.ClientRecord, bool, Written, error) {
	client, unlock, ok, err := clientOfLockRequest(index, request)
	if err != nil {
		return domain.ClientRecord{}, false, Written{}, err
	}
	if !ok {
		client = request // no client, no lock, no referrals: refused as a real one would be
	}
	c, w, err := s.onGatedClient(ctx, actor, client, idx, errNoLockRequest, func(c domain.ClientRecord) ([]domain.Event, error) {
		if !ok {
			return nil, errNoLockRequest
		}
		return domain.DecideWithdrawLockRequest(c, actor, request, reason)
	})
	if ok && domain.ErrorCode(err) == domain.NotFound {
		if v, verr := s.lockRequestView(ctx, actor, request, index, idx); verr == nil && v.Status != "requested" && v.couldWithdraw {
			kind := "lock"
			if v.Unlock {
				kind = "unlock"
			}
			if v.Status == "withdrawn" {
				return c, unlock, w, domain.Errorf(domain.Conflict, "the %s request was already withdrawn", kind)
			}
			return c, unlock, w, domain.Errorf(domain.Conflict, "the %s request was already decided", kind)
		}
	}
	return c, unlock, w, err
}

// GrantTemporaryAccess lets the responsible person give a named member of
// staff access for at most 24 hours (R-LOCK-4). Whoever may not see the
// case gets the answer for a client that does not exist (R-LOCK-12).
// Errors: NotFound, Forbidden, Conflict, Invalid.
func (s *Service) GrantTemporaryAccess(ctx context.Context, actor domain.Actor, client, user uuid.UUID, reason string, hours int, idx CaseIndex) (domain.TemporaryGrant, Written, error) {
	grantee := domain.User{}
	if s.people != nil {
		grantee, _ = s.people.UserByID(user)
	}
	cmd := domain.GrantTemporaryAccess{GrantID: s.newID(ctx), Grantee: grantee, Reason: reason, Hours: hours}
	now := s.Now()
	c, w, err := s.onGatedClient(ctx, actor, client, idx, errNoClient, func(c domain.ClientRecord) ([]domain.Event, error) {
		return domain.DecideTemporaryAccess(c, actor, cmd, now)
	})
	if err != nil {
		return domain.TemporaryGrant{}, w, err
	}
	for _, g := range c.Lock.Grants {
		if g.ID == cmd.GrantID {
			return g, w, nil
		}
	}
	return domain.TemporaryGrant{}, w, nil
}

// EndTemporaryAccess ends a user's short-term access early: the grantee or
// the responsible person; whoever may not see the case gets the answer for
// a client that does not exist (R-LOCK-12). Errors: NotFound, Forbidden,
// Conflict.
func (s *Service) EndTemporaryAccess(ctx context.Context, actor domain.Actor, client, user uuid.UUID, idx CaseIndex) (Written, error) {
	now := s.Now()
	_, w, err := s.onGatedClient(ctx, actor, client, idx, errNoClient, func(c domain.ClientRecord) ([]domain.Event, error) {
		return domain.DecideEndTemporaryAccess(c, actor, user, now)
	})
	return w, err
}

// ReviewLock records a monthly review by a team manager of the
// organisation the lock belongs to (R-LOCK-5, R-LOCK-10, R-LOCK-12); one
// that does not keep the lock asks for the unlock, refused as
// RequestUnlock refuses it when no service manager could decide it
// (R-LOCK-6). Errors: NotFound, Forbidden, Conflict, Invalid.
func (s *Service) ReviewLock(ctx context.Context, actor domain.Actor, client uuid.UUID, keep bool, notes string, idx CaseIndex) (uuid.UUID, Written, error) {
	reviewID, unlockID := s.newID(ctx), s.newID(ctx)
	// Whom the lock leaves to decide the unlock the review may ask for
	// (R-LOCK-6, R-LOCK-10): a team manager who may review belongs to the
	// lock's organisation.
	own, _, _, err := fold(ctx, s, OrganisationStream(actor.OrganisationID), domain.EvolveOrganisation)
	if err != nil {
		return uuid.Nil, Written{}, err
	}
	_, w, err := s.onGatedClient(ctx, actor, client, idx, errNoClient, func(c domain.ClientRecord) ([]domain.Event, error) {
		return domain.DecideLockReview(c, actor, reviewID, unlockID, keep, notes, own.Users)
	})
	return reviewID, w, err
}

// RequestUnlock asks for a lock to be lifted, by a team manager of the
// organisation it belongs to (R-LOCK-6, R-LOCK-10, R-LOCK-12). Errors:
// NotFound, Forbidden, Conflict, Invalid.
func (s *Service) RequestUnlock(ctx context.Context, actor domain.Actor, client uuid.UUID, reason string, idx CaseIndex) (uuid.UUID, Written, error) {
	requestID := s.newID(ctx)
	// Whom the lock leaves to decide the request (R-LOCK-6, R-LOCK-10): a
	// team manager who may ask belongs to the lock's organisation.
	own, _, _, err := fold(ctx, s, OrganisationStream(actor.OrganisationID), domain.EvolveOrganisation)
	if err != nil {
		return uuid.Nil, Written{}, err
	}
	_, w, err := s.onGatedClient(ctx, actor, client, idx, errNoClient, func(c domain.ClientRecord) ([]domain.Event, error) {
		return domain.DecideRequestUnlock(c, actor, requestID, reason, own.Users)
	})
	return requestID, w, err
}

// UnlockDecidable answers the Conflict RequestUnlock would give a team
// manager when no service manager of the organisation could decide the
// request (R-LOCK-6, R-LOCK-10), so the unlock page says so before the
// form is filled in; nil otherwise, whatever else RequestUnlock checks.
func (s *Service) UnlockDecidable(ctx context.Context, actor domain.Actor, l domain.Lock) error {
	own, _, _, err := fold(ctx, s, OrganisationStream(actor.OrganisationID), domain.EvolveOrganisation)
	if err != nil {
		return err
	}
	return domain.UnlockDecidable(l, actor, own.Users)
}

// CompleteSeriousCaseReview records that the serious case review a lock was
// kept for is over (R-LOCK-10, R-LOCK-12). Errors: NotFound, Forbidden,
// Conflict.
func (s *Service) CompleteSeriousCaseReview(ctx context.Context, actor domain.Actor, client uuid.UUID, idx CaseIndex) (Written, error) {
	_, w, err := s.onGatedClient(ctx, actor, client, idx, errNoClient, func(c domain.ClientRecord) ([]domain.Event, error) {
		return domain.DecideCompleteSeriousCaseReview(c, actor)
	})
	return w, err
}
