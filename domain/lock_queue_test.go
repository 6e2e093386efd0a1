package domain_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// TestAwaitsDecisionBy_LOCK10: a pending lock or unlock request waits for a
// service manager of the owning organisation who did not make it, whom the
// lock does not deny; nobody else (R-LOCK-6, R-LOCK-10).
func TestAwaitsDecisionBy_LOCK10(t *testing.T) {
	owner, other := uuid.New(), uuid.New()
	requester, sm, deniedSM := uuid.New(), uuid.New(), uuid.New()
	lockReq, unlockReq := uuid.New(), uuid.New()
	pending := domain.Lock{Status: domain.LockPending, RequestID: lockReq, RequestedBy: requester, OwningOrganisationID: owner,
		Deny: []domain.Party{{UserID: deniedSM}}}
	unlocking := domain.Lock{Status: domain.LockLocked, RequestID: lockReq, RequestedBy: requester, OwningOrganisationID: owner,
		UnlockRequestID: unlockReq, UnlockRequestedBy: sm}
	locked := domain.Lock{Status: domain.LockLocked, RequestID: lockReq, RequestedBy: requester, OwningOrganisationID: owner}
	actor := func(id, org uuid.UUID, roles ...domain.Role) domain.Actor {
		return domain.Actor{UserID: id, OrganisationID: org, Roles: roles}
	}
	for _, tc := range []struct {
		name        string
		lock        domain.Lock
		actor       domain.Actor
		want        uuid.UUID
		wantUnlock  bool
		wantPending bool
	}{
		{"service manager of the owner", pending, actor(sm, owner, domain.RoleServiceManager), lockReq, false, true},
		{"service manager who asked", pending, actor(requester, owner, domain.RoleServiceManager, domain.RoleTeamManager), uuid.Nil, false, false},
		{"service manager elsewhere", pending, actor(sm, other, domain.RoleServiceManager), uuid.Nil, false, false},
		{"denied service manager", pending, actor(deniedSM, owner, domain.RoleServiceManager), uuid.Nil, false, false},
		{"team manager of the owner", pending, actor(sm, owner, domain.RoleTeamManager), uuid.Nil, false, false},
		{"coordinator", pending, actor(sm, owner, domain.RoleCoordinator), uuid.Nil, false, false},
		{"unlock, another service manager", unlocking, actor(uuid.New(), owner, domain.RoleServiceManager), unlockReq, true, true},
		{"unlock, the one who asked", unlocking, actor(sm, owner, domain.RoleServiceManager), uuid.Nil, false, false},
		{"locked, nothing pending", locked, actor(sm, owner, domain.RoleServiceManager), uuid.Nil, false, false},
		{"no lock", domain.Lock{}, actor(sm, owner, domain.RoleServiceManager), uuid.Nil, false, false},
	} {
		id, unlock, ok := tc.lock.AwaitsDecisionBy(tc.actor)
		if id != tc.want || unlock != tc.wantUnlock || ok != tc.wantPending {
			t.Errorf("%s: got %v %v %v, want %v %v %v", tc.name, id, unlock, ok, tc.want, tc.wantUnlock, tc.wantPending)
		}
	}
}

// TestReviewableBy_LOCK10: only a team manager of the owning organisation,
// not denied, reviews a locked case or asks to unlock it (R-LOCK-5).
func TestReviewableBy_LOCK10(t *testing.T) {
	owner, tm, denied := uuid.New(), uuid.New(), uuid.New()
	l := domain.Lock{Status: domain.LockLocked, OwningOrganisationID: owner, Deny: []domain.Party{{UserID: denied}}}
	cases := []struct {
		a    domain.Actor
		l    domain.Lock
		want bool
	}{
		{domain.Actor{UserID: tm, OrganisationID: owner, Roles: []domain.Role{domain.RoleTeamManager}}, l, true},
		{domain.Actor{UserID: denied, OrganisationID: owner, Roles: []domain.Role{domain.RoleTeamManager}}, l, false},
		{domain.Actor{UserID: tm, OrganisationID: uuid.New(), Roles: []domain.Role{domain.RoleTeamManager}}, l, false},
		{domain.Actor{UserID: tm, OrganisationID: owner, Roles: []domain.Role{domain.RoleServiceManager}}, l, false},
		{domain.Actor{UserID: tm, OrganisationID: owner, Roles: []domain.Role{domain.RoleTeamManager}}, domain.Lock{Status: domain.LockPending, OwningOrganisationID: owner}, false},
	}
	for i, c := range cases {
		if got := c.l.ReviewableBy(c.a); got != c.want {
			t.Errorf("case %d: ReviewableBy = %v, want %v", i, got, c.want)
		}
	}
}
