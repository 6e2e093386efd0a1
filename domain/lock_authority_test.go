package domain_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// The lock fixtures: the lock belongs to the receiving organisation, whose
// team manager asks for it; the referrer is another organisation holding
// the same client.
var (
	lockRequestID   = id("lock request")
	unlockRequestID = id("unlock request")
	ownerTM         = actor("owner team manager", receiverOrgID, domain.RoleTeamManager)
	ownerSM         = actor("owner service manager", receiverOrgID, domain.RoleServiceManager)
	ownerBoth       = actor("owner team and service manager", receiverOrgID, domain.RoleTeamManager, domain.RoleServiceManager)
	otherTM         = actor("other team manager", referrerOrgID, domain.RoleTeamManager)
	otherSM         = actor("other service manager", referrerOrgID, domain.RoleServiceManager)
)

func (h history) client() domain.ClientRecord {
	var c domain.ClientRecord
	for _, rec := range h {
		c = domain.EvolveClient(c, rec)
	}
	c.ID = clientID
	return c
}

// lockRequested is a lock request on the client, with the deny list given.
func lockRequested(scr bool, deny ...domain.Party) *domain.LockRequested {
	return &domain.LockRequested{RequestID: lockRequestID, ClientID: clientID, ResponsibleUserID: receiverAdviser.UserID,
		Reason: "related member of staff", Allow: []domain.Party{{Team: "duty"}}, Deny: append([]domain.Party{}, deny...),
		SeriousCaseReview: scr}
}

// lockedBy is a lock asked for by requester and approved by ownerSM.
func lockedBy(requester domain.Actor, scr bool) []domain.Event {
	return []domain.Event{by(requester, lockRequested(scr)), by(ownerSM, &domain.LockApproved{RequestID: lockRequestID})}
}

func unlockAskedBy(requester domain.Actor) domain.Event {
	return by(requester, &domain.UnlockRequested{RequestID: unlockRequestID, ClientID: clientID, Reason: "over"})
}

// TestDecideLock_LOCK10: only a service manager of the organisation that
// asked for the lock decides it, and never on their own request, even
// holding both manager roles; a manager the lock denies does not decide.
func TestDecideLock_LOCK10(t *testing.T) {
	approved := &domain.LockApproved{RequestID: lockRequestID, ClientID: clientID}
	t.Run("OK", func(t *testing.T) {
		when(domain.DecideLock(given(by(ownerTM, lockRequested(false))).client(), ownerSM, lockRequestID, true, "", staffOf(receiverAdviser))).then(t, approved)
	})
	t.Run("ErrOtherOrganisation", func(t *testing.T) {
		when(domain.DecideLock(given(by(ownerTM, lockRequested(false))).client(), otherSM, lockRequestID, true, "", staffOf(receiverAdviser))).
			thenError(t, domain.Forbidden)
	})
	t.Run("ErrTeamManager", func(t *testing.T) {
		when(domain.DecideLock(given(by(ownerTM, lockRequested(false))).client(), ownerTM, lockRequestID, true, "", staffOf(receiverAdviser))).
			thenError(t, domain.Forbidden)
	})
	t.Run("ErrOwnRequest", func(t *testing.T) {
		for _, approve := range []bool{true, false} {
			when(domain.DecideLock(given(by(ownerBoth, lockRequested(false))).client(), ownerBoth, lockRequestID, approve, "no", staffOf(receiverAdviser))).
				thenErrorSays(t, domain.Forbidden, "yourself")
		}
	})
	t.Run("ErrDeniedManager", func(t *testing.T) {
		h := given(by(ownerTM, lockRequested(false, domain.Party{UserID: ownerSM.UserID})))
		when(domain.DecideLock(h.client(), ownerSM, lockRequestID, true, "", staffOf(receiverAdviser))).thenError(t, domain.Forbidden)
	})
}

// TestApproveLockResponsibleNow_LOCK10: a lock is approved only while the
// person its request names as responsible can be: an active member of the
// lock's organisation with a casework or manager role, not helpdesk, whom
// the deny list does not refuse, as the directory has them at the decision.
// One who has since stopped being that makes the approval a conflict that
// says why; the request can still be refused.
func TestApproveLockResponsibleNow_LOCK10(t *testing.T) {
	pending := given(by(ownerTM, lockRequested(false, domain.Party{Team: "intake"})))
	fit := staffOf(receiverAdviser)
	when(domain.DecideLock(pending.client(), ownerSM, lockRequestID, true, "", fit)).
		then(t, &domain.LockApproved{RequestID: lockRequestID, ClientID: clientID})
	closed := fit
	closed.Closed = true
	helpdesk := fit
	helpdesk.Roles = []domain.Role{domain.RoleHelpdesk}
	moved := fit
	moved.Team = "Intake"
	elsewhere := fit
	elsewhere.OrganisationID = referrerOrgID
	for name, tc := range map[string]struct {
		u    domain.User
		says string
	}{
		"closed":       {closed, "active"},
		"unknown":      {domain.User{}, "active"},
		"someone else": {staffOf(receiverColleague), "active"},
		"helpdesk":     {helpdesk, "helpdesk"},
		"refused team": {moved, "deny"},
		"another org":  {elsewhere, "active"},
	} {
		t.Run(name, func(t *testing.T) {
			when(domain.DecideLock(pending.client(), ownerSM, lockRequestID, true, "", tc.u)).thenErrorSays(t, domain.Conflict, tc.says)
			when(domain.DecideLock(pending.client(), ownerSM, lockRequestID, false, "they left", tc.u)).
				then(t, &domain.LockRefused{RequestID: lockRequestID, ClientID: clientID, Reason: "they left"})
		})
	}
}

// TestDecideUnlock_LOCK10: the unlock is decided by a service manager of
// the owning organisation who did not ask for the unlock; having asked for
// the lock itself does not bar them.
func TestDecideUnlock_LOCK10(t *testing.T) {
	unlocked := &domain.UnlockApproved{RequestID: unlockRequestID, ClientID: clientID}
	t.Run("OK", func(t *testing.T) {
		h := given(append(lockedBy(ownerTM, false), unlockAskedBy(ownerTM))...)
		when(domain.DecideUnlock(h.client(), ownerSM, unlockRequestID, true, "")).then(t, unlocked)
	})
	t.Run("OKLockRequesterDecidesAnothersUnlock", func(t *testing.T) {
		h := given(append(lockedBy(ownerBoth, false), unlockAskedBy(ownerTM))...)
		when(domain.DecideUnlock(h.client(), ownerBoth, unlockRequestID, true, "")).then(t, unlocked)
	})
	t.Run("ErrOtherOrganisation", func(t *testing.T) {
		h := given(append(lockedBy(ownerTM, false), unlockAskedBy(ownerTM))...)
		when(domain.DecideUnlock(h.client(), otherSM, unlockRequestID, true, "")).thenError(t, domain.Forbidden)
	})
	t.Run("ErrOwnUnlockRequest", func(t *testing.T) {
		h := given(append(lockedBy(ownerTM, false), unlockAskedBy(ownerBoth))...)
		when(domain.DecideUnlock(h.client(), ownerBoth, unlockRequestID, true, "")).thenErrorSays(t, domain.Forbidden, "yourself")
	})
	t.Run("ErrOwnUnlockRequestByReview", func(t *testing.T) {
		c := given(lockedBy(ownerTM, false)...).client()
		evs, err := domain.DecideLockReview(c, ownerBoth, id("review"), unlockRequestID, false, "no longer needed", nil)
		if err != nil {
			t.Fatal(err)
		}
		h := given(append(lockedBy(ownerTM, false), by(ownerBoth, evs[0]), by(ownerBoth, evs[1]))...)
		when(domain.DecideUnlock(h.client(), ownerBoth, unlockRequestID, false, "keep")).thenError(t, domain.Forbidden)
	})
}

// TestCompleteSeriousCaseReview_LOCK10: a service manager of the owning
// organisation, not the one who asked for the lock.
func TestCompleteSeriousCaseReview_LOCK10(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		when(domain.DecideCompleteSeriousCaseReview(given(lockedBy(ownerTM, true)...).client(), ownerSM)).
			then(t, &domain.SeriousCaseReviewCompleted{})
	})
	t.Run("ErrOtherOrganisation", func(t *testing.T) {
		when(domain.DecideCompleteSeriousCaseReview(given(lockedBy(ownerTM, true)...).client(), otherSM)).thenError(t, domain.Forbidden)
	})
	t.Run("ErrLockRequester", func(t *testing.T) {
		when(domain.DecideCompleteSeriousCaseReview(given(lockedBy(ownerBoth, true)...).client(), ownerBoth)).
			thenErrorSays(t, domain.Forbidden, "yourself")
	})
}

// TestLockReviewAndUnlockRequest_LOCK10: only team managers of the owning
// organisation review a lock or ask for it to be lifted.
func TestLockReviewAndUnlockRequest_LOCK10(t *testing.T) {
	c := given(lockedBy(ownerTM, false)...).client()
	t.Run("OKReview", func(t *testing.T) {
		when(domain.DecideLockReview(c, ownerTM, id("review"), unlockRequestID, true, "", nil)).
			then(t, &domain.LockReviewed{ReviewID: id("review"), ClientID: clientID, KeepLocked: true})
	})
	t.Run("OKUnlockRequest", func(t *testing.T) {
		when(domain.DecideRequestUnlock(c, ownerTM, unlockRequestID, "over", nil)).
			then(t, &domain.UnlockRequested{RequestID: unlockRequestID, ClientID: clientID, Reason: "over"})
	})
	t.Run("ErrReviewOtherOrganisation", func(t *testing.T) {
		when(domain.DecideLockReview(c, otherTM, id("review"), unlockRequestID, false, "lift it", nil)).thenError(t, domain.Forbidden)
	})
	t.Run("ErrUnlockRequestOtherOrganisation", func(t *testing.T) {
		when(domain.DecideRequestUnlock(c, otherTM, unlockRequestID, "lift it", nil)).thenError(t, domain.Forbidden)
	})
}

// TestResponsiblePerson_LOCK10: an active member of the requesting team
// manager's organisation with a casework or manager role; never helpdesk,
// another organisation's user, a closed account or someone denied.
func TestResponsiblePerson_LOCK10(t *testing.T) {
	user := func(a domain.Actor) domain.User {
		return domain.User{ID: a.UserID, OrganisationID: a.OrganisationID, Roles: a.Roles}
	}
	closed := user(receiverLeaver)
	closed.Closed = true
	for _, tc := range []struct {
		name string
		user domain.User
		deny []domain.Party
		ok   bool
	}{
		{"OKAdviser", user(receiverAdviser), nil, true},
		{"OKOrgLead", user(receiverLead), nil, true},
		{"OKTeamManager", user(ownerTM), nil, true},
		{"OKServiceManager", user(ownerSM), nil, true},
		{"ErrOtherOrganisation", user(thirdAdviser), nil, false},
		{"ErrHelpdesk", user(receiverHelpdesk), nil, false},
		{"ErrAdviserAndHelpdesk", user(actor("both", receiverOrgID, domain.RoleAdviser, domain.RoleHelpdesk)), nil, false},
		{"ErrAuditorOnly", user(receiverAuditor), nil, false},
		{"ErrClosed", closed, nil, false},
		{"ErrUnknown", domain.User{}, nil, false},
		{"ErrDenied", user(receiverAdviser), []domain.Party{{UserID: receiverAdviser.UserID}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := domain.RequestLock{RequestID: lockRequestID, ClientID: clientID, ResponsibleUserID: tc.user.ID,
				Responsible: tc.user, Reason: "related member of staff", Deny: tc.deny,
				Named: map[uuid.UUID]domain.User{tc.user.ID: tc.user}}
			if cmd.ResponsibleUserID == uuid.Nil {
				cmd.ResponsibleUserID = id("nobody")
			}
			o := when(domain.DecideRequestLock(domain.ClientRecord{}, ownerTM, cmd))
			if !tc.ok {
				o.thenError(t, domain.Invalid, "responsible_user_id")
				return
			}
			o.then(t, &domain.LockRequested{RequestID: lockRequestID, ClientID: clientID, ResponsibleUserID: tc.user.ID,
				Reason: "related member of staff", Allow: []domain.Party{}, Deny: []domain.Party{}})
		})
	}
}

// TestTeamParty_LOCK11: a team on the lists is a team of one organisation,
// the lock's own unless the party names another: a team of the same name
// in another organisation neither gets in nor is kept out.
func TestTeamParty_LOCK11(t *testing.T) {
	member := func(org uuid.UUID, team string) domain.Actor {
		return domain.Actor{UserID: id("member " + team + org.String()), OrganisationID: org, Roles: []domain.Role{domain.RoleAdviser}, Team: team}
	}
	req := &domain.LockRequested{RequestID: lockRequestID, ClientID: clientID, ResponsibleUserID: receiverAdviser.UserID, Reason: "r",
		Allow: []domain.Party{{Team: "t1"}, {Team: "t2", OrganisationID: referrerOrgID}, {Team: "t3"}},
		Deny:  []domain.Party{{Team: "t3", OrganisationID: thirdOrgID}, {Team: "t4"}}}
	l := given(by(ownerTM, req), by(ownerSM, &domain.LockApproved{RequestID: lockRequestID})).client().Lock
	if l.OwningOrganisationID != receiverOrgID {
		t.Fatalf("owning organisation = %v, want the requester's", l.OwningOrganisationID)
	}
	for _, tc := range []struct {
		name string
		a    domain.Actor
		ok   bool
	}{
		{"OwnTeamWithoutOrganisation", member(receiverOrgID, "t1"), true},
		{"SameNameOtherOrganisation", member(thirdOrgID, "t1"), false},
		{"NamedOtherOrganisationsTeam", member(referrerOrgID, "t2"), true},
		{"NamedTeamNameInOwnOrganisation", member(receiverOrgID, "t2"), false},
		{"DenyNamesAnotherOrganisationsTeam", member(receiverOrgID, "t3"), true},
		{"DeniedOtherOrganisationsTeam", member(thirdOrgID, "t3"), false},
		{"DeniedOwnTeam", member(receiverOrgID, "t4"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, ok := domain.LockAccess(l, tc.a, now); ok != tc.ok {
				t.Fatalf("LockAccess = %v, want %v", ok, tc.ok)
			}
		})
	}
	t.Run("ErrOrganisationWithoutTeam", func(t *testing.T) {
		cmd := domain.RequestLock{RequestID: lockRequestID, ClientID: clientID, ResponsibleUserID: receiverAdviser.UserID,
			Responsible: domain.User{ID: receiverAdviser.UserID, OrganisationID: receiverOrgID, Roles: receiverAdviser.Roles},
			Reason:      "r",
			Allow:       []domain.Party{{UserID: thirdAdviser.UserID, OrganisationID: thirdOrgID}},
		}
		when(domain.DecideRequestLock(domain.ClientRecord{}, ownerTM, cmd)).thenError(t, domain.Invalid, "allow[0].organisation_id")
	})
	// What the sender's form could not make into a party is refused with
	// the command's own errors, all at once, and nothing is requested;
	// alone, it is still refused.
	t.Run("ErrRefusedBesideOwnErrors", func(t *testing.T) {
		half := []domain.FieldError{{Field: "allow-other-org", Message: "Choose the organisation the team belongs to"}}
		cmd := domain.RequestLock{RequestID: lockRequestID, ClientID: clientID, Refused: half}
		when(domain.DecideRequestLock(domain.ClientRecord{}, ownerTM, cmd)).
			thenError(t, domain.Invalid, "responsible_user_id", "reason", "allow-other-org")
		cmd.ResponsibleUserID, cmd.Reason = receiverAdviser.UserID, "r"
		cmd.Responsible = domain.User{ID: receiverAdviser.UserID, OrganisationID: receiverOrgID, Roles: receiverAdviser.Roles}
		when(domain.DecideRequestLock(domain.ClientRecord{}, ownerTM, cmd)).thenError(t, domain.Invalid, "allow-other-org")
	})
}

// TestTeamPartyRecordedBeforeOrganisations_LOCK11: a lock request stored
// before teams named their organisation ({"team": "duty"} alone) still
// means the owning organisation's team when evolved: no upcaster needed.
func TestTeamPartyRecordedBeforeOrganisations_LOCK11(t *testing.T) {
	old := `{"request_id":"` + lockRequestID.String() + `","client_id":"` + clientID.String() + `",` +
		`"responsible_user_id":"` + receiverAdviser.UserID.String() + `","reason":"r",` +
		`"allow":[{"user_id":"00000000-0000-0000-0000-000000000000","team":"duty"}],"deny":[],` +
		`"hide_notification":false,"serious_case_review":false}`
	ev, _ := domain.NewEvent(domain.LockRequestedType)
	if err := json.Unmarshal([]byte(old), ev); err != nil {
		t.Fatal(err)
	}
	l := given(by(ownerTM, ev), by(ownerSM, &domain.LockApproved{RequestID: lockRequestID})).client().Lock
	duty := func(org uuid.UUID) domain.Actor {
		return domain.Actor{UserID: id("duty " + org.String()), OrganisationID: org, Roles: []domain.Role{domain.RoleAdviser}, Team: "duty"}
	}
	if _, ok := domain.LockAccess(l, duty(receiverOrgID), now); !ok {
		t.Error("the owning organisation's duty team is refused")
	}
	if _, ok := domain.LockAccess(l, duty(thirdOrgID), now); ok {
		t.Error("another organisation's team called duty is let in")
	}
}

// TestViewLock_LOCK12: what a caller learns about a lock before any lock
// command: nothing unless they may know the client; told it is locked
// only if the notification is not hidden; managers of the owning
// organisation see the lock they manage.
func TestViewLock_LOCK12(t *testing.T) {
	locked := given(lockedBy(ownerTM, false)...).client().Lock
	hidden := locked
	hidden.HideNotification = true
	pending := given(by(ownerTM, lockRequested(false))).client().Lock
	deniedManager := locked
	deniedManager.Deny = []domain.Party{{UserID: ownerTM.UserID}}
	deniedManager.HideNotification = true
	for _, tc := range []struct {
		name     string
		lock     domain.Lock
		a        domain.Actor
		involved bool
		want     domain.LockView
	}{
		{"NotLockedInvolved", domain.Lock{}, thirdAdviser, true, domain.LockSeen},
		{"NotLockedUninvolved", domain.Lock{}, thirdAdviser, false, domain.LockUnseen},
		{"PendingOtherOrganisationInvolved", pending, otherSM, true, domain.LockSeen},
		{"PendingUninvolved", pending, otherSM, false, domain.LockUnseen},
		{"LockedOutInvolved", locked, referrerAdviser, true, domain.LockToldLocked},
		{"LockedOutUninvolved", locked, thirdAdviser, false, domain.LockUnseen},
		{"HiddenLockedOutInvolved", hidden, referrerAdviser, true, domain.LockUnseen},
		{"HiddenOtherOrganisationManager", hidden, otherSM, true, domain.LockUnseen},
		{"HiddenResponsible", hidden, receiverAdviser, true, domain.LockSeen},
		{"HiddenOwnerTeamManager", hidden, ownerTM, true, domain.LockSeen},
		{"HiddenOwnerServiceManager", hidden, ownerSM, true, domain.LockSeen},
		{"HiddenDeniedOwnerManager", deniedManager, ownerTM, true, domain.LockUnseen},
		{"HiddenHelpdesk", hidden, receiverHelpdesk, true, domain.LockUnseen},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := domain.ViewLock(tc.lock, tc.a, tc.involved, now); got != tc.want {
				t.Fatalf("ViewLock = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestApprovalKeepsItsReason_LOCK1_LOCK6: the reason a service manager
// gives when approving a lock or an unlock request is recorded with the
// approval (it was accepted and dropped), under the client's id so that
// it is sealed as client data; blank, it is left out; too long, it is
// refused naming the field, and nothing is decided.
func TestApprovalKeepsItsReason_LOCK1_LOCK6(t *testing.T) {
	pending := given(by(ownerTM, lockRequested(false))).client()
	when(domain.DecideLock(pending, ownerSM, lockRequestID, true, "Agreed with the LADO", staffOf(receiverAdviser))).
		then(t, &domain.LockApproved{RequestID: lockRequestID, ClientID: clientID, Reason: "Agreed with the LADO"})
	when(domain.DecideLock(pending, ownerSM, lockRequestID, true, "  ", staffOf(receiverAdviser))).
		then(t, &domain.LockApproved{RequestID: lockRequestID, ClientID: clientID})
	long := strings.Repeat("x", domain.MaxLongText+1)
	when(domain.DecideLock(pending, ownerSM, lockRequestID, true, long, staffOf(receiverAdviser))).thenError(t, domain.Invalid, "reason")

	locked := given(append(lockedBy(ownerTM, false), unlockAskedBy(ownerTM))...).client()
	when(domain.DecideUnlock(locked, ownerSM, unlockRequestID, true, "Review complete")).
		then(t, &domain.UnlockApproved{RequestID: unlockRequestID, ClientID: clientID, Reason: "Review complete"})
	when(domain.DecideUnlock(locked, ownerSM, unlockRequestID, true, long)).thenError(t, domain.Invalid, "reason")
}
