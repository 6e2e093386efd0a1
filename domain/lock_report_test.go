package domain_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// TestAccessNow_LOCK7_LOCK2: the locked-cases report lists the access a
// case grants now as LockAccess decides it for each person (R-LOCK-7,
// R-LOCK-2): nobody it lists as let in is refused, whatever the lists or
// grants say: an allowed user or grantee who is helpdesk staff now, moved
// into a team the deny list refuses, whose account is closed or unknown,
// is left out; so is the responsible person if the lock refuses them now,
// and a team the deny list refuses whole.
func TestAccessNow_LOCK7_LOCK2(t *testing.T) {
	at := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	team := func(a domain.Actor, name string) domain.Actor { a.Team = name; return a }
	allowed := team(receiverColleague, "housing")
	nowHelpdesk := actor("allowed, helpdesk since", receiverOrgID, domain.RoleAdviser, domain.RoleHelpdesk)
	movedIntoDenied := team(actor("allowed, moved into a denied team", receiverOrgID, domain.RoleAdviser), "family")
	closedUser := actor("allowed, account closed since", receiverOrgID, domain.RoleAdviser)
	unknown := id("user never known")
	grantee := team(thirdAdviser, "outreach")
	granteeHelpdesk := actor("grantee, helpdesk since", thirdOrgID, domain.RoleHelpdesk)
	granteeDenied := team(actor("grantee, moved into a denied team", receiverOrgID, domain.RoleAdviser), "family")
	expired := actor("grantee, expired", thirdOrgID, domain.RoleAdviser)
	directory := map[uuid.UUID]domain.User{}
	for _, a := range []domain.Actor{receiverAdviser, allowed, nowHelpdesk, movedIntoDenied, closedUser, grantee, granteeHelpdesk, granteeDenied, expired} {
		directory[a.UserID] = staffOf(a)
	}
	c := directory[closedUser.UserID]
	c.Closed = true
	directory[closedUser.UserID] = c
	people := func(id uuid.UUID) (domain.User, bool) { u, ok := directory[id]; return u, ok }

	l := domain.Lock{Status: domain.LockLocked, ResponsibleUserID: receiverAdviser.UserID, OwningOrganisationID: receiverOrgID,
		Allow: []domain.Party{{UserID: allowed.UserID}, {UserID: nowHelpdesk.UserID}, {UserID: movedIntoDenied.UserID},
			{UserID: closedUser.UserID}, {UserID: unknown}, {Team: "duty"}, {Team: "family"}},
		Deny: []domain.Party{{Team: "family"}, {Role: domain.RoleEmergencyDuty}},
		Grants: []domain.TemporaryGrant{
			{ID: id("g1"), UserID: grantee.UserID, ExpiresAt: at.Add(time.Hour)},
			{ID: id("g2"), UserID: granteeHelpdesk.UserID, ExpiresAt: at.Add(time.Hour)},
			{ID: id("g3"), UserID: granteeDenied.UserID, ExpiresAt: at.Add(time.Hour)},
			{ID: id("g4"), UserID: expired.UserID, ExpiresAt: at},
		}}
	got := l.AccessNow(people, at)
	want := []domain.AccessEntry{
		{Kind: "responsible", UserID: receiverAdviser.UserID},
		{Kind: "allowed_user", UserID: allowed.UserID},
		{Kind: "allowed_team", Team: "duty", TeamOrganisationID: receiverOrgID},
		{Kind: "temporary", UserID: grantee.UserID, ExpiresAt: at.Add(time.Hour)},
		{Kind: "automatic_role", Role: domain.RoleSystemSupport},
		{Kind: "denied_team", Team: "family", TeamOrganisationID: receiverOrgID},
		{Kind: "denied_role", Role: domain.RoleEmergencyDuty},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("access now:\n got %+v\nwant %+v", got, want)
	}
	// Everyone listed by name gets in, as the reads decide it.
	for _, e := range got {
		if e.UserID != uuid.Nil && e.Kind != "denied_user" {
			if _, in := domain.LockAccess(l, directory[e.UserID].Actor(), at); !in {
				t.Errorf("%s %s is listed and refused", e.Kind, e.UserID)
			}
		}
	}

	// The responsible person given the helpdesk role is refused, so not listed.
	r := directory[receiverAdviser.UserID]
	r.Roles = append(slices.Clone(r.Roles), domain.RoleHelpdesk)
	directory[receiverAdviser.UserID] = r
	if got := l.AccessNow(people, at); got[0].Kind == "responsible" {
		t.Errorf("a responsible person the lock refuses is listed: %+v", got[0])
	}
	if got := (domain.Lock{}).AccessNow(people, at); got != nil {
		t.Errorf("an unlocked case lists access: %+v", got)
	}
}
