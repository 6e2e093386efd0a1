package domain_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// TestLockAccess_LOCK2 proves the case-locking rule cell by cell: every role
// × every way of being named by the lock × lock state. The expectation is
// computed from the rule's statement (R-LOCK-2, R-LOCK-4), not from the
// code: helpdesk never; deny wins over everything; then responsible, allow
// list, live temporary grant, system support / emergency duty; else no.
func TestLockAccess_LOCK2(t *testing.T) {
	at := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	responsible, listed, granted, expired, ended, other := uuid.New(), uuid.New(), uuid.New(), uuid.New(), uuid.New(), uuid.New()
	owner := uuid.New() // teams are the owning organisation's (R-LOCK-11)
	lock := domain.Lock{
		Status: domain.LockLocked, ResponsibleUserID: responsible, OwningOrganisationID: owner,
		Allow: []domain.Party{{UserID: listed}, {Team: "allowed-team"}},
		Grants: []domain.TemporaryGrant{
			{ID: uuid.New(), UserID: granted, ExpiresAt: at.Add(time.Hour)},
			{ID: uuid.New(), UserID: expired, ExpiresAt: at},
			{ID: uuid.New(), UserID: ended, ExpiresAt: at.Add(time.Hour), Ended: true},
		},
	}
	type who struct {
		name  string
		user  uuid.UUID
		team  string
		grant domain.CaseGrant // what the rule grants when nothing denies
	}
	people := []who{
		{"responsible", responsible, "", domain.GrantResponsible},
		{"allowed user", listed, "", domain.GrantAllowedUser},
		{"allowed team", other, "allowed-team", domain.GrantAllowedTeam},
		{"temporary grant", granted, "", domain.GrantTemporary},
		{"expired grant", expired, "", ""},
		{"ended grant", ended, "", ""},
		{"nobody in particular", other, "other-team", ""},
	}
	denials := []struct {
		name string
		deny func(w who, r domain.Role) []domain.Party
	}{
		{"no deny list", func(who, domain.Role) []domain.Party { return nil }},
		{"user denied", func(w who, _ domain.Role) []domain.Party { return []domain.Party{{UserID: w.user}} }},
		{"team denied", func(w who, _ domain.Role) []domain.Party {
			if w.team == "" {
				return nil
			}
			return []domain.Party{{Team: w.team}}
		}},
		{"role refused", func(_ who, r domain.Role) []domain.Party {
			if r != domain.RoleSystemSupport && r != domain.RoleEmergencyDuty {
				return nil
			}
			return []domain.Party{{Role: r}}
		}},
	}
	for _, state := range []domain.LockStatus{domain.LockNone, domain.LockPending, domain.LockLocked} {
		for _, role := range domain.Roles() {
			for _, w := range people {
				for _, d := range denials {
					l := lock
					l.Status = state
					l.Deny = d.deny(w, role)
					a := domain.Actor{UserID: w.user, OrganisationID: owner, Roles: []domain.Role{role}, Team: w.team}
					name := fmt.Sprintf("%s/%s/%s/%s", state, role, w.name, d.name)
					t.Run(name, func(t *testing.T) {
						var want bool
						var wantGrant domain.CaseGrant
						switch {
						case state != domain.LockLocked:
							want, wantGrant = true, domain.GrantNotLocked
						case role == domain.RoleHelpdesk:
							want = false
						case len(l.Deny) > 0:
							want = false
						case w.grant != "":
							want, wantGrant = true, w.grant
						case role == domain.RoleSystemSupport || role == domain.RoleEmergencyDuty:
							want, wantGrant = true, domain.GrantAutomaticRole
						}
						grant, ok := domain.LockAccess(l, a, at)
						if ok != want || (ok && grant != wantGrant) {
							t.Fatalf("LockAccess = %q, %v; want %q, %v", grant, ok, wantGrant, want)
						}
					})
				}
			}
		}
	}
}

// TestLockLifecycle_LOCK1_LOCK6: request, approve, review, unlock request,
// serious case review blocking the unlock until completed.
func TestLockLifecycle_LOCK1_LOCK6(t *testing.T) {
	at := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	client := uuid.New()
	tm := domain.Actor{UserID: uuid.New(), OrganisationID: uuid.New(), Roles: []domain.Role{domain.RoleTeamManager}}
	responsible := domain.User{ID: uuid.New(), OrganisationID: tm.OrganisationID, Roles: []domain.Role{domain.RoleAdviser}}
	sm := domain.Actor{UserID: uuid.New(), OrganisationID: tm.OrganisationID, Roles: []domain.Role{domain.RoleServiceManager}}
	adviser := domain.Actor{UserID: uuid.New(), OrganisationID: tm.OrganisationID, Roles: []domain.Role{domain.RoleAdviser}}
	var c domain.ClientRecord
	rev := uint64(0)
	apply := func(tb testing.TB, by domain.Actor, evs []domain.Event, err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
		for _, e := range evs {
			c = domain.EvolveClient(c, domain.Recorded{Event: e, At: at, ActorUserID: by.UserID, ActorOrganisationID: by.OrganisationID, Revision: rev})
			rev++
		}
	}
	req := domain.RequestLock{RequestID: uuid.New(), ClientID: client, ResponsibleUserID: responsible.ID, Responsible: responsible, Reason: "related member of staff",
		Allow: []domain.Party{{Team: "duty"}}, SeriousCaseReview: true}
	if _, err := domain.DecideRequestLock(c, adviser, req); domain.ErrorCode(err) != domain.Forbidden {
		t.Fatalf("adviser requesting a lock: %v", err)
	}
	evs, err := domain.DecideRequestLock(c, tm, req)
	apply(t, tm, evs, err)
	if _, err := domain.DecideLock(c, tm, req.RequestID, true, "", responsible); domain.ErrorCode(err) != domain.Forbidden {
		t.Fatalf("team manager approving: %v", err)
	}
	evs, err = domain.DecideLock(c, sm, req.RequestID, true, "", responsible)
	apply(t, sm, evs, err)
	if c.Lock.Status != domain.LockLocked || !c.Lock.ReviewDue().Equal(at.AddDate(0, 1, 0)) {
		t.Fatalf("lock = %+v, review due %v", c.Lock, c.Lock.ReviewDue())
	}
	if !c.Lock.ReviewOverdue(at.AddDate(0, 1, 1)) || c.Lock.ReviewOverdue(at.AddDate(0, 0, 27)) {
		t.Fatal("review overdue flag wrong (R-LOCK-5)")
	}
	unlockID := uuid.New()
	evs, err = domain.DecideLockReview(c, tm, uuid.New(), unlockID, false, "no longer needed", nil)
	apply(t, tm, evs, err)
	if c.Lock.UnlockRequestID != unlockID {
		t.Fatal("a review deciding not to keep the lock asks for an unlock")
	}
	if _, err := domain.DecideUnlock(c, sm, unlockID, true, ""); domain.ErrorCode(err) != domain.Conflict {
		t.Fatalf("unlock during a serious case review: %v, want Conflict", err)
	}
	evs, err = domain.DecideCompleteSeriousCaseReview(c, sm)
	apply(t, sm, evs, err)
	evs, err = domain.DecideUnlock(c, sm, unlockID, true, "")
	apply(t, sm, evs, err)
	if c.Lock.Status != domain.LockNone {
		t.Fatalf("after unlock: %+v", c.Lock)
	}
}

// TestTemporaryAccess_LOCK4: at most 24 hours, by the responsible person,
// never to helpdesk or a denied user; it ends by itself at expiry.
func TestTemporaryAccess_LOCK4(t *testing.T) {
	at := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	responsible := domain.Actor{UserID: uuid.New(), Roles: []domain.Role{domain.RoleAdviser}}
	denied := domain.User{ID: uuid.New(), Roles: []domain.Role{domain.RoleAdviser}}
	c := domain.ClientRecord{ID: uuid.New(), Lock: domain.Lock{Status: domain.LockLocked, ResponsibleUserID: responsible.UserID,
		Deny: []domain.Party{{UserID: denied.ID}}}}
	grantee := domain.User{ID: uuid.New(), Roles: []domain.Role{domain.RoleAdviser}}
	helpdesk := domain.User{ID: uuid.New(), Roles: []domain.Role{domain.RoleHelpdesk}}
	for _, tc := range []struct {
		name  string
		actor domain.Actor
		cmd   domain.GrantTemporaryAccess
		code  domain.Code
	}{
		{"OK", responsible, domain.GrantTemporaryAccess{GrantID: uuid.New(), Grantee: grantee, Reason: "complaint", Hours: 24}, ""},
		{"ErrNotResponsible", grantee.Actor(), domain.GrantTemporaryAccess{Grantee: grantee, Reason: "x", Hours: 1}, domain.Forbidden},
		{"ErrOver24Hours", responsible, domain.GrantTemporaryAccess{Grantee: grantee, Reason: "x", Hours: 25}, domain.Invalid},
		{"ErrZeroHours", responsible, domain.GrantTemporaryAccess{Grantee: grantee, Reason: "x", Hours: 0}, domain.Invalid},
		{"ErrNoReason", responsible, domain.GrantTemporaryAccess{Grantee: grantee, Hours: 2}, domain.Invalid},
		{"ErrHelpdesk", responsible, domain.GrantTemporaryAccess{Grantee: helpdesk, Reason: "x", Hours: 2}, domain.Invalid},
		{"ErrDenied", responsible, domain.GrantTemporaryAccess{Grantee: denied, Reason: "x", Hours: 2}, domain.Invalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evs, err := domain.DecideTemporaryAccess(c, tc.actor, tc.cmd, at)
			if domain.ErrorCode(err) != tc.code {
				t.Fatalf("err = %v, want %q", err, tc.code)
			}
			if tc.code != "" {
				return
			}
			g := evs[0].(*domain.TemporaryAccessGranted)
			if !g.ExpiresAt.Equal(at.Add(24 * time.Hour)) {
				t.Fatalf("expires %v", g.ExpiresAt)
			}
			after := domain.EvolveClient(c, domain.Recorded{Event: g, At: at, ActorUserID: responsible.UserID})
			if _, ok := domain.LockAccess(after.Lock, grantee.Actor(), at.Add(23*time.Hour)); !ok {
				t.Fatal("grantee refused within the grant")
			}
			if _, ok := domain.LockAccess(after.Lock, grantee.Actor(), at.Add(24*time.Hour)); ok {
				t.Fatal("grantee let in at expiry: the grant must end by itself")
			}
		})
	}
}

// TestReviewDueAtTheEndOfAMonth_LOCK5: a lock's monthly review is due a
// calendar month after it was locked or last reviewed, in London's
// calendar and on its clock; from the 29th,
// 30th or 31st of a month followed by a shorter one, on that month's last
// day, never in the month after it, which would leave a month without a
// review.
func TestReviewDueAtTheEndOfAMonth_LOCK5(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct{ locked, reviewed, due string }{
		{"2027-01-31T10:00:00Z", "", "2027-02-28T10:00:00Z"},
		{"2028-01-30T10:00:00Z", "", "2028-02-29T10:00:00Z"},
		{"2027-01-15T10:00:00Z", "2027-03-31T16:30:00Z", "2027-04-30T16:30:00Z"},
		{"2027-08-31T23:59:59Z", "", "2027-09-30T23:59:59Z"},
		{"2027-12-31T09:00:00Z", "", "2028-01-31T09:00:00Z"},
		{"2027-02-28T09:00:00Z", "", "2027-03-28T08:00:00Z"}, // 09:00 in London, in summer time from that morning
		{"2026-12-14T09:00:00Z", "", "2027-01-14T09:00:00Z"},
		// Months as they go in London: 00:30 on 31 August (BST) is due
		// at 00:30 on 30 September, not on 1 October as UTC's 30 August
		// would give; 00:30 on 1 April (BST) is due on 1 May.
		{"2026-08-30T23:30:00Z", "", "2026-09-29T23:30:00Z"},
		{"2027-03-31T23:30:00Z", "", "2027-04-30T23:30:00Z"},
		// Across the clocks' change: 12:00 on 15 October (BST) is due at
		// 12:00 on 15 November (GMT), an hour later in UTC.
		{"2026-10-15T11:00:00Z", "", "2026-11-15T12:00:00Z"},
	} {
		l := domain.Lock{Status: domain.LockLocked, LockedAt: at(c.locked)}
		if c.reviewed != "" {
			l.LastReviewedAt = at(c.reviewed)
		}
		if got := l.ReviewDue(); !got.Equal(at(c.due)) {
			t.Errorf("locked %s, reviewed %q: review due %s, want %s", c.locked, c.reviewed, got.Format(time.RFC3339), c.due)
		}
	}
}
