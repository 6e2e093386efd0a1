package domain_test

import (
	"slices"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestUpdateUser_ORG3_AUTH7 covers R-ORG-3 and R-AUTH-7: the org lead (or
// the coordinator) edits an account's display name, email, roles and team;
// network roles are granted and removed only by the coordinator, who alone
// edits an account holding one.
func TestUpdateUser_ORG3_AUTH7(t *testing.T) {
	org := given(append(receiverOrg(), by(coordinator, userAdded(receiverSupport)),
		by(receiverLead, userAdded(receiverVoidSupport)))...).organisation()
	adviser := receiverAdviser.UserID
	roles := func(r ...domain.Role) *[]domain.Role { return &r }
	tests := []struct {
		name   string
		actor  domain.Actor
		cmd    domain.UpdateUser
		want   []domain.Event
		code   domain.Code
		fields []string
	}{
		{name: "OKDetailsByLead", actor: receiverLead,
			cmd: domain.UpdateUser{UserID: adviser, DisplayName: ptr("Ada Adviser"), Email: ptr("ada@example.org")},
			want: []domain.Event{&domain.OrganisationUserDetailsChanged{UserID: adviser, DisplayName: "Ada Adviser",
				Email: "ada@example.org"}}},
		{name: "OKRolesAndTeamByLead", actor: receiverLead,
			cmd: domain.UpdateUser{UserID: adviser, Roles: roles(domain.RoleTeamManager, domain.RoleAdviser), Team: ptr("Debt")},
			want: []domain.Event{&domain.OrganisationUserRolesChanged{UserID: adviser,
				Roles: []domain.Role{domain.RoleAdviser, domain.RoleTeamManager}, Team: "Debt"}}},
		{name: "OKBoth", actor: coordinator,
			cmd: domain.UpdateUser{UserID: adviser, Email: ptr("new@example.org"), Team: ptr("t1")},
			want: []domain.Event{
				&domain.OrganisationUserDetailsChanged{UserID: adviser, DisplayName: "A User", Email: "new@example.org"},
				&domain.OrganisationUserRolesChanged{UserID: adviser, Roles: []domain.Role{domain.RoleAdviser}, Team: "t1"}}},
		{name: "OKNothingChangedRecordsNothing", actor: receiverLead,
			cmd: domain.UpdateUser{UserID: adviser, DisplayName: ptr("A User"), Roles: roles(domain.RoleAdviser)}},
		{name: "OKCoordinatorGrantsSystemSupport", actor: coordinator,
			cmd: domain.UpdateUser{UserID: adviser, Roles: roles(domain.RoleAdviser, domain.RoleSystemSupport)},
			want: []domain.Event{&domain.OrganisationUserRolesChanged{UserID: adviser,
				Roles: []domain.Role{domain.RoleAdviser, domain.RoleSystemSupport}}}},
		{name: "OKCoordinatorRemovesSystemSupport", actor: coordinator,
			cmd: domain.UpdateUser{UserID: receiverSupport.UserID, Roles: roles(domain.RoleAdviser)},
			want: []domain.Event{&domain.OrganisationUserRolesChanged{UserID: receiverSupport.UserID,
				Roles: []domain.Role{domain.RoleAdviser}}}},
		// The coordinator naming a network role already recorded records it
		// again: that is the grant that makes an org lead's void one count.
		{name: "OKCoordinatorConfirmsVoidGrant", actor: coordinator,
			cmd: domain.UpdateUser{UserID: receiverVoidSupport.UserID, Roles: roles(domain.RoleAdviser, domain.RoleSystemSupport)},
			want: []domain.Event{&domain.OrganisationUserRolesChanged{UserID: receiverVoidSupport.UserID,
				Roles: []domain.Role{domain.RoleAdviser, domain.RoleSystemSupport}}}},
		{name: "ErrLeadGrantsSystemSupport", actor: receiverLead,
			cmd:  domain.UpdateUser{UserID: adviser, Roles: roles(domain.RoleAdviser, domain.RoleSystemSupport)},
			code: domain.Forbidden, fields: []string{"roles"}},
		{name: "ErrLeadGrantsAuditor", actor: receiverLead,
			cmd:  domain.UpdateUser{UserID: adviser, Roles: roles(domain.RoleAuditor)},
			code: domain.Forbidden, fields: []string{"roles"}},
		{name: "ErrLeadEditsNetworkAccount", actor: receiverLead,
			cmd: domain.UpdateUser{UserID: receiverSupport.UserID, DisplayName: ptr("x")}, code: domain.Forbidden},
		{name: "ErrLeadRemovesVoidNetworkRole", actor: receiverLead,
			cmd: domain.UpdateUser{UserID: receiverVoidSupport.UserID, Roles: roles(domain.RoleAdviser)}, code: domain.Forbidden},
		{name: "ErrAdviser", actor: receiverColleague,
			cmd: domain.UpdateUser{UserID: adviser, DisplayName: ptr("x")}, code: domain.Forbidden},
		{name: "ErrLeadOfAnotherOrganisation", actor: referrerLead,
			cmd: domain.UpdateUser{UserID: adviser, DisplayName: ptr("x")}, code: domain.Forbidden},
		{name: "ErrUnknownUser", actor: receiverLead,
			cmd: domain.UpdateUser{UserID: id("user nobody"), DisplayName: ptr("x")}, code: domain.NotFound},
		{name: "ErrClosedAccount", actor: receiverLead,
			cmd: domain.UpdateUser{UserID: receiverLeaver.UserID, DisplayName: ptr("x")}, code: domain.Conflict},
		{name: "ErrFields", actor: receiverLead,
			cmd:  domain.UpdateUser{UserID: adviser, DisplayName: ptr(""), Email: ptr("no"), Roles: roles("superuser")},
			code: domain.Invalid, fields: []string{"display_name", "email", "roles[0]"}},
		{name: "ErrNoRoles", actor: receiverLead,
			cmd: domain.UpdateUser{UserID: adviser, Roles: roles()}, code: domain.Invalid, fields: []string{"roles"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := when(domain.DecideUpdateUser(org, tt.actor, tt.cmd))
			if tt.code != "" {
				got.thenError(t, tt.code, tt.fields...)
				return
			}
			got.then(t, tt.want...)
		})
	}
	t.Run("ErrUnknownOrganisation", func(t *testing.T) {
		when(domain.DecideUpdateUser(domain.Organisation{}, coordinator, domain.UpdateUser{UserID: adviser})).
			thenError(t, domain.NotFound)
	})
	t.Run("ErrCoordinatorRemovesOwnCoordinatorRole", func(t *testing.T) {
		network := given(registered(networkOrgID, "Network"), userAdded(coordinator)).organisation()
		when(domain.DecideUpdateUser(network, coordinator, domain.UpdateUser{UserID: coordinator.UserID,
			Roles: roles(domain.RoleOrgLead)})).thenError(t, domain.Invalid, "roles")
	})
	t.Run("EvolvedState", func(t *testing.T) {
		h := given(append(receiverOrg(),
			&domain.OrganisationUserDetailsChanged{UserID: adviser, DisplayName: "Ada", Email: "ada@example.org"},
			&domain.OrganisationUserRolesChanged{UserID: adviser, Roles: []domain.Role{domain.RoleTeamManager}, Team: "t1"})...)
		u := h.organisation().Users[adviser]
		if u.DisplayName != "Ada" || u.Email != "ada@example.org" || !slices.Equal(u.Roles, []domain.Role{domain.RoleTeamManager}) || u.Team != "t1" {
			t.Fatalf("user after edits: %+v", u)
		}
	})
}

// TestVoidNetworkRoles_AUTH7 covers R-AUTH-7: a network role recorded
// without the coordinator's authority stays in the account's roles, as
// history, and grants nothing: the actor built for a request lacks it.
func TestVoidNetworkRoles_AUTH7(t *testing.T) {
	roles := []domain.Role{domain.RoleAdviser, domain.RoleEmergencyDuty, domain.RoleSystemSupport}
	if v := domain.VoidNetworkRoles(roles, true); len(v) != 0 {
		t.Errorf("granted by the coordinator, void %v", v)
	}
	void := domain.VoidNetworkRoles(roles, false)
	if !slices.Equal(void, []domain.Role{domain.RoleEmergencyDuty, domain.RoleSystemSupport}) {
		t.Errorf("granted by an org lead, void %v", void)
	}
	u := domain.User{Roles: roles, VoidRoles: void}
	a := u.Actor()
	if a.HasAny(domain.RoleSystemSupport, domain.RoleEmergencyDuty) || !a.Has(domain.RoleAdviser) {
		t.Errorf("actor roles %v, want adviser only", a.Roles)
	}
	if !slices.Equal(u.Roles, roles) {
		t.Errorf("recorded roles changed: %v", u.Roles)
	}
	for _, r := range domain.Roles() {
		want := r == domain.RoleCoordinator || r == domain.RoleAuditor || r == domain.RoleSystemSupport || r == domain.RoleEmergencyDuty
		if r.Network() != want {
			t.Errorf("%s.Network() = %v", r, !want)
		}
	}
	edited := domain.EvolveUser(u, domain.Recorded{Event: &domain.OrganisationUserRolesChanged{Roles: roles}})
	if edited.VoidRoles != nil {
		t.Errorf("a role change keeps old void marks %v", edited.VoidRoles)
	}
}

// TestOrganisationName_ORG1 covers R-ORG-1: organisation names are unique
// ignoring case and spacing; a name is held until its organisation takes
// another.
func TestOrganisationName_ORG1(t *testing.T) {
	for _, n := range []string{"Acme Advice", "ACME  advice", " acme\tAdvice ", "AcmeAdvice"} {
		if got := domain.NormaliseOrganisationName(n); got != "acmeadvice" {
			t.Errorf("NormaliseOrganisationName(%q) = %q", n, got)
		}
	}
	name := func(events ...domain.Event) domain.OrganisationName {
		var n domain.OrganisationName
		for _, rec := range given(events...) {
			n = domain.EvolveOrganisationName(n, rec)
		}
		return n
	}
	held := &domain.OrganisationNameReserved{OrganisationID: receiverOrgID}
	t.Run("OK", func(t *testing.T) {
		when(domain.DecideReserveOrganisationName(name(), referrerOrgID)).
			then(t, &domain.OrganisationNameReserved{OrganisationID: referrerOrgID})
	})
	t.Run("OKSameOrganisationRecordsNothing", func(t *testing.T) {
		when(domain.DecideReserveOrganisationName(name(held), receiverOrgID)).then(t)
	})
	t.Run("ErrTaken", func(t *testing.T) {
		when(domain.DecideReserveOrganisationName(name(held), referrerOrgID)).thenError(t, domain.Conflict, "name")
	})
	t.Run("OKAfterRelease", func(t *testing.T) {
		released := name(held, &domain.OrganisationNameReleased{OrganisationID: receiverOrgID})
		when(domain.DecideReserveOrganisationName(released, referrerOrgID)).
			then(t, &domain.OrganisationNameReserved{OrganisationID: referrerOrgID})
	})
	t.Run("ReleaseByHolderOnly", func(t *testing.T) {
		when(domain.DecideReleaseOrganisationName(name(held), referrerOrgID)).then(t)
		when(domain.DecideReleaseOrganisationName(name(held), receiverOrgID)).
			then(t, &domain.OrganisationNameReleased{OrganisationID: receiverOrgID})
	})
}
