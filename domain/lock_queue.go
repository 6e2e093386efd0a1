package domain

import (
	"time"

	"github.com/google/uuid"
)

// AwaitsDecisionBy returns the lock or unlock request pending on the lock
// that actor may decide: a service manager of the organisation the lock
// belongs to, whom the lock does not deny, and who did not make the request
// (R-LOCK-6, R-LOCK-10). ok is false when there is none for them.
func (l Lock) AwaitsDecisionBy(actor Actor) (request uuid.UUID, unlock bool, ok bool) {
	if !l.managedBy(actor, RoleServiceManager) {
		return uuid.Nil, false, false
	}
	switch {
	case l.Status == LockPending && l.RequestedBy != actor.UserID:
		return l.RequestID, false, true
	case l.Status == LockLocked && l.UnlockRequestID != uuid.Nil && l.UnlockRequestedBy != actor.UserID:
		return l.UnlockRequestID, true, true
	}
	return uuid.Nil, false, false
}

// ReviewableBy reports whether actor reviews the locked case and may ask
// for it to be unlocked: a team manager of the organisation the lock
// belongs to, whom the lock does not deny (R-LOCK-5, R-LOCK-10).
func (l Lock) ReviewableBy(actor Actor) bool {
	return l.Status == LockLocked && l.managedBy(actor, RoleTeamManager)
}

// Denies reports whether the lock's deny list names actor: nobody can let
// them in, not even for a short time (R-LOCK-2, R-LOCK-4).
func (l Lock) Denies(actor Actor) bool { return l.denies(actor) }

// SeriousCaseReviewCompletableBy reports whether actor may record complete
// the serious case review the lock is kept for, as
// DecideCompleteSeriousCaseReview allows: a service manager of the
// organisation the lock belongs to, not denied by it, who did not ask for
// the lock, while the review is under way (R-LOCK-6, R-LOCK-10).
func (l Lock) SeriousCaseReviewCompletableBy(actor Actor) bool {
	return l.Status == LockLocked && l.SeriousCaseReview && !l.SeriousCaseReviewEnd &&
		l.managedBy(actor, RoleServiceManager) && actor.UserID != l.RequestedBy
}

// HoldsForReview reports whether the lock keeps the client's data for a
// serious case review not yet recorded complete: locked for one, or asked
// to be. The retention rule shreds no such client (R-PRIV-5): the case is
// kept until the review's outcome is known (seed 004).
func (l Lock) HoldsForReview() bool {
	return (l.Status == LockLocked || l.Status == LockPending) && l.SeriousCaseReview && !l.SeriousCaseReviewEnd
}

// HiddenFrom reports whether the lock, in force or only requested, keeps
// even its existence from actor, to whom the client is known: what
// ViewLock says of it, a request judged as the lock it would be once
// approved (R-LOCK-12).
func (l Lock) HiddenFrom(actor Actor, now time.Time) bool {
	switch l.Status {
	case LockPending:
		return l.requestHiddenFrom(actor)
	case LockLocked:
		return ViewLock(l, actor, true, now) == LockUnseen
	}
	return false
}

// PendingRequest returns the lock or unlock request waiting on the lock,
// and who made it: the lock request while the lock is requested, the
// unlock request while a locked case has one. ok is false when none waits.
func (l Lock) PendingRequest() (request uuid.UUID, unlock bool, requestedBy uuid.UUID, ok bool) {
	switch {
	case l.Status == LockPending && l.RequestID != uuid.Nil:
		return l.RequestID, false, l.RequestedBy, true
	case l.Status == LockLocked && l.UnlockRequestID != uuid.Nil:
		return l.UnlockRequestID, true, l.UnlockRequestedBy, true
	}
	return uuid.Nil, false, uuid.Nil, false
}

// Refuses reports whether the lock refuses actor whatever else they hold:
// its deny list names them, their team or their role, or they are
// helpdesk staff, whom no lock lets in (R-LOCK-2). Someone it refuses
// neither reads the case nor hears of it as one of its managers.
func (l Lock) Refuses(actor Actor) bool { return actor.Has(RoleHelpdesk) || l.denies(actor) }

// ReportedTo reports whether the locked-cases report lists the lock to a
// manager (R-LOCK-5, R-LOCK-7): one who asked for it, approved it or is
// responsible for it, and whom it does not refuse. The deny list wins
// over everything and helpdesk never has access (R-LOCK-2), so a manager
// moved into a refused team, or given the helpdesk role, no longer finds
// the case there, as no other route tells them of it (R-LOCK-12).
func (l Lock) ReportedTo(actor Actor) bool {
	if l.Status != LockLocked || l.Refuses(actor) {
		return false
	}
	return actor.UserID == l.RequestedBy || actor.UserID == l.ApprovedBy || actor.UserID == l.ResponsibleUserID
}

// ReportedToCoordinator reports whether the coordinator's locked-cases
// report, which lists every locked case (R-LOCK-7), lists the lock to
// this coordinator: not when it refuses them, by the same rule as
// ReportedTo (Refuses: the deny list names them or their team, or they
// hold the helpdesk role). The deny list wins over everything (R-LOCK-2),
// and a coordinator it refuses learns no more of the case here than by
// any other route (R-LOCK-12).
func (l Lock) ReportedToCoordinator(actor Actor) bool {
	return l.Status == LockLocked && !l.Refuses(actor)
}

// WithdrawableBy returns the lock or unlock request pending on the lock
// that actor may withdraw: the team manager who made it (while they still
// hold that role), or another team manager of the organisation the lock
// belongs to (asking, and taking the question back, is team managers'
// work, R-LOCK-10), whom the lock does not deny; never helpdesk, never anyone of another organisation. A
// request whose maker has left, or whose deciders have gone, can thus
// still be taken back by the organisation instead of waiting for good.
// Service managers decide: one who wants a request gone refuses it, with
// a reason, unless they hold the team manager role too. ok is false when
// there is none for them.
func (l Lock) WithdrawableBy(actor Actor) (request uuid.UUID, unlock bool, ok bool) {
	request, unlock, _, pending := l.PendingRequest()
	if !pending || !l.inOrganisation(actor) {
		return uuid.Nil, false, false
	}
	// Judged on the roles held now: whoever made the request and has
	// since lost the team manager role no longer manages the lock.
	if !actor.Has(RoleTeamManager) {
		return uuid.Nil, false, false
	}
	return request, unlock, true
}

// inOrganisation reports whether actor is a member of the organisation
// the lock belongs to whom the lock does not deny, not helpdesk.
func (l Lock) inOrganisation(a Actor) bool {
	return l.Status != LockNone && l.OwningOrganisationID != uuid.Nil && a.OrganisationID == l.OwningOrganisationID &&
		!a.Has(RoleHelpdesk) && !l.denies(a)
}
