package domain

import (
	"strings"
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
	// Colleagues are the accounts of the requester's organisation, as the
	// directory has them: whether the deny list leaves a service manager
	// to decide the request.
	Colleagues map[uuid.UUID]User
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
func validateParties(f *fieldErrors, field string, parties []Party, deny bool, named map[uuid.UUID]User, refused fieldErrors) {
	if len(parties) > 100 {
		f.add(field, "must list at most 100 entries")
		return
	}
	for i, p := range parties {
		name := field + "[" + strconvItoa(i) + "]"
		if refused.names(name+".user_id") || refused.names(name+".organisation_id") {
			continue // its mistake is named among the refused
		}
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
// Forbidden, Conflict (already locked or a request pending, or nobody
// could decide it), Invalid.
//
// When the organisation has service managers but none who could decide
// the request whatever its deny list says (every one is the requester,
// who never decides their own, or helpdesk staff), nobody ever could: it
// is refused as Conflict in plain words, as an unlock request nobody
// could decide is (R-LOCK-6, R-LOCK-10). One that only the deny list
// leaves without a decider is refused as Invalid naming deny.
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
	if noDecider(Lock{Status: LockPending, OwningOrganisationID: actor.OrganisationID}, actor, cmd.Colleagues) {
		return nil, Errorf(Conflict, "no service manager of your organisation could decide this request: "+
			"nobody decides a request they made themselves, and helpdesk staff decide none; "+
			"ask your organisation's lead for another service manager")
	}
	var f fieldErrors
	switch {
	case fieldErrors(cmd.Refused).names("responsible_user_id"):
		// its mistake is named among the refused
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
	validateParties(&f, "allow", cmd.Allow, false, cmd.Named, cmd.Refused)
	validateParties(&f, "deny", cmd.Deny, true, cmd.Named, cmd.Refused)
	if leavesNoDecider(actor, cmd.Deny, cmd.Colleagues) {
		f.add("deny", "refuses every service manager of your organisation who could decide this request, so nobody could: leave at least one of them off the list")
	}
	f = append(f, cmd.Refused...)
	if err := f.err(); err != nil {
		return nil, err
	}
	return []Event{&LockRequested{RequestID: cmd.RequestID, ClientID: cmd.ClientID, ResponsibleUserID: cmd.ResponsibleUserID,
		Reason: cmd.Reason, Allow: nonNilParties(cmd.Allow), Deny: nonNilParties(cmd.Deny),
		HideNotification: cmd.HideNotification, SeriousCaseReview: cmd.SeriousCaseReview}}, nil
}

// leavesNoDecider reports whether a deny list refuses every service
// manager of the requester's organisation who could decide the request:
// active, not helpdesk, not the requester (R-LOCK-10). Such a request
// could never be decided (a lock's deny list refuses its deciders too) and
// would keep the case from being locked by another. An organisation with
// no service manager at all is not the list's doing: its request waits
// for one to be appointed; nor is one whose only service managers are the
// requester or helpdesk staff, whatever the list says (DecideRequestLock
// refuses that request as Conflict before the list is looked at).
func leavesNoDecider(actor Actor, deny []Party, colleagues map[uuid.UUID]User) bool {
	if len(deny) == 0 {
		return false
	}
	org := Lock{Status: LockPending, OwningOrganisationID: actor.OrganisationID}
	l := org
	l.Deny = deny
	return noDecider(l, actor, colleagues) && !noDecider(org, actor, colleagues)
}

// UnlockDecidable refuses, as Conflict, an unlock request of lock l by
// requester that no service manager of the organisation could decide
// (noDecider); colleagues are the organisation's accounts.
func UnlockDecidable(l Lock, requester Actor, colleagues map[uuid.UUID]User) error {
	if noDecider(l, requester, colleagues) {
		return Errorf(Conflict, "no service manager of your organisation could decide this request: "+
			"the lock's deny list or the helpdesk role refuses every one of them, and nobody decides a request they made themselves; "+
			"ask your organisation's lead for a service manager the lock does not refuse")
	}
	return nil
}

// noDecider reports whether the organisation lock l belongs to has a
// service manager (an open account holding the role) yet none who could
// decide a request about l made by requester: every one is the requester,
// who never decides their own, or is refused by l (its deny list names
// them or their team, or they hold the helpdesk role), whom l keeps out of
// deciding as of everything else (R-LOCK-2, R-LOCK-6, R-LOCK-10). Such a
// request could never be decided. colleagues are the accounts of l's
// organisation, as the directory has them. An organisation with no
// service manager at all is not reported: appointing one decides the
// request.
func noDecider(l Lock, requester Actor, colleagues map[uuid.UUID]User) bool {
	managers := 0
	for _, u := range colleagues {
		a := u.Actor()
		if u.Closed || u.OrganisationID != l.OwningOrganisationID || !a.Has(RoleServiceManager) {
			continue
		}
		if u.ID != requester.UserID && !l.Refuses(a) {
			return false
		}
		managers++
	}
	return managers > 0
}

func nonNilParties(p []Party) []Party {
	if p == nil {
		return []Party{}
	}
	return p
}

// DecideLock is the decision on a lock request, by a service manager of
// the organisation that asked for it who did not ask themselves
// (R-LOCK-10). responsible is the account of the person the request names
// as responsible, as the directory has it now (zero if it has none): a
// lock is approved only while they can be responsible for it, an active
// member of the organisation with a casework or manager role whom its deny
// list does not refuse (R-LOCK-10), or callers would be told to ask
// someone who cannot let them in (R-LOCK-3, R-LOCK-4). Errors: NotFound
// (no such request, or a hidden lock requested would keep the caller out
// once in force: they learn nothing of it, R-LOCK-12), Forbidden, Conflict
// (already decided, or an approval the responsible person named can no
// longer take), Invalid (a refusal needs a reason, unless the client's
// data is erased).
func DecideLock(c ClientRecord, actor Actor, requestID uuid.UUID, approve bool, reason string, responsible User) ([]Event, error) {
	if c.Lock.RequestID != requestID || c.Lock.Status == LockNone {
		return nil, Errorf(NotFound, "no such lock request")
	}
	if !c.Lock.managedBy(actor, RoleServiceManager) {
		if c.Lock.requestHiddenFrom(actor) {
			// A hidden lock still requested tells whom it will keep out
			// nothing of itself (R-LOCK-12), as its withdrawal does not.
			return nil, Errorf(NotFound, "no such lock request")
		}
		return nil, Errorf(Forbidden, "only a service manager of the organisation that asked for the lock decides it")
	}
	if actor.UserID == c.Lock.RequestedBy {
		return nil, Errorf(Forbidden, "another service manager must decide a lock request you made yourself")
	}
	if c.Lock.Status != LockPending {
		return nil, Errorf(Conflict, "the lock request was already decided")
	}
	if approve {
		if responsible.ID != c.Lock.ResponsibleUserID {
			responsible = User{} // not the account the request names
		}
		if fault := responsibleFault(responsible, c.Lock.OwningOrganisationID, c.Lock.Deny); fault != "" {
			return nil, Errorf(Conflict, "the responsible person this request names cannot be responsible for the case now (%s): "+
				"refuse the request, and a team manager can ask again naming someone who can", fault)
		}
		return approval(reason, func(reason string) Event {
			return &LockApproved{RequestID: requestID, ClientID: c.ID, Reason: reason}
		})
	}
	var f fieldErrors
	// Once the client's data is erased no reason can be kept: the refusal
	// is recorded without one, so the request does not wait for ever.
	f.text("reason", reason, !c.Erased, MaxLongText)
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
// (not locked, or an unlock nobody could decide), Invalid.
//
// colleagues are the accounts of the lock's organisation, as the directory
// has them: a review that would ask for the unlock when no service manager
// could decide it (noDecider) is refused as Conflict naming keep_locked,
// as DecideRequestUnlock refuses the same request asked for directly
// (R-LOCK-6, R-LOCK-10), and nothing is recorded.
func DecideLockReview(c ClientRecord, actor Actor, reviewID, unlockRequestID uuid.UUID, keep bool, notes string, colleagues map[uuid.UUID]User) ([]Event, error) {
	if !actor.Has(RoleTeamManager) {
		return nil, Errorf(Forbidden, "only a team manager reviews locked cases")
	}
	if c.Lock.Status != LockLocked {
		return nil, Errorf(Conflict, "the case is not locked")
	}
	if !c.Lock.managedBy(actor, RoleTeamManager) {
		return nil, Errorf(Forbidden, "only a team manager of the organisation the lock belongs to reviews it")
	}
	if !keep && c.Lock.UnlockRequestID == uuid.Nil && noDecider(c.Lock, actor, colleagues) {
		return nil, errReviewUndecidable
	}
	var f fieldErrors
	// Once the client's data is erased no notes can be kept: the review
	// asks for the unlock without them, or the lock could never be lifted.
	f.text("notes", notes, !keep && !c.Erased, MaxLongText)
	if err := f.err(); err != nil {
		return nil, err
	}
	out := []Event{&LockReviewed{ReviewID: reviewID, ClientID: c.ID, KeepLocked: keep, Notes: notes}}
	if !keep && c.Lock.UnlockRequestID == uuid.Nil {
		out = append(out, &UnlockRequested{RequestID: unlockRequestID, ClientID: c.ID, Reason: notes})
	}
	return out, nil
}

// errReviewUndecidable refuses a review asking for an unlock that no
// service manager could decide: the review may keep the lock instead.
var errReviewUndecidable = &Error{Code: Conflict,
	Message: "no service manager of your organisation could decide the unlock request this review would make: " +
		"the lock's deny list or the helpdesk role refuses every one of them, and nobody decides a request they made themselves; " +
		"keep the case locked for now, and ask your organisation's lead for a service manager the lock does not refuse",
	Fields: []FieldError{{Field: "keep_locked", Message: "cannot ask for the unlock: no service manager of your organisation could decide it. " +
		"Keep the case locked for now, and ask your organisation's lead for a service manager the lock does not refuse"}}}

// DecideRequestUnlock lets a team manager of the organisation the lock
// belongs to ask for it to be lifted (R-LOCK-6, R-LOCK-10). Errors:
// Forbidden, Conflict (not locked, or already asked), Invalid.
//
// colleagues are the accounts of the lock's organisation, as the directory
// has them: when it has service managers but the lock refuses every one
// who could decide the request (its deny list names them or their team,
// or they hold the helpdesk role), the requester aside, nobody ever could,
// and the request is refused as Conflict, as a lock request whose deny
// list leaves nobody to decide it is.
func DecideRequestUnlock(c ClientRecord, actor Actor, requestID uuid.UUID, reason string, colleagues map[uuid.UUID]User) ([]Event, error) {
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
	if err := UnlockDecidable(c.Lock, actor, colleagues); err != nil {
		return nil, err
	}
	var f fieldErrors
	// Once the client's data is erased no reason can be kept: the request
	// goes without one, or the lock could never be lifted.
	f.text("reason", reason, !c.Erased, MaxLongText)
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
		return approval(reason, func(reason string) Event {
			return &UnlockApproved{RequestID: requestID, ClientID: c.ID, Reason: reason}
		})
	}
	var f fieldErrors
	f.text("reason", reason, !c.Erased, MaxLongText) // as for a lock request
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

// DecideWithdrawLockRequest takes back a lock or unlock request that still
// awaits a decision (R-LOCK-1, R-LOCK-6, R-LOCK-10), as WithdrawableBy
// allows: its team manager, or another team manager of the organisation
// the lock belongs to. A withdrawn lock request leaves the case unlocked
// and free for another; a withdrawn unlock request leaves the lock in
// force. The reason is required, as for every step of a lock, unless the
// client's data is erased, when none can be kept. Errors: NotFound (no
// such request waiting, or the caller is not of the lock's organisation,
// or a hidden lock requested would keep them out once in force: they learn
// nothing of it, R-LOCK-12), Forbidden (any other member of that
// organisation who may not withdraw it), Invalid.
func DecideWithdrawLockRequest(c ClientRecord, actor Actor, requestID uuid.UUID, reason string) ([]Event, error) {
	pending, _, _, ok := c.Lock.PendingRequest()
	if !ok || pending != requestID {
		return nil, Errorf(NotFound, "no such lock request")
	}
	if _, _, may := c.Lock.WithdrawableBy(actor); !may {
		if actor.OrganisationID != c.Lock.OwningOrganisationID || c.Lock.requestHiddenFrom(actor) {
			return nil, Errorf(NotFound, "no such lock request")
		}
		return nil, Errorf(Forbidden, "only the team manager who made the request, or another team manager of the organisation it belongs to, can withdraw it")
	}
	var f fieldErrors
	f.text("reason", reason, !c.Erased, MaxLongText)
	if err := f.err(); err != nil {
		return nil, err
	}
	return []Event{&LockRequestWithdrawn{RequestID: requestID, ClientID: c.ID, Reason: reason}}, nil
}

// requestHiddenFrom reports whether a lock still requested, its
// notification hidden, would keep actor out without a word once in force
// (R-LOCK-3): its deny list names them or their team, they are helpdesk
// staff, or its allow list leaves them out, and they do not manage it.
// They learn of the request no more than of the lock (R-LOCK-12). A lock
// in force is judged by the gate of every lock command.
func (l Lock) requestHiddenFrom(actor Actor) bool {
	if l.Status != LockPending || !l.HideNotification {
		return false
	}
	l.Status, l.Grants = LockLocked, nil // as it will be once approved
	return ViewLock(l, actor, true, time.Time{}) == LockUnseen
}

// approval records a lock or unlock request approved, with the reason the
// service manager may give (at most MaxLongText; blank, none): it is the
// client's data, kept sealed like a refusal's, so once the client's data
// is erased one given cannot be kept, as a refusal's cannot.
func approval(reason string, event func(reason string) Event) ([]Event, error) {
	var f fieldErrors
	f.text("reason", reason, false, MaxLongText)
	if err := f.err(); err != nil {
		return nil, err
	}
	if strings.TrimSpace(reason) == "" {
		reason = ""
	}
	return []Event{event(reason)}, nil
}
