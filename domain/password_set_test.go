package domain_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// TestSetPassword_AUTH6_AUTH7: the org lead sets a one-time password for
// a user of their own organisation, the coordinator for anyone's and alone
// for an account holding a network role, void grants included (R-AUTH-7);
// nobody for themselves or for a closed account. The event is the one an
// operator's reset records: the hash, flagged for change at the next
// sign-in (R-AUTH-6).
func TestSetPassword_AUTH6_AUTH7(t *testing.T) {
	org := given(append(receiverOrg(), by(coordinator, userAdded(receiverSupport)),
		by(receiverLead, userAdded(receiverVoidSupport)))...).organisation()
	set := func(a domain.Actor) []domain.Event {
		return []domain.Event{&domain.OrganisationPasswordChanged{UserID: a.UserID, PasswordHash: "$argon2id$one-time",
			PasswordChangeRequired: true}}
	}
	tests := []struct {
		name  string
		actor domain.Actor
		user  uuid.UUID
		code  domain.Code
	}{
		{name: "OK", actor: receiverLead, user: receiverAdviser.UserID},
		{name: "OKByCoordinator", actor: coordinator, user: receiverAdviser.UserID},
		{name: "OKCoordinatorForNetworkRole", actor: coordinator, user: receiverSupport.UserID},
		{name: "OKCoordinatorForVoidNetworkRole", actor: coordinator, user: receiverVoidSupport.UserID},
		{name: "ErrLeadForNetworkRole", actor: receiverLead, user: receiverSupport.UserID, code: domain.Forbidden},
		{name: "ErrLeadForVoidNetworkRole", actor: receiverLead, user: receiverVoidSupport.UserID, code: domain.Forbidden},
		{name: "ErrLeadOfAnotherOrganisation", actor: referrerLead, user: receiverAdviser.UserID, code: domain.Forbidden},
		{name: "ErrAdviser", actor: receiverColleague, user: receiverAdviser.UserID, code: domain.Forbidden},
		{name: "ErrOwnPassword", actor: receiverLead, user: receiverLead.UserID, code: domain.Forbidden},
		{name: "ErrClosedAccount", actor: receiverLead, user: receiverLeaver.UserID, code: domain.Conflict},
		{name: "ErrUnknownUser", actor: receiverLead, user: id("user nobody"), code: domain.NotFound},
		{name: "ErrUserOfAnotherOrganisation", actor: receiverLead, user: referrerAdviser.UserID, code: domain.NotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := when(domain.DecideSetPassword(org, tt.actor, tt.user, "$argon2id$one-time"))
			if tt.code != "" {
				got.thenError(t, tt.code)
				return
			}
			got.then(t, set(domain.Actor{UserID: tt.user})...)
		})
	}
	t.Run("ErrUnknownOrganisation", func(t *testing.T) {
		when(domain.DecideSetPassword(domain.Organisation{}, coordinator, receiverAdviser.UserID, "$argon2id$one-time")).
			thenError(t, domain.NotFound)
	})
	t.Run("ChangeRequiredUntilTheUserChangesIt", func(t *testing.T) {
		events, err := domain.DecideSetPassword(org, receiverLead, receiverAdviser.UserID, "$argon2id$one-time")
		if err != nil {
			t.Fatal(err)
		}
		then := domain.EvolveOrganisation(org, domain.Recorded{Event: events[0], Revision: org.Revision + 1})
		if u := then.Users[receiverAdviser.UserID]; !u.PasswordChangeRequired || u.PasswordHash != "$argon2id$one-time" {
			t.Fatalf("after the lead set a password: %+v", u)
		}
		events, _ = domain.DecideChangePassword(then, receiverAdviser.UserID, "$argon2id$own")
		then = domain.EvolveOrganisation(then, domain.Recorded{Event: events[0], Revision: then.Revision + 1})
		if then.Users[receiverAdviser.UserID].PasswordChangeRequired {
			t.Fatal("the flag outlived the user's own change")
		}
	})
}
