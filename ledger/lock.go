package ledger

import (
	"context"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// LockIndex finds the client a lock or unlock request belongs to.
type LockIndex interface {
	ClientOfLockRequest(request uuid.UUID) (client uuid.UUID, unlock bool, ok bool)
}

// ClientKnowledge answers which organisations hold a client, and their
// referrals.
type ClientKnowledge interface {
	ClientIndex
	ClientReferrals
}

// involved checks a manager acts for an organisation that holds the client;
// others learn nothing (NotFound).
func involved(actor domain.Actor, client uuid.UUID, clients ClientIndex) error {
	if clients == nil || !clients.OrganisationKnowsClient(actor.OrganisationID, client) {
		return domain.Errorf(domain.NotFound, "no such client")
	}
	return nil
}

// onClient runs a decision on a client's stream.
func (s *Service) onClient(ctx context.Context, actor domain.Actor, client uuid.UUID,
	decide func(domain.ClientRecord) ([]domain.Event, error)) (domain.ClientRecord, Written, error) {
	return execute(ctx, s, actor, ClientStream(client), domain.EvolveClient, decide)
}

// RequestLock records a team manager's request to lock a client's case
// (R-LOCK-1). The responsible person must be an active user. Errors:
// NotFound, Forbidden, Conflict, Invalid.
func (s *Service) RequestLock(ctx context.Context, actor domain.Actor, cmd domain.RequestLock, clients ClientIndex) (domain.ClientRecord, Written, error) {
	if err := involved(actor, cmd.ClientID, clients); err != nil {
		return domain.ClientRecord{}, Written{}, err
	}
	if s.people != nil && cmd.ResponsibleUserID != uuid.Nil {
		if u, ok := s.people.UserByID(cmd.ResponsibleUserID); !ok || u.Closed {
			return domain.ClientRecord{}, Written{}, domain.InvalidFields(domain.FieldError{Field: "responsible_user_id", Message: "must be an active user"})
		}
	}
	cmd.RequestID = s.newID()
	return s.onClient(ctx, actor, cmd.ClientID, func(c domain.ClientRecord) ([]domain.Event, error) {
		return domain.DecideRequestLock(c, actor, cmd)
	})
}

// DecideLockRequest is a service manager's decision on a lock or unlock
// request (R-LOCK-1, R-LOCK-6). Errors: NotFound, Forbidden, Conflict,
// Invalid.
func (s *Service) DecideLockRequest(ctx context.Context, actor domain.Actor, request uuid.UUID, approve bool, reason string,
	index LockIndex, clients ClientIndex) (domain.ClientRecord, bool, Written, error) {
	client, unlock, ok := index.ClientOfLockRequest(request)
	if !ok {
		return domain.ClientRecord{}, false, Written{}, domain.Errorf(domain.NotFound, "no such lock request")
	}
	if err := involved(actor, client, clients); err != nil {
		return domain.ClientRecord{}, false, Written{}, domain.Errorf(domain.NotFound, "no such lock request")
	}
	c, w, err := s.onClient(ctx, actor, client, func(c domain.ClientRecord) ([]domain.Event, error) {
		if unlock {
			return domain.DecideUnlock(c, actor, request, approve, reason)
		}
		return domain.DecideLock(c, actor, request, approve, reason)
	})
	return c, unlock, w, err
}

// GrantTemporaryAccess lets the responsible person give a named member of
// staff access for at most 24 hours (R-LOCK-4). Errors: NotFound,
// Forbidden, Conflict, Invalid.
func (s *Service) GrantTemporaryAccess(ctx context.Context, actor domain.Actor, client, user uuid.UUID, reason string, hours int) (domain.TemporaryGrant, Written, error) {
	grantee := domain.User{}
	if s.people != nil {
		grantee, _ = s.people.UserByID(user)
	}
	cmd := domain.GrantTemporaryAccess{GrantID: s.newID(), Grantee: grantee, Reason: reason, Hours: hours}
	now := s.Now()
	c, w, err := s.onClient(ctx, actor, client, func(c domain.ClientRecord) ([]domain.Event, error) {
		if c.Lock.Status != domain.LockLocked && !c.Exists {
			return nil, domain.Errorf(domain.NotFound, "no such client")
		}
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

// EndTemporaryAccess ends a user's short-term access early. Errors:
// Forbidden, Conflict.
func (s *Service) EndTemporaryAccess(ctx context.Context, actor domain.Actor, client, user uuid.UUID) (Written, error) {
	now := s.Now()
	_, w, err := s.onClient(ctx, actor, client, func(c domain.ClientRecord) ([]domain.Event, error) {
		return domain.DecideEndTemporaryAccess(c, actor, user, now)
	})
	return w, err
}

// ReviewLock records a monthly review (R-LOCK-5). Errors: NotFound,
// Forbidden, Conflict, Invalid.
func (s *Service) ReviewLock(ctx context.Context, actor domain.Actor, client uuid.UUID, keep bool, notes string, clients ClientIndex) (uuid.UUID, Written, error) {
	if err := involved(actor, client, clients); err != nil {
		return uuid.Nil, Written{}, err
	}
	reviewID, unlockID := s.newID(), s.newID()
	_, w, err := s.onClient(ctx, actor, client, func(c domain.ClientRecord) ([]domain.Event, error) {
		return domain.DecideLockReview(c, actor, reviewID, unlockID, keep, notes)
	})
	return reviewID, w, err
}

// RequestUnlock asks for a lock to be lifted (R-LOCK-6). Errors: NotFound,
// Forbidden, Conflict, Invalid.
func (s *Service) RequestUnlock(ctx context.Context, actor domain.Actor, client uuid.UUID, reason string, clients ClientIndex) (uuid.UUID, Written, error) {
	if err := involved(actor, client, clients); err != nil {
		return uuid.Nil, Written{}, err
	}
	requestID := s.newID()
	_, w, err := s.onClient(ctx, actor, client, func(c domain.ClientRecord) ([]domain.Event, error) {
		return domain.DecideRequestUnlock(c, actor, requestID, reason)
	})
	return requestID, w, err
}

// CompleteSeriousCaseReview records that the serious case review a lock was
// kept for is over. Errors: NotFound, Forbidden, Conflict.
func (s *Service) CompleteSeriousCaseReview(ctx context.Context, actor domain.Actor, client uuid.UUID, clients ClientIndex) (Written, error) {
	if err := involved(actor, client, clients); err != nil {
		return Written{}, err
	}
	_, w, err := s.onClient(ctx, actor, client, func(c domain.ClientRecord) ([]domain.Event, error) {
		return domain.DecideCompleteSeriousCaseReview(c, actor)
	})
	return w, err
}
