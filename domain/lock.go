package domain

import (
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// LockStatus is where a client's case stands with respect to locking.
type LockStatus string

// The lock statuses.
const (
	LockNone    LockStatus = ""          // never locked, refused, withdrawn, or unlocked
	LockPending LockStatus = "requested" // awaiting a service manager
	LockLocked  LockStatus = "locked"
)

// TemporaryGrant is short-term access to a locked case (R-LOCK-4).
type TemporaryGrant struct {
	ID        uuid.UUID
	UserID    uuid.UUID
	GrantedBy uuid.UUID
	GrantedAt time.Time
	ExpiresAt time.Time
	Ended     bool
}

// Live reports whether the grant lets its user in at now: it ends by
// itself at expiry, with no job needed to revoke it.
func (g TemporaryGrant) Live(now time.Time) bool { return !g.Ended && now.Before(g.ExpiresAt) }

// Lock is the lock on a client's case, as its stream records it. It
// belongs to OwningOrganisationID, the requesting team manager's, from the
// request to the unlock (R-LOCK-10): only that organisation's managers
// manage it, and a team its lists name without an organisation is one of
// that organisation's teams (R-LOCK-11).
type Lock struct {
	Status               LockStatus
	RequestID            uuid.UUID // of the request that locked, or is pending
	RequestedBy          uuid.UUID
	OwningOrganisationID uuid.UUID
	RequestedAt          time.Time
	ResponsibleUserID    uuid.UUID
	Allow                []Party
	Deny                 []Party
	HideNotification     bool
	SeriousCaseReview    bool
	SeriousCaseReviewEnd bool
	ApprovedBy           uuid.UUID
	LockedAt             time.Time
	LastReviewedAt       time.Time
	Grants               []TemporaryGrant
	UnlockRequestID      uuid.UUID // pending unlock request, if any
	UnlockRequestedBy    uuid.UUID // who asked for it
}

// ReviewDue is when the lock's next monthly review is due (R-LOCK-5): a
// calendar month after it was locked or last reviewed, as the calendar
// goes in London (a lock made at 00:30 on 31 August in summer time,
// 23:30 on the 30th in UTC, is due on 30 September, not 1 October).
func (l Lock) ReviewDue() time.Time {
	if l.Status != LockLocked {
		return time.Time{}
	}
	from := l.LockedAt
	if l.LastReviewedAt.After(from) {
		from = l.LastReviewedAt
	}
	return nextMonth(from.In(London())).UTC()
}

// nextMonth is t a calendar month on: the same day of the next month or,
// when that month is shorter, its last day (31 January is followed by 28
// or 29 February), never a day of the month after, as t.AddDate(0, 1, 0)
// would give (3 March), which leaves a month without a review.
func nextMonth(t time.Time) time.Time {
	y, m, d := t.Date()
	if last := time.Date(y, m+2, 0, 0, 0, 0, 0, t.Location()).Day(); d > last {
		d = last
	}
	return time.Date(y, m+1, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
}

// ReviewOverdue reports whether the review is past due at now.
func (l Lock) ReviewOverdue(now time.Time) bool {
	due := l.ReviewDue()
	return !due.IsZero() && now.After(due)
}

// CaseGrant names why someone may read a case.
type CaseGrant string

// The grants LockAccess reports.
const (
	GrantNotLocked     CaseGrant = "not_locked"
	GrantResponsible   CaseGrant = "responsible"
	GrantAllowedUser   CaseGrant = "allowed_user"
	GrantAllowedTeam   CaseGrant = "allowed_team"
	GrantTemporary     CaseGrant = "temporary"
	GrantAutomaticRole CaseGrant = "automatic_role"
)

// matches reports whether the party names the actor. A team is a team of
// one organisation (R-LOCK-11): the one the party names or, when it names
// none (as every request recorded before organisations were named), the
// lock's owning organisation; a team of the same name elsewhere is not it.
func (p Party) matches(a Actor, owner uuid.UUID) bool {
	switch {
	case p.UserID != uuid.Nil:
		return p.UserID == a.UserID
	case p.Team != "":
		org := p.OrganisationID
		if org == uuid.Nil {
			org = owner
		}
		return a.Team != "" && SameTeam(p.Team, a.Team) && org != uuid.Nil && a.OrganisationID == org
	case p.Role != "":
		return a.Has(p.Role)
	}
	return false
}

// SameTeam reports whether two team names name the same team: people type
// them, so case, surrounding spaces and runs of spaces do not count
// ("Duty team" is " duty  Team"). A lock naming a team lets in, or keeps
// out, its members however their accounts spell it (R-LOCK-2, R-LOCK-11).
func SameTeam(a, b string) bool {
	return strings.EqualFold(strings.Join(strings.Fields(a), " "), strings.Join(strings.Fields(b), " "))
}

// LockAccess is the case-locking rule (R-LOCK-2), the one place it lives:
// a case that is not locked is open to need to know as usual. Once locked,
// helpdesk never gets in, not even temporarily; the deny list wins over
// everything else; then the responsible person, the allow list (users or
// teams of a named organisation, R-LOCK-11), live temporary grants, and users with the system support or
// emergency duty role (unless the deny list refuses them) get in; nobody
// else does, whatever their organisation or network-wide role.
func LockAccess(l Lock, actor Actor, now time.Time) (CaseGrant, bool) {
	if l.Status != LockLocked {
		return GrantNotLocked, true
	}
	if actor.Has(RoleHelpdesk) {
		return "", false
	}
	if l.denies(actor) {
		return "", false
	}
	if actor.UserID == l.ResponsibleUserID {
		return GrantResponsible, true
	}
	for _, p := range l.Allow {
		if p.matches(actor, l.OwningOrganisationID) {
			if p.UserID != uuid.Nil {
				return GrantAllowedUser, true
			}
			return GrantAllowedTeam, true
		}
	}
	for _, g := range l.Grants {
		if g.UserID == actor.UserID && g.Live(now) {
			return GrantTemporary, true
		}
	}
	if actor.HasAny(RoleSystemSupport, RoleEmergencyDuty) {
		return GrantAutomaticRole, true
	}
	return "", false
}

// denies reports whether the lock's deny list names the actor.
func (l Lock) denies(a Actor) bool {
	for _, p := range l.Deny {
		if p.matches(a, l.OwningOrganisationID) {
			return true
		}
	}
	return false
}

// EvolveLock applies a locking event to the client's lock: the one fold of
// a lock's life, which EvolveClient uses and the statistics follow.
func EvolveLock(l Lock, rec Recorded) Lock {
	l, _ = evolveLock(l, rec)
	return l
}

// evolveLock is EvolveLock, also saying whether it knew the event.
func evolveLock(l Lock, rec Recorded) (Lock, bool) {
	switch e := rec.Event.(type) {
	case *LockRequested:
		if l.Status == LockLocked {
			return l, true
		}
		l = Lock{Status: LockPending, RequestID: e.RequestID, RequestedBy: rec.ActorUserID,
			OwningOrganisationID: rec.ActorOrganisationID, RequestedAt: rec.At, ResponsibleUserID: e.ResponsibleUserID,
			Allow: e.Allow, Deny: e.Deny, HideNotification: e.HideNotification, SeriousCaseReview: e.SeriousCaseReview}
	case *LockApproved:
		if l.Status == LockPending && l.RequestID == e.RequestID {
			l.Status, l.ApprovedBy, l.LockedAt = LockLocked, rec.ActorUserID, rec.At
		}
	case *LockRefused:
		if l.Status == LockPending && l.RequestID == e.RequestID {
			l = Lock{}
		}
	case *TemporaryAccessGranted:
		l.Grants = append(slices.Clip(l.Grants), TemporaryGrant{ID: e.GrantID, UserID: e.UserID,
			GrantedBy: rec.ActorUserID, GrantedAt: rec.At, ExpiresAt: e.ExpiresAt})
	case *TemporaryAccessEnded:
		grants := slices.Clone(l.Grants)
		for i := range grants {
			if grants[i].ID == e.GrantID {
				grants[i].Ended = true
			}
		}
		l.Grants = grants
	case *LockReviewed:
		l.LastReviewedAt = rec.At
	case *UnlockRequested:
		l.UnlockRequestID, l.UnlockRequestedBy = e.RequestID, rec.ActorUserID
	case *UnlockApproved:
		if l.UnlockRequestID == e.RequestID {
			l = Lock{}
		}
	case *UnlockRefused:
		if l.UnlockRequestID == e.RequestID {
			l.UnlockRequestID, l.UnlockRequestedBy = uuid.Nil, uuid.Nil
		}
	case *LockRequestWithdrawn:
		switch {
		case l.Status == LockPending && l.RequestID == e.RequestID:
			l = Lock{}
		case l.Status == LockLocked && l.UnlockRequestID == e.RequestID:
			l.UnlockRequestID, l.UnlockRequestedBy = uuid.Nil, uuid.Nil
		}
	case *SeriousCaseReviewCompleted:
		l.SeriousCaseReviewEnd = true
	case *MessageForResponsiblePerson:
		// Passed on to the responsible person; the lock stays as it is.
	default:
		return l, false
	}
	return l, true
}
