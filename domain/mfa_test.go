package domain_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// TestResetMFA_Issue17: the org lead resets the second factor of their own
// organisation's users, the coordinator anyone's and alone that of an
// account holding a network role; the operator (no actor) anyone's; a
// user without one is left as they are.
func TestResetMFA_Issue17(t *testing.T) {
	enrolled := func(a domain.Actor) domain.Event {
		return &domain.OrganisationUserMFAEnrolled{UserID: a.UserID, Method: domain.MFAMethodTOTP}
	}
	org := given(append(receiverOrg(), by(coordinator, userAdded(receiverSupport)),
		enrolled(receiverAdviser), enrolled(receiverSupport))...).organisation()
	if !org.Users[receiverAdviser.UserID].MFAEnrolled || org.Users[receiverLead.UserID].MFAEnrolled {
		t.Fatal("the fold does not record who enrolled")
	}
	reset := func(a domain.Actor) []domain.Event {
		return []domain.Event{&domain.OrganisationUserMFAReset{UserID: a.UserID}}
	}
	when(domain.DecideResetMFA(org, receiverLead, receiverAdviser.UserID)).then(t, reset(receiverAdviser)...)
	when(domain.DecideResetMFA(org, coordinator, receiverSupport.UserID)).then(t, reset(receiverSupport)...)
	when(domain.DecideResetMFA(org, domain.Actor{}, receiverSupport.UserID)).then(t, reset(receiverSupport)...)
	when(domain.DecideResetMFA(org, receiverLead, receiverSupport.UserID)).thenError(t, domain.Forbidden)
	when(domain.DecideResetMFA(org, referrerLead, receiverAdviser.UserID)).thenError(t, domain.Forbidden)
	when(domain.DecideResetMFA(org, receiverAdviser, receiverAdviser.UserID)).thenError(t, domain.Forbidden)
	when(domain.DecideResetMFA(org, receiverLead, uuid.New())).thenError(t, domain.NotFound)
	when(domain.DecideResetMFA(org, coordinator, receiverLead.UserID)).then(t)

	after := given(append(receiverOrg(), enrolled(receiverAdviser), reset(receiverAdviser)[0])...).organisation()
	if after.Users[receiverAdviser.UserID].MFAEnrolled {
		t.Fatal("a reset user is still enrolled")
	}
}

// TestResetOwnMFARefused_Issue17: no lead or coordinator resets their own
// second factor, enrolled or not, as a session alone could then remove
// it; they replace it with their password or a current code. The
// operator's reset (no actor) still goes through.
func TestResetOwnMFARefused_Issue17(t *testing.T) {
	enrolled := func(a domain.Actor) domain.Event {
		return &domain.OrganisationUserMFAEnrolled{UserID: a.UserID, Method: domain.MFAMethodTOTP}
	}
	org := given(append(receiverOrg(), enrolled(receiverLead))...).organisation()
	when(domain.DecideResetMFA(org, receiverLead, receiverLead.UserID)).thenError(t, domain.Forbidden)
	network := given(registered(networkOrgID, "Network"), userAdded(coordinator), enrolled(coordinator)).organisation()
	when(domain.DecideResetMFA(network, coordinator, coordinator.UserID)).thenError(t, domain.Forbidden)
	when(domain.DecideResetMFA(network, domain.Actor{}, coordinator.UserID)).then(t,
		&domain.OrganisationUserMFAReset{UserID: coordinator.UserID})
	when(domain.DecideResetMFA(org, domain.Actor{}, receiverLead.UserID)).then(t,
		&domain.OrganisationUserMFAReset{UserID: receiverLead.UserID})
	notEnrolled := given(receiverOrg()...).organisation()
	when(domain.DecideResetMFA(notEnrolled, receiverLead, receiverLead.UserID)).thenError(t, domain.Forbidden)
}

// TestRequireMFA_Issue17: the org lead (or the coordinator) requires a
// second factor of the whole organisation; no one else; a change to what
// is already so records nothing. MFARequiredFor applies the roles and the
// organisation's requirement.
func TestRequireMFA_Issue17(t *testing.T) {
	org := given(receiverOrg()...).organisation()
	on := &domain.OrganisationMFARequirementChanged{Required: true}
	when(domain.DecideRequireMFA(org, receiverLead, true)).then(t, on)
	when(domain.DecideRequireMFA(org, coordinator, true)).then(t, on)
	when(domain.DecideRequireMFA(org, referrerLead, true)).thenError(t, domain.Forbidden)
	when(domain.DecideRequireMFA(org, receiverAdviser, true)).thenError(t, domain.Forbidden)
	when(domain.DecideRequireMFA(org, receiverLead, false)).then(t)
	required := given(append(receiverOrg(), on)...).organisation()
	if !required.MFARequired {
		t.Fatal("the fold does not record the requirement")
	}
	when(domain.DecideRequireMFA(required, receiverLead, true)).then(t)

	network := []domain.Role{domain.RoleCoordinator, domain.RoleAuditor}
	adviser := domain.User{Roles: []domain.Role{domain.RoleAdviser}}
	auditor := domain.User{Roles: []domain.Role{domain.RoleAuditor}}
	voidAuditor := domain.User{Roles: []domain.Role{domain.RoleAuditor}, VoidRoles: []domain.Role{domain.RoleAuditor}}
	for _, c := range []struct {
		name  string
		u     domain.User
		roles []domain.Role
		org   bool
		want  bool
	}{
		{"adviser", adviser, network, false, false},
		{"adviser in an organisation requiring it", adviser, network, true, true},
		{"auditor", auditor, network, false, true},
		{"auditor, no roles configured", auditor, nil, false, false},
		{"void auditor grant", voidAuditor, network, false, false},
	} {
		if got := domain.MFARequiredFor(c.u, c.roles, c.org); got != c.want {
			t.Errorf("%s: MFARequiredFor = %v, want %v", c.name, got, c.want)
		}
	}
}
