package domain

import (
	"time"

	"github.com/google/uuid"
)

// MaxTemporaryAccess is the longest short-term access a responsible person
// may grant (R-LOCK-4).
const MaxTemporaryAccess = 24 * time.Hour

// RequestLock asks to lock a client's case (R-LOCK-1). Responsible is the
// account ResponsibleUserID names, as the directory has it (zero if none).
type RequestLock struct {
	RequestID         uuid.UUID
	ClientID          uuid.UUID
	ResponsibleUserID uuid.UUID
	Responsible       User
	Reason            string
	Allow             []Party
	Deny              []Party
	HideNotification  bool
	SeriousCaseReview bool
	// Named are the accounts the allow and deny lists name by user_id, as
	// the directory has them; an id it does not know is absent.
	Named map[uuid.UUID]User
	// Refused holds what the caller found wrong in what it was sent before
	// it could make the command of it (a form's half-filled entry): the
	// request is refused with those errors and the command's own, so the
	// sender learns of every mistake at once.
	Refused []FieldError
}

// validateParties checks an allow list (deny false) or a deny list. A
// user it names must be an active member of staff, as named has them; one
// the allow list names must not be helpdesk staff, whom a lock never lets
// in (R-LOCK-2), so that the list names nobody the case would refuse. A
// role is only for refusing system support or emergency duty their
// automatic access. Teams are labels on accounts, not records of their
// own: a team's name is checked for its shape only.
func validateParties(f *fieldErrors, field string, parties []Party, deny bool, named map[uuid.UUID]User) {
	if len(parties) > 100 {
		f.add(field, "must list at most 100 entries")
		return
	}
	for i, p := range parties {
		name := field + "[" + strconvItoa(i) + "]"
		set := 0
		for _, ok := range []bool{p.UserID != uuid.Nil, p.Team != "", p.Role != ""} {
			if ok {
				set++
			}
		}
		switch {
		case set != 1:
			f.add(name, "must name exactly one of user_id or team"+map[bool]string{true: " (or role)", false: ""}[deny])
		case p.OrganisationID != uuid.Nil && p.Team == "":
			f.add(name+".organisation_id", "names the organisation of a team: give it with team only")
		case p.Team != "":
			f.text(name+".team", p.Team, true, MaxShortText)
		case p.Role != "" && !deny:
			f.add(name+".role", "a role cannot be allowed: name a user_id or a team (system support and emergency duty have access unless the deny list refuses them)")
		case p.Role != "" && p.Role != RoleSystemSupport && p.Role != RoleEmergencyDuty:
			f.add(name+".role", "only system_support or emergency_duty can be refused by role")
		case p.UserID != uuid.Nil:
			u, ok := named[p.UserID]
			switch {
			case !ok || u.ID != p.UserID || u.Closed:
				f.add(name+".user_id", "must be an active member of staff")
			case !deny && u.Actor().Has(RoleHelpdesk):
				f.add(name+".user_id", "is helpdesk staff, who never have access to a locked case")
			}
		}
	}
}

// DecideRequestLock lets a team manager ask for a lock, which then belongs
// to their organisation; the responsible person is an active member of it
// with a casework or manager role, never helpdesk (R-LOCK-10). Errors:
// Forbidden, Conflict (already locked or a request pending), Invalid.
func DecideRequestLock(c ClientRecord, actor Actor, cmd RequestLock) ([]Event, error) {
	if !actor.Has(RoleTeamManager) {
		return nil, Errorf(Forbidden, "only a team manager can request a case lock")
	}
	if c.Erased {
		return nil, Errorf(Conflict, "the client's data is erased")
	}
	switch c.Lock.Status {
	case LockLocked:
		return nil, Errorf(Conflict, "the case is already locked")
	case LockPending:
		return nil, Errorf(Conflict, "a lock request for this case is already awaiting a decision")
	}
	var f fieldErrors
	switch {
	case cmd.ResponsibleUserID == uuid.Nil:
		f.add("responsible_user_id", "is required")
	case cmd.Responsible.ID != cmd.ResponsibleUserID:
		f.add("responsible_user_id", "must be an active user of your organisation")
	default:
		if fault := responsibleFault(cmd.Responsible, actor.OrganisationID, cmd.Deny); fault != "" {
			f.add("responsible_user_id", fault)
		}
	}
	f.text("reason", cmd.Reason, true, MaxLongText)
	validateParties(&f, "allow", cmd.Allow, false, cmd.Named)
	validateParties(&f, "deny", cmd.Deny, true, cmd.Named)
	f = append(f, cmd.Refused...)
	if err := f.err(); err != nil {
		return nil, err
	}
	return []Event{&LockRequested{RequestID: cmd.RequestID, ClientID: cmd.ClientID, ResponsibleUserID: cmd.ResponsibleUserID,
		Reason: cmd.Reason, Allow: nonNilParties(cmd.Allow), Deny: nonNilParties(cmd.Deny),
		HideNotification: cmd.HideNotification, SeriousCaseReview: cmd.SeriousCaseReview}}, nil
}

func nonNilParties(p []Party) []Party {
	if p == nil {
		return []Party{}
	}
	return p
}

// DecideLock is the decision on a lock request, by a service manager of
// the organisation that asked for it who did not ask themselves
// (R-LOCK-10). Errors: NotFound (no such request), Forbidden, Conflict
// (already decided), Invalid (a refusal needs a reason).
func DecideLock(c ClientRecord, actor Actor, requestID uuid.UUID, approve bool, reason string) ([]Event, error) {
	if c.Lock.RequestID != requestID || c.Lock.Status == LockNone {
		return nil, Errorf(NotFound, "no such lock request")
	}
	if !c.Lock.managedBy(actor, RoleServiceManager) {
		return nil, Errorf(Forbidden, "only a service manager of the organisation that asked for the lock decides it")
	}
	if actor.UserID == c.Lock.RequestedBy {
		return nil, Errorf(Forbidden, "another service manager must decide a lock request you made yourself")
	}
	if c.Lock.Status != LockPending {
		return nil, Errorf(Conflict, "the lock request was already decided")
	}
	if approve {
		return []Event{&LockApproved{RequestID: requestID}}, nil
	}
	var f fieldErrors
	f.text("reason", reason, true, MaxLongText)
	if err := f.err(); err != nil {
		return nil, err
	}
	return []Event{&LockRefused{RequestID: requestID, ClientID: c.ID, Reason: reason}}, nil
}

// GrantTemporaryAccess asks to let a member of staff into a locked case.
type GrantTemporaryAccess struct {
	GrantID uuid.UUID
	Grantee User
	Reason  string
	Hours   int
}

// DecideTemporaryAccess lets the responsible person grant a named member of
// staff access for at most 24 hours, with a reason (R-LOCK-4). Helpdesk
// staff and anyone the lock denies cannot be let in. Errors: Forbidden
// (not the responsible person), Conflict (not locked), Invalid.
func DecideTemporaryAccess(c ClientRecord, actor Actor, cmd GrantTemporaryAccess, now time.Time) ([]Event, error) {
	if c.Lock.Status != LockLocked {
		return nil, Errorf(Conflict, "the case is not locked")
	}
	if actor.UserID != c.Lock.ResponsibleUserID {
		return nil, Errorf(Forbidden, "only the person responsible for the locked case can grant access to it")
	}
	var f fieldErrors
	f.text("reason", cmd.Reason, true, MaxLongText)
	if cmd.Hours < 1 || time.Duration(cmd.Hours)*time.Hour > MaxTemporaryAccess {
		f.add("hours", "must be from 1 to 24")
	}
	switch {
	case cmd.Grantee.ID == uuid.Nil || cmd.Grantee.Closed:
		f.add("user_id", "must be an active user")
	case cmd.Grantee.ID == actor.UserID:
		f.add("user_id", "you already have access")
	case hasRole(cmd.Grantee.Roles, RoleHelpdesk):
		f.add("user_id", "helpdesk staff never have access to a locked case, not even temporarily")
	default:
		if c.Lock.denies(cmd.Grantee.Actor()) {
			f.add("user_id", "the lock denies this user access")
		}
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	return []Event{&TemporaryAccessGranted{GrantID: cmd.GrantID, ClientID: c.ID, UserID: cmd.Grantee.ID,
		ExpiresAt: now.Add(time.Duration(cmd.Hours) * time.Hour).UTC(), Reason: cmd.Reason}}, nil
}

func hasRole(roles []Role, r Role) bool {
	for _, k := range roles {
		if k == r {
			return true
		}
	}
	return false
}

// DecideEndTemporaryAccess lets the grantee (or the responsible person) end
// their live grants early. Errors: Conflict (no live grant).
func DecideEndTemporaryAccess(c ClientRecord, actor Actor, userID uuid.UUID, now time.Time) ([]Event, error) {
	if actor.UserID != userID && actor.UserID != c.Lock.ResponsibleUserID {
		return nil, Errorf(Forbidden, "only the grantee or the responsible person can end short-term access")
	}
	var out []Event
	for _, g := range c.Lock.Grants {
		if g.UserID == userID && g.Live(now) {
			out = append(out, &TemporaryAccessEnded{GrantID: g.ID})
		}
	}
	if len(out) == 0 {
		return nil, Errorf(Conflict, "there is no short-term access to end")
	}
	return out, nil
}

// DecideLockReview records a monthly review by a team manager of the
// organisation the lock belongs to (R-LOCK-5, R-LOCK-10); deciding not to
// keep the lock also asks for it to be lifted. Errors: Forbidden, Conflict
// (not locked), Invalid.
func DecideLockReview(c ClientRecord, actor Actor, reviewID, unlockRequestID uuid.UUID, keep bool, notes string) ([]Event, error) {
	if !actor.Has(RoleTeamManager) {
		return nil, Errorf(Forbidden, "only a team manager reviews locked cases")
	}
	if c.Lock.Status != LockLocked {
		return nil, Errorf(Conflict, "the case is not locked")
	}
	if !c.Lock.managedBy(actor, RoleTeamManager) {
		return nil, Errorf(Forbidden, "only a team manager of the organisation the lock belongs to reviews it")
	}
	var f fieldErrors
	f.text("notes", notes, !keep, MaxLongText)
	if err := f.err(); err != nil {
		return nil, err
	}
	out := []Event{&LockReviewed{ReviewID: reviewID, ClientID: c.ID, KeepLocked: keep, Notes: notes}}
	if !keep && c.Lock.UnlockRequestID == uuid.Nil {
		out = append(out, &UnlockRequested{RequestID: unlockRequestID, ClientID: c.ID, Reason: notes})
	}
	return out, nil
}

// DecideRequestUnlock lets a team manager of the organisation the lock
// belongs to ask for it to be lifted (R-LOCK-6, R-LOCK-10). Errors:
// Forbidden, Conflict (not locked, or already asked), Invalid.
func DecideRequestUnlock(c ClientRecord, actor Actor, requestID uuid.UUID, reason string) ([]Event, error) {
	if !actor.Has(RoleTeamManager) {
		return nil, Errorf(Forbidden, "only a team manager can ask for a lock to be lifted")
	}
	if c.Lock.Status != LockLocked {
		return nil, Errorf(Conflict, "the case is not locked")
	}
	if !c.Lock.managedBy(actor, RoleTeamManager) {
		return nil, Errorf(Forbidden, "only a team manager of the organisation the lock belongs to can ask for it to be lifted")
	}
	if c.Lock.UnlockRequestID != uuid.Nil {
		return nil, Errorf(Conflict, "an unlock request for this case is already awaiting a decision")
	}
	var f fieldErrors
	f.text("reason", reason, true, MaxLongText)
	if err := f.err(); err != nil {
		return nil, err
	}
	return []Event{&UnlockRequested{RequestID: requestID, ClientID: c.ID, Reason: reason}}, nil
}

// DecideUnlock is the decision on an unlock request, by a service manager
// of the organisation the lock belongs to who did not ask for the unlock
// (R-LOCK-6, R-LOCK-10). A lock kept for a serious case review cannot be
// lifted until the review is recorded complete. Errors: NotFound,
// Forbidden, Conflict, Invalid.
func DecideUnlock(c ClientRecord, actor Actor, requestID uuid.UUID, approve bool, reason string) ([]Event, error) {
	if c.Lock.Status != LockLocked || c.Lock.UnlockRequestID != requestID {
		return nil, Errorf(NotFound, "no such unlock request")
	}
	if !c.Lock.managedBy(actor, RoleServiceManager) {
		return nil, Errorf(Forbidden, "only a service manager of the organisation the lock belongs to decides unlock requests")
	}
	if actor.UserID == c.Lock.UnlockRequestedBy {
		return nil, Errorf(Forbidden, "another service manager must decide an unlock request you made yourself")
	}
	if approve {
		if c.Lock.SeriousCaseReview && !c.Lock.SeriousCaseReviewEnd {
			return nil, Errorf(Conflict, "the case is locked for a serious case review: record the review complete before unlocking")
		}
		return []Event{&UnlockApproved{RequestID: requestID}}, nil
	}
	var f fieldErrors
	f.text("reason", reason, true, MaxLongText)
	if err := f.err(); err != nil {
		return nil, err
	}
	return []Event{&UnlockRefused{RequestID: requestID, ClientID: c.ID, Reason: reason}}, nil
}

// DecideCompleteSeriousCaseReview records that the serious case review a
// lock was kept for is over: a service manager of the organisation the
// lock belongs to, not the one who asked for the lock (R-LOCK-10). Errors:
// Forbidden, Conflict.
func DecideCompleteSeriousCaseReview(c ClientRecord, actor Actor) ([]Event, error) {
	if !actor.Has(RoleServiceManager) {
		return nil, Errorf(Forbidden, "only a service manager records a serious case review complete")
	}
	if c.Lock.Status != LockLocked || !c.Lock.SeriousCaseReview || c.Lock.SeriousCaseReviewEnd {
		return nil, Errorf(Conflict, "the case is not locked for a serious case review in progress")
	}
	if !c.Lock.managedBy(actor, RoleServiceManager) {
		return nil, Errorf(Forbidden, "only a service manager of the organisation the lock belongs to records its serious case review complete")
	}
	if actor.UserID == c.Lock.RequestedBy {
		return nil, Errorf(Forbidden, "another service manager must record complete the review of a lock you asked for yourself")
	}
	return []Event{&SeriousCaseReviewCompleted{}}, nil
}

// MaxMessageText bounds a message to a case's responsible person, in
// Unicode code points: enough to pass on what a caller said, not a place
// to keep a case file (R-LOCK-8, R-LEDGER-6).
const MaxMessageText = 2000

// DecideMessage passes information to a case's responsible person
// (R-LOCK-8). Anyone signed in may; the sender learns nothing about the
// case. Errors: Invalid (text).
func DecideMessage(messageID, clientID uuid.UUID, text string, childProtection bool) ([]Event, error) {
	var f fieldErrors
	f.text("text", text, true, MaxMessageText)
	if err := f.err(); err != nil {
		return nil, err
	}
	return []Event{&MessageForResponsiblePerson{MessageID: messageID, ClientID: clientID, ChildProtection: childProtection, Text: text}}, nil
}
