package domain

import (
	"time"

	"github.com/google/uuid"
)

// managedBy reports whether the actor is a manager with role of the
// organisation the lock belongs to, and not refused by its deny list: the
// people who decide, review or ask to lift it (R-LOCK-10). Someone the
// lock keeps out of the case does not manage it either.
func (l Lock) managedBy(a Actor, role Role) bool {
	return l.Status != LockNone && l.OwningOrganisationID != uuid.Nil && a.OrganisationID == l.OwningOrganisationID &&
		a.Has(role) && !a.Has(RoleHelpdesk) && !l.denies(a)
}

// LockView is what a caller may learn about a client's case and its lock
// (R-LOCK-3, R-LOCK-10, R-LOCK-12).
type LockView int

// The lock views, from learning nothing to seeing the case.
const (
	// LockUnseen: nothing at all; the answer is exactly the one for a
	// client that does not exist.
	LockUnseen LockView = iota
	// LockToldLocked: the caller may know the client but not the case,
	// and the lock's notification is not hidden: they are told whom it is
	// locked to, and nothing else.
	LockToldLocked
	// LockSeen: the caller may see the case, or manages its lock; what
	// they may do with it is for the decision to say.
	LockSeen
)

// ViewLock says what a caller learns about a client's lock before any
// lock command is decided, so that no route (temporary access, the access
// log, reviews, unlock requests, decisions) tells someone without access
// more than the case's own pages do. involved reports whether the caller
// may know the client at all: their organisation holds it, or their role
// is network-wide and the client exists. Managers of the owning
// organisation (team and service managers the lock does not deny) see the
// lock they manage, not the client's data.
func ViewLock(l Lock, actor Actor, involved bool, now time.Time) LockView {
	if l.managedBy(actor, RoleTeamManager) || l.managedBy(actor, RoleServiceManager) {
		return LockSeen
	}
	_, ok := LockAccess(l, actor, now)
	switch {
	case ok && (involved || l.Status == LockLocked):
		return LockSeen
	case !ok && involved && !l.HideNotification:
		return LockToldLocked
	}
	return LockUnseen
}

// responsibleFault says why a user cannot be the person a case is locked
// to, or "" if they can (R-LOCK-10): an active member of the owning
// organisation with a casework or manager role, never helpdesk, and not
// someone the lock itself keeps out.
func responsibleFault(u User, owner uuid.UUID, deny []Party) string {
	a := u.Actor()
	switch {
	case u.ID == uuid.Nil || u.Closed || u.OrganisationID != owner:
		return "must be an active user of your organisation"
	case a.Has(RoleHelpdesk) || !a.Caseworker():
		return "must hold the adviser, org_lead, team_manager or service_manager role, and not helpdesk"
	}
	for _, p := range deny {
		if p.matches(a, owner) {
			return "the deny list refuses this user"
		}
	}
	return ""
}
