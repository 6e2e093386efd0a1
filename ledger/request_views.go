package ledger

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
)

var (
	errNoErasureRequest = domain.Errorf(domain.NotFound, "no such erasure request")
	errNoLockRequest    = domain.Errorf(domain.NotFound, "no such lock request")
)

// MaySeeErasureRequest answers whether the actor may read an erasure
// request passed on by organisation about client (R-PRIV-2): the
// coordinator, who decides it, or a caseworker of the organisation that
// passed it on who may still make one for the client, as RequestErasure
// checks. A case whose lock keeps such a caseworker out answers as a read
// of it does: 403 naming the responsible person, or, when the lock hides
// its notification, what anyone else gets (R-LOCK-12). Anyone else gets
// what they get for a request that does not exist. Errors: NotFound,
// Forbidden.
func (s *Service) MaySeeErasureRequest(actor domain.Actor, organisation, client uuid.UUID, idx CaseIndex) error {
	if actor.Has(domain.RoleCoordinator) {
		return nil
	}
	if actor.OrganisationID != organisation || !actor.Caseworker() {
		return errNoErasureRequest
	}
	if err := s.MayRequestErasure(actor, client, idx); err != nil {
		if domain.ErrorCode(err) == domain.NotFound {
			return errNoErasureRequest
		}
		return err
	}
	return nil
}

// ClientRevision returns the revision the client's stream is at, which a
// command on the client (an erasure decision, R-PRIV-2) compares If-Match
// with (R-LEDGER-2), and the position of that revision's event, for the
// views to be brought up to it. A client without events is at revision 0
// and position Start. Errors: Unavailable.
func (s *Service) ClientRevision(ctx context.Context, client uuid.UUID) (uint64, eventstore.Position, error) {
	evs, err := s.readStream(ctx, ClientStream(client))
	if err != nil || len(evs) == 0 {
		return 0, eventstore.Start, err
	}
	last := evs[len(evs)-1]
	return last.Revision, last.Position, nil
}

// NoErasureRequest is the answer for an erasure request that does not
// exist, the same as for one the caller may not see.
func NoErasureRequest() error { return errNoErasureRequest }

// LockRequestView is a lock or unlock request as whoever made it, or may
// decide it, sees it (a team manager who may only withdraw it sees it
// without its reason): what LockRequestsAwaiting lists, with where it
// stands and, once decided, by whom and when.
type LockRequestView struct {
	LockRequestItem
	Status    string // "requested", then "locked" or "refused" (a lock request), "unlocked" or "refused" (an unlock request), or "withdrawn"
	DecidedBy uuid.UUID
	DecidedAt time.Time
	// WithdrawnBy and WithdrawnAt say who took the request back, and
	// when, once Status is "withdrawn".
	WithdrawnBy uuid.UUID
	WithdrawnAt time.Time
	// MayWithdraw: the request still waits and the caller may withdraw
	// it (domain.Lock.WithdrawableBy).
	MayWithdraw bool
	// Revision is the client's stream's revision as read: what the
	// request's withdrawal and decision compare If-Match with.
	Revision uint64

	couldWithdraw bool // the caller could have withdrawn it while it waited
	decider       bool // the caller may decide it (or could have)
	locked        bool // the case is locked now
}

// LockRequest returns a lock or unlock request to whoever made it, while
// they hold the team manager role, or to a service manager who may decide
// it, or a team manager who may withdraw it, or could have as it stood
// (R-LOCK-6, R-LOCK-10), never to helpdesk
// (R-LOCK-2), behind the gate of every lock command: a lock
// that keeps the caller out answers as it does there, 403 naming the
// responsible person, or, when it hides its notification, what anyone
// else gets (R-LOCK-12). Anyone else, and a request never made, gets
// NotFound.
func (s *Service) LockRequest(ctx context.Context, actor domain.Actor, request uuid.UUID, index LockIndex, idx CaseIndex) (LockRequestView, error) {
	v, err := s.lockRequestView(ctx, actor, request, index, idx)
	if err != nil {
		return v, err
	}
	// A read with If-Match that no longer holds is refused before anything
	// is shown or recorded (RFC 9110 section 13.1.1).
	if err := holdsFor(ctx, true, v.Revision); err != nil {
		return LockRequestView{}, err
	}
	if v.Reason == "" {
		return v, nil
	}
	// The reason is the client's data: its read is recorded as the queue's
	// are, before the answer when the case is locked (R-LOCK-9).
	grant := domain.CaseGrant(LockRequestGrant)
	if v.decider {
		grant = LockDecisionGrant
	}
	if err := s.recordAccess(ctx, actor, v.ClientID, uuid.Nil, grant, v.locked); err != nil {
		return LockRequestView{}, err
	}
	return v, nil
}

// LockRequestStanding is LockRequest without its reason, the client's
// data, and so without recording a read of it (R-LOCK-9): where a request
// stands, for a page that only takes it back (withdrawing needs none of
// the reason), behind the same checks. Errors: those of LockRequest.
func (s *Service) LockRequestStanding(ctx context.Context, actor domain.Actor, request uuid.UUID, index LockIndex, idx CaseIndex) (LockRequestView, error) {
	v, err := s.lockRequestView(ctx, actor, request, index, idx)
	v.Reason = ""
	return v, err
}

// lockRequestView is LockRequest without recording the read: for
// commands that only look at where a request stands.
func (s *Service) lockRequestView(ctx context.Context, actor domain.Actor, request uuid.UUID, index LockIndex, idx CaseIndex) (LockRequestView, error) {
	client, unlock, ok, err := clientOfLockRequest(index, request)
	if err != nil {
		return LockRequestView{}, err
	}
	if !ok {
		client = request // no client, no lock, no referrals: gated as a real one would be
	}
	// Whom the lock as the read models have it keeps out without a word
	// learns nothing here either, and is refused before the client's
	// stream is read, in the same time as for a request that does not
	// exist however long the stream (R-LOCK-12, timing). Anyone it would
	// tell of the lock, or let in, is judged on the stream below.
	if err := s.lockGate(actor, client, indexedLock(idx, client), idx, errNoLockRequest); !ok ||
		(err != nil && domain.ErrorCode(err) != domain.Forbidden) {
		if err == nil {
			err = errNoLockRequest
		}
		return LockRequestView{}, err
	}
	history, err := s.load(ctx, ClientStream(client))
	if err != nil {
		return LockRequestView{}, err
	}
	v := LockRequestView{LockRequestItem: LockRequestItem{ID: request, ClientID: client, Unlock: unlock}}
	var c domain.ClientRecord
	found, decider, withdrawer, reasonErased := false, false, false, false
	for _, rec := range history {
		decided, status := false, ""
		switch e := rec.Event.(type) {
		case *domain.LockRequested:
			if e.RequestID == request {
				found, reasonErased = true, rec.Erased
				v.RequestedBy, v.RequestedAt, v.Reason = rec.ActorUserID, rec.At, e.Reason
				v.ResponsibleUserID, v.Allow, v.Deny = e.ResponsibleUserID, e.Allow, e.Deny
				v.HideNotification, v.SeriousCaseReview = e.HideNotification, e.SeriousCaseReview
			}
		case *domain.UnlockRequested:
			if e.RequestID == request {
				found, reasonErased = true, rec.Erased
				l := c.Lock
				v.RequestedBy, v.RequestedAt, v.Reason = rec.ActorUserID, rec.At, e.Reason
				v.ResponsibleUserID, v.Allow, v.Deny = l.ResponsibleUserID, l.Allow, l.Deny
				v.HideNotification, v.SeriousCaseReview, v.LockedAt = l.HideNotification, l.SeriousCaseReview && !l.SeriousCaseReviewEnd, l.LockedAt
			}
		case *domain.LockApproved:
			decided, status = e.RequestID == request, "locked"
		case *domain.LockRefused:
			decided, status = e.RequestID == request, "refused"
		case *domain.UnlockApproved:
			decided, status = e.RequestID == request, "unlocked"
		case *domain.UnlockRefused:
			decided, status = e.RequestID == request, "refused"
		case *domain.LockRequestWithdrawn:
			if e.RequestID == request && found && v.Status == "" {
				v.Status, v.WithdrawnBy, v.WithdrawnAt = "withdrawn", rec.ActorUserID, rec.At
			}
		}
		if decided {
			v.Status, v.DecidedBy, v.DecidedAt = status, rec.ActorUserID, rec.At
		}
		c = domain.EvolveClient(c, rec)
		v.Revision = rec.Revision
		if found && v.Status == "" && !actor.Has(domain.RoleHelpdesk) {
			// Who may decide it, as the lock stands while it waits.
			if id, _, may := c.Lock.AwaitsDecisionBy(actor); may && id == request {
				decider = true
			}
			// And who may withdraw it.
			if id, _, may := c.Lock.WithdrawableBy(actor); may && id == request {
				withdrawer = true
			}
		}
	}
	// Whoever made it reads it back while they hold the team manager
	// role the request was theirs to make by, judged on the roles held
	// now as its withdrawal is (R-LOCK-10): its reason is the client's
	// data, and reading it needs that ground (R-LOCK-9). Nor while the
	// deny list of the lock as it stands (the one asked for, while it
	// waits) names them, moved into a team it names: it keeps them from
	// the case (R-LOCK-2), and from withdrawing the request too.
	maker := v.RequestedBy == actor.UserID && actor.Has(domain.RoleTeamManager) && !c.Lock.Denies(actor)
	if !found || (!maker && !decider && !withdrawer) || actor.Has(domain.RoleHelpdesk) {
		// Helpdesk never reads a case a lock covers (R-LOCK-2), not even
		// a request they made before they were moved to it.
		return LockRequestView{}, errNoLockRequest
	}
	v.couldWithdraw = withdrawer
	if !maker && !decider {
		// A team manager who may only withdraw it manages the lock, not
		// the case: the reason is the client's data, and not theirs to
		// read (R-LOCK-9, R-LOCK-10).
		v.Reason = ""
	}
	if v.Status == "" {
		v.Status = "requested"
		if id, _, may := c.Lock.WithdrawableBy(actor); may && id == request {
			v.MayWithdraw = true
		}
	}
	if c.ErasureBegun() || reasonErased {
		v.Reason, v.Erased = "", true
	}
	if err := s.lockGate(actor, client, c.Lock, idx, errNoLockRequest); err != nil {
		return LockRequestView{}, err
	}
	v.decider, v.locked = decider, c.Lock.Status == domain.LockLocked
	return v, nil
}
