package ledger

import (
	"context"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// PendingLock is a client's lock while a lock or unlock request on it
// awaits a decision.
type PendingLock struct {
	ClientID uuid.UUID
	Lock     domain.Lock
}

// PendingLocks lists the locks with a request awaiting a decision: the
// locks read model.
type PendingLocks interface {
	PendingLocks() []PendingLock
}

// LockRequestItem is a lock or unlock request as the service manager who
// decides it sees it: who asked, when and why, and what the lock would be.
// The reason is the client's data: Reason is empty until ReadLockRequests
// records its reading in the client's access log (R-LOCK-9).
type LockRequestItem struct {
	ID          uuid.UUID
	ClientID    uuid.UUID
	Unlock      bool
	RequestedBy uuid.UUID
	RequestedAt time.Time
	Reason      string // after ReadLockRequests
	// Erased: the client's data is erased, so the reason, their free
	// text, can no longer be read (R-PRIV-3): Reason stays empty.
	Erased            bool
	reason            string // as recorded, until it is read
	locked            bool   // the case was locked when listed (an unlock request)
	ResponsibleUserID uuid.UUID
	Allow, Deny       []domain.Party
	HideNotification  bool
	SeriousCaseReview bool
	LockedAt          time.Time // an unlock request's lock: when it was locked
}

// LockRequestsAwaiting lists the lock and unlock requests waiting for the
// actor's decision, oldest first: only a service manager's, only requests
// of locks belonging to their organisation that the lock does not deny
// them, and never a request they made themselves (R-LOCK-6, R-LOCK-10).
// Nothing is listed about any other case (R-LOCK-12). The reasons are
// not shown: ReadLockRequests shows those the caller answers with. Errors:
// Forbidden (not a service manager).
func (s *Service) LockRequestsAwaiting(ctx context.Context, actor domain.Actor, idx PendingLocks) ([]LockRequestItem, error) {
	if !actor.Has(domain.RoleServiceManager) || actor.Has(domain.RoleHelpdesk) {
		return nil, domain.Errorf(domain.Forbidden, "only a service manager decides lock and unlock requests")
	}
	out := []LockRequestItem{}
	for _, p := range idx.PendingLocks() {
		id, unlock, ok := p.Lock.AwaitsDecisionBy(actor)
		if !ok {
			continue
		}
		l := p.Lock
		item := LockRequestItem{ID: id, ClientID: p.ClientID, Unlock: unlock, RequestedBy: l.RequestedBy, RequestedAt: l.RequestedAt,
			ResponsibleUserID: l.ResponsibleUserID, Allow: l.Allow, Deny: l.Deny, HideNotification: l.HideNotification,
			SeriousCaseReview: l.SeriousCaseReview && !l.SeriousCaseReviewEnd, LockedAt: l.LockedAt,
			locked: l.Status == domain.LockLocked}
		if unlock {
			item.RequestedBy = l.UnlockRequestedBy
		}
		history, err := s.load(ctx, ClientStream(p.ClientID))
		if err != nil {
			return nil, err
		}
		var c domain.ClientRecord
		for _, rec := range history {
			switch e := rec.Event.(type) {
			case *domain.LockRequested:
				if e.RequestID == id {
					item.reason, item.RequestedAt, item.Erased = e.Reason, rec.At, rec.Erased
				}
			case *domain.UnlockRequested:
				if e.RequestID == id {
					item.reason, item.RequestedAt, item.Erased = e.Reason, rec.At, rec.Erased
				}
			}
			c = domain.EvolveClient(c, rec)
		}
		if item.Erased = item.Erased || c.ErasureBegun(); item.Erased {
			item.reason = ""
		}
		out = append(out, item)
	}
	slices.SortFunc(out, func(a, b LockRequestItem) int {
		if c := a.RequestedAt.Compare(b.RequestedAt); c != 0 {
			return c
		}
		return slices.Compare(a.ID[:], b.ID[:])
	})
	return out, nil
}

// LockDecisionGrant is the ground recorded in a client's access log when
// the service manager deciding a lock or unlock request on their case
// reads its reason.
const LockDecisionGrant = "lock_decision"

// LockRequestGrant is the ground recorded in a client's access log when the
// team manager who made a lock or unlock request reads it back, reason and
// all (GET /v1/lock-requests/{id}).
const LockRequestGrant = "lock_request"

// ReadLockRequests returns items, listed for actor by LockRequestsAwaiting,
// with their reasons, which are the client's data: each is recorded in the
// client's access log as read by actor to decide the request (R-LOCK-9),
// before the answer when the case is locked, as any read of a locked case.
// The caller passes only the items it answers with. Errors: those of the
// store.
func (s *Service) ReadLockRequests(ctx context.Context, actor domain.Actor, items []LockRequestItem) ([]LockRequestItem, error) {
	out := slices.Clone(items)
	for i := range out {
		if err := s.recordAccess(ctx, actor, out[i].ClientID, uuid.Nil, LockDecisionGrant, out[i].locked); err != nil {
			return nil, err
		}
		out[i].Reason = out[i].reason
	}
	return out, nil
}

// LockedCaseAccess is what the responsible person manages on a locked
// case: its lock, with the temporary grants (R-LOCK-4).
type LockedCaseAccess struct {
	ClientID uuid.UUID
	Lock     domain.Lock
}

// TemporaryAccessOf returns a locked case's lock to its responsible
// person, who grants and ends temporary access on it (R-LOCK-4). Whoever
// may not see the case gets the answer for a client that does not exist
// (R-LOCK-12); one who may is refused unless responsible. Errors:
// NotFound, Forbidden, Conflict (not locked).
func (s *Service) TemporaryAccessOf(ctx context.Context, actor domain.Actor, client uuid.UUID, idx CaseIndex) (LockedCaseAccess, error) {
	l := indexedLock(idx, client)
	if err := s.lockGate(actor, client, l, idx, errNoClient); err != nil {
		return LockedCaseAccess{}, err
	}
	switch {
	case l.Status != domain.LockLocked:
		return LockedCaseAccess{}, domain.Errorf(domain.Conflict, "the case is not locked")
	case l.ResponsibleUserID != actor.UserID:
		return LockedCaseAccess{}, domain.Errorf(domain.Forbidden, "only the person the case is locked to grants temporary access")
	}
	return LockedCaseAccess{ClientID: client, Lock: l}, nil
}

// MayRequestLock answers what RequestLock would about the case itself,
// before the team manager fills in the form: the same gate (R-LOCK-12),
// the same need to know, the same refusal of a case already locked or
// awaiting a decision. Errors: NotFound, Forbidden, Conflict.
func (s *Service) MayRequestLock(ctx context.Context, actor domain.Actor, client uuid.UUID, idx CaseIndex) error {
	l := indexedLock(idx, client)
	if err := s.lockGate(actor, client, l, idx, errNoClient); err != nil {
		return err
	}
	knows, err := organisationKnows(idx, actor.OrganisationID, client)
	if err != nil {
		return err
	}
	if !knows {
		return errNoClient
	}
	switch {
	case !actor.Has(domain.RoleTeamManager):
		return domain.Errorf(domain.Forbidden, "only a team manager can request a case lock")
	case l.Status == domain.LockLocked:
		return domain.Errorf(domain.Conflict, "the case is already locked")
	case l.Status == domain.LockPending:
		return domain.Errorf(domain.Conflict, "a lock request for this case is already awaiting a decision")
	}
	return nil
}

// LockRequestDecided is a lock or unlock request that was decided, as the
// service managers who could have decided it may see it: what, by whom
// and when (never the reason, which the decision page does not need).
type LockRequestDecided struct {
	ID, ClientID     uuid.UUID
	Unlock, Approved bool
	Withdrawn        bool // taken back by a team manager before anyone decided it (DecidedBy, DecidedAt: who and when)
	DecidedBy        uuid.UUID
	DecidedAt        time.Time
}

// LockRequestDecision tells a service manager who could have decided a
// lock or unlock request that it was decided, and how, or withdrawn: the answer when
// they send their decision a second time, or come back to its page after
// deciding (R-LOCK-6, R-LOCK-10). Anyone else, and a request still
// waiting or never made, gets what they get for a request that does not
// exist (R-LOCK-12). Errors: NotFound.
func (s *Service) LockRequestDecision(ctx context.Context, actor domain.Actor, request uuid.UUID, index LockIndex) (LockRequestDecided, error) {
	noRequest := domain.Errorf(domain.NotFound, "no such lock request")
	client, unlock, ok, err := clientOfLockRequest(index, request)
	if err != nil {
		return LockRequestDecided{}, err
	}
	if !ok || actor.Has(domain.RoleHelpdesk) || !actor.Has(domain.RoleServiceManager) {
		return LockRequestDecided{}, noRequest
	}
	history, err := s.load(ctx, ClientStream(client))
	if err != nil {
		return LockRequestDecided{}, err
	}
	var c domain.ClientRecord
	for _, rec := range history {
		var decided, approved, withdrawn bool
		switch e := rec.Event.(type) {
		case *domain.LockApproved:
			decided, approved = e.RequestID == request, true
		case *domain.LockRefused:
			decided = e.RequestID == request
		case *domain.UnlockApproved:
			decided, approved = e.RequestID == request, true
		case *domain.UnlockRefused:
			decided = e.RequestID == request
		case *domain.LockRequestWithdrawn:
			decided, withdrawn = e.RequestID == request, true
		}
		if decided {
			// Only who could have decided it, as the lock stood then.
			if id, _, may := c.Lock.AwaitsDecisionBy(actor); !may || id != request {
				return LockRequestDecided{}, noRequest
			}
			return LockRequestDecided{ID: request, ClientID: client, Unlock: unlock, Approved: approved, Withdrawn: withdrawn,
				DecidedBy: rec.ActorUserID, DecidedAt: rec.At}, nil
		}
		c = domain.EvolveClient(c, rec)
	}
	return LockRequestDecided{}, noRequest
}
