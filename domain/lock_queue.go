package domain

import "github.com/google/uuid"

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
