package domain_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

func ptr[T any](v T) *T { return &v }

// TestRegisterOrganisation_ORG1 covers R-ORG-1: only the coordinator
// registers organisations, once each.
func TestRegisterOrganisation_ORG1(t *testing.T) {
	cmd := func() domain.RegisterOrganisation {
		return domain.RegisterOrganisation{OrganisationID: thirdOrgID, Name: "Third Advice",
			Description: "Housing", AdminEmail: "intake@third.example.org"}
	}
	tests := []struct {
		name   string
		state  []domain.Event
		actor  domain.Actor
		edit   func(*domain.RegisterOrganisation)
		code   domain.Code
		fields []string
	}{
		{name: "OK", actor: coordinator},
		{name: "ErrOrgLead", actor: receiverLead, code: domain.Forbidden},
		{name: "ErrAdviser", actor: receiverAdviser, code: domain.Forbidden},
		{name: "ErrAuditor", actor: thirdAuditor, code: domain.Forbidden},
		{name: "ErrAlreadyRegistered", state: []domain.Event{registered(thirdOrgID, "Third")}, actor: coordinator,
			code: domain.Conflict},
		{name: "ErrNoName", actor: coordinator, edit: func(c *domain.RegisterOrganisation) { c.Name = "" },
			code: domain.Invalid, fields: []string{"name"}},
		{name: "ErrAdminEmail", actor: coordinator, edit: func(c *domain.RegisterOrganisation) { c.AdminEmail = "Intake <x@y.org>" },
			code: domain.Invalid, fields: []string{"admin_email"}},
		{name: "ErrNoAdminEmail", actor: coordinator, edit: func(c *domain.RegisterOrganisation) { c.AdminEmail = "" },
			code: domain.Invalid, fields: []string{"admin_email"}},
		{name: "ErrServiceWithoutName", actor: coordinator,
			edit: func(c *domain.RegisterOrganisation) { c.Services = []domain.Service{{Name: "Debt"}, {}} },
			code: domain.Invalid, fields: []string{"services[1].name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cmd()
			if tt.edit != nil {
				tt.edit(&c)
			}
			got := when(domain.DecideRegisterOrganisation(given(tt.state...).organisation(), tt.actor, c))
			if tt.code != "" {
				got.thenError(t, tt.code, tt.fields...)
				return
			}
			got.then(t, &domain.OrganisationRegistered{OrganisationID: thirdOrgID, Name: "Third Advice",
				Description: "Housing", AdminEmail: "intake@third.example.org", Services: []domain.Service{}})
		})
	}
}

// TestUpdateOrganisation_ORG1 covers R-ORG-1: the organisation's lead, or the
// coordinator, keeps its directory entry and admin contact current; an
// update that changes nothing records nothing.
func TestUpdateOrganisation_ORG1(t *testing.T) {
	org := given(receiverOrg()...).organisation()
	services := []domain.Service{{Name: "Debt advice"}, {Name: "Benefits", Description: "Appeals"}}
	tests := []struct {
		name   string
		org    domain.Organisation
		actor  domain.Actor
		cmd    domain.UpdateOrganisation
		want   []domain.Event
		code   domain.Code
		fields []string
	}{
		{name: "OKDirectoryByLead", org: org, actor: receiverLead, cmd: domain.UpdateOrganisation{Name: ptr("Receiver Advice Centre")},
			want: []domain.Event{&domain.OrganisationDirectoryUpdated{Name: "Receiver Advice Centre", Description: "Advice",
				Services: org.Services}}},
		{name: "OKServicesByCoordinator", org: org, actor: coordinator, cmd: domain.UpdateOrganisation{Services: &services},
			want: []domain.Event{&domain.OrganisationDirectoryUpdated{Name: "Receiver Advice", Description: "Advice",
				Services: services}}},
		{name: "OKAdminEmail", org: org, actor: receiverLead, cmd: domain.UpdateOrganisation{AdminEmail: ptr("new@example.org")},
			want: []domain.Event{&domain.OrganisationAdminContactChanged{AdminEmail: "new@example.org"}}},
		{name: "OKBoth", org: org, actor: receiverLead,
			cmd: domain.UpdateOrganisation{Description: ptr("Money"), AdminEmail: ptr("new@example.org")},
			want: []domain.Event{
				&domain.OrganisationDirectoryUpdated{Name: "Receiver Advice", Description: "Money", Services: org.Services},
				&domain.OrganisationAdminContactChanged{AdminEmail: "new@example.org"}}},
		{name: "OKNoChangeRecordsNothing", org: org, actor: receiverLead,
			cmd: domain.UpdateOrganisation{Name: ptr(org.Name), Description: ptr(org.Description),
				Services: &[]domain.Service{{Name: "Debt advice"}}, AdminEmail: ptr(org.AdminEmail)}},
		{name: "OKEmptyUpdateRecordsNothing", org: org, actor: coordinator},
		{name: "ErrLeadOfAnotherOrganisation", org: org, actor: referrerLead,
			cmd: domain.UpdateOrganisation{Name: ptr("Mine now")}, code: domain.Forbidden},
		{name: "ErrAdviser", org: org, actor: receiverAdviser, cmd: domain.UpdateOrganisation{Name: ptr("X")}, code: domain.Forbidden},
		{name: "ErrUnknownOrganisation", actor: coordinator, cmd: domain.UpdateOrganisation{Name: ptr("X")}, code: domain.NotFound},
		{name: "ErrAdminEmail", org: org, actor: receiverLead, cmd: domain.UpdateOrganisation{AdminEmail: ptr("nobody")},
			code: domain.Invalid, fields: []string{"admin_email"}},
		{name: "ErrAdminEmailRemoved", org: org, actor: receiverLead, cmd: domain.UpdateOrganisation{AdminEmail: ptr("")},
			code: domain.Invalid, fields: []string{"admin_email"}},
		{name: "ErrNameRemoved", org: org, actor: receiverLead, cmd: domain.UpdateOrganisation{Name: ptr(" ")},
			code: domain.Invalid, fields: []string{"name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := when(domain.DecideUpdateOrganisation(tt.org, tt.actor, tt.cmd))
			if tt.code != "" {
				got.thenError(t, tt.code, tt.fields...)
				return
			}
			got.then(t, tt.want...)
		})
	}
}

// TestSetIntake_ORG2 covers R-ORG-2: only the organisation's lead switches
// its intake; off needs a reason and takes an optional resume date after
// today (Europe/London); asking for the state in force records nothing.
func TestSetIntake_ORG2(t *testing.T) {
	on := receiverOrg()
	off := receiverOrg(&domain.OrganisationIntakeSwitchedOff{Reason: "Staff shortage"})
	offUntil := receiverOrg(&domain.OrganisationIntakeSwitchedOff{Reason: "Staff shortage", ResumeOn: "2025-06-20"})
	justAfterMidnight := time.Date(2025, time.June, 30, 23, 30, 0, 0, time.UTC) // 1 July 00:30 BST
	tests := []struct {
		name   string
		state  []domain.Event
		actor  domain.Actor
		cmd    domain.SetIntake
		at     time.Time
		want   []domain.Event
		code   domain.Code
		fields []string
	}{
		{name: "OKOff", state: on, actor: receiverLead, cmd: domain.SetIntake{Reason: "Staff shortage"},
			want: []domain.Event{&domain.OrganisationIntakeSwitchedOff{Reason: "Staff shortage"}}},
		{name: "OKOffUntilTomorrow", state: on, actor: receiverLead, cmd: domain.SetIntake{Reason: "Training day", ResumeOn: "2025-06-11"},
			want: []domain.Event{&domain.OrganisationIntakeSwitchedOff{Reason: "Training day", ResumeOn: "2025-06-11"}}},
		{name: "OKOn", state: off, actor: receiverLead, cmd: domain.SetIntake{Accepting: true, Reason: "Back to full staff"},
			want: []domain.Event{&domain.OrganisationIntakeSwitchedOn{Reason: "Back to full staff"}}},
		{name: "OKOnWithoutReason", state: offUntil, actor: receiverLead, cmd: domain.SetIntake{Accepting: true},
			want: []domain.Event{&domain.OrganisationIntakeSwitchedOn{}}},
		{name: "OKNewResumeDate", state: offUntil, actor: receiverLead, cmd: domain.SetIntake{Reason: "Staff shortage", ResumeOn: "2025-06-27"},
			want: []domain.Event{&domain.OrganisationIntakeSwitchedOff{Reason: "Staff shortage", ResumeOn: "2025-06-27"}}},
		{name: "OKOnWhenOnRecordsNothing", state: on, actor: receiverLead, cmd: domain.SetIntake{Accepting: true}},
		{name: "OKOffWhenOffRecordsNothing", state: off, actor: receiverLead, cmd: domain.SetIntake{Reason: "Staff shortage"}},
		{name: "OKOffUntilWhenSoRecordsNothing", state: offUntil, actor: receiverLead,
			cmd: domain.SetIntake{Reason: "Staff shortage", ResumeOn: "2025-06-20"}},
		{name: "ErrOffWithoutReason", state: on, actor: receiverLead, cmd: domain.SetIntake{Reason: " "},
			code: domain.Invalid, fields: []string{"reason"}},
		{name: "ErrResumeToday", state: on, actor: receiverLead, cmd: domain.SetIntake{Reason: "Closed", ResumeOn: today},
			code: domain.Invalid, fields: []string{"resume_on"}},
		{name: "ErrResumeTodayInLondon", state: on, actor: receiverLead, at: justAfterMidnight,
			cmd:  domain.SetIntake{Reason: "Closed", ResumeOn: "2025-07-01"},
			code: domain.Invalid, fields: []string{"resume_on"}},
		{name: "ErrResumeInThePast", state: on, actor: receiverLead, cmd: domain.SetIntake{Reason: "Closed", ResumeOn: "2025-06-01"},
			code: domain.Invalid, fields: []string{"resume_on"}},
		{name: "ErrResumeMalformed", state: on, actor: receiverLead, cmd: domain.SetIntake{Reason: "Closed", ResumeOn: "next week"},
			code: domain.Invalid, fields: []string{"resume_on"}},
		{name: "ErrResumeWhenSwitchingOn", state: off, actor: receiverLead,
			cmd: domain.SetIntake{Accepting: true, ResumeOn: "2025-06-20"}, code: domain.Invalid, fields: []string{"resume_on"}},
		{name: "ErrCoordinator", state: on, actor: coordinator, cmd: domain.SetIntake{Reason: "Closed"}, code: domain.Forbidden},
		{name: "ErrAdviser", state: on, actor: receiverAdviser, cmd: domain.SetIntake{Reason: "Closed"}, code: domain.Forbidden},
		{name: "ErrLeadOfAnotherOrganisation", state: on, actor: referrerLead, cmd: domain.SetIntake{Reason: "Closed"},
			code: domain.Forbidden},
		{name: "ErrUnknownOrganisation", actor: receiverLead, cmd: domain.SetIntake{Reason: "Closed"}, code: domain.NotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := now
			if !tt.at.IsZero() {
				at = tt.at
			}
			got := when(domain.DecideSetIntake(given(tt.state...).organisation(), tt.actor, tt.cmd, at))
			if tt.code != "" {
				got.thenError(t, tt.code, tt.fields...)
				return
			}
			got.then(t, tt.want...)
		})
	}

	t.Run("AcceptingOn", func(t *testing.T) {
		o := given(offUntil...).organisation()
		for day, want := range map[string]bool{"2025-06-19": false, "2025-06-20": true, "2025-06-21": true} {
			if got := o.AcceptingOn(day); got != want {
				t.Errorf("off until 2025-06-20: AcceptingOn(%s) = %v, want %v", day, got, want)
			}
		}
		if given(off...).organisation().AcceptingOn("2099-01-01") {
			t.Error("off without a resume date accepts referrals")
		}
	})
}

// TestAddUser_ORG3 covers R-ORG-3: the organisation's lead (or the
// coordinator) adds users; only the coordinator grants network roles
// (R-AUTH-7).
func TestAddUser_ORG3_AUTH7(t *testing.T) {
	org := given(receiverOrg()...).organisation()
	newUser := id("user new")
	cmd := func(roles ...domain.Role) domain.AddUser {
		return domain.AddUser{UserID: newUser, Username: "New.User", DisplayName: "New User",
			Email: "new@example.org", Roles: roles, Team: "Debt", PasswordHash: "$argon2id$new"}
	}
	added := func(roles ...domain.Role) *domain.OrganisationUserAdded {
		return &domain.OrganisationUserAdded{UserID: newUser, Username: "new.user", DisplayName: "New User",
			Email: "new@example.org", Roles: roles, Team: "Debt", PasswordHash: "$argon2id$new"}
	}
	tests := []struct {
		name   string
		org    domain.Organisation
		actor  domain.Actor
		cmd    domain.AddUser
		want   []domain.Event
		code   domain.Code
		fields []string
	}{
		{name: "OKAdviserByLead", org: org, actor: receiverLead, cmd: cmd(domain.RoleAdviser),
			want: []domain.Event{added(domain.RoleAdviser)}},
		{name: "OKRolesSortedOnce", org: org, actor: receiverLead,
			cmd:  cmd(domain.RoleTeamManager, domain.RoleAdviser, domain.RoleTeamManager),
			want: []domain.Event{added(domain.RoleAdviser, domain.RoleTeamManager)}},
		{name: "OKAuditorByCoordinator", org: org, actor: coordinator, cmd: cmd(domain.RoleAuditor),
			want: []domain.Event{added(domain.RoleAuditor)}},
		{name: "OKCoordinatorByCoordinator", org: org, actor: coordinator, cmd: cmd(domain.RoleCoordinator),
			want: []domain.Event{added(domain.RoleCoordinator)}},
		{name: "OKSystemSupportByCoordinator", org: org, actor: coordinator, cmd: cmd(domain.RoleSystemSupport),
			want: []domain.Event{added(domain.RoleSystemSupport)}},
		// R-AUTH-7: network roles only from the coordinator, 403 naming roles.
		{name: "ErrLeadGrantsCoordinator", org: org, actor: receiverLead, cmd: cmd(domain.RoleCoordinator),
			code: domain.Forbidden, fields: []string{"roles"}},
		{name: "ErrLeadGrantsAuditor", org: org, actor: receiverLead, cmd: cmd(domain.RoleAdviser, domain.RoleAuditor),
			code: domain.Forbidden, fields: []string{"roles"}},
		{name: "ErrLeadGrantsSystemSupport", org: org, actor: receiverLead, cmd: cmd(domain.RoleAdviser, domain.RoleSystemSupport),
			code: domain.Forbidden, fields: []string{"roles"}},
		{name: "ErrLeadGrantsEmergencyDuty", org: org, actor: receiverLead, cmd: cmd(domain.RoleEmergencyDuty),
			code: domain.Forbidden, fields: []string{"roles"}},
		{name: "ErrUnknownRole", org: org, actor: coordinator, cmd: cmd("superuser"),
			code: domain.Invalid, fields: []string{"roles[0]"}},
		{name: "ErrNoRoles", org: org, actor: receiverLead, cmd: cmd(), code: domain.Invalid, fields: []string{"roles"}},
		{name: "ErrUsernameAndEmail", org: org, actor: receiverLead,
			cmd:  func() domain.AddUser { c := cmd(domain.RoleAdviser); c.Username, c.Email = "no", "no"; return c }(),
			code: domain.Invalid, fields: []string{"username", "email"}},
		{name: "ErrUserIDTaken", org: org, actor: receiverLead,
			cmd:  func() domain.AddUser { c := cmd(domain.RoleAdviser); c.UserID = receiverAdviser.UserID; return c }(),
			code: domain.Conflict},
		{name: "ErrAdviser", org: org, actor: receiverAdviser, cmd: cmd(domain.RoleAdviser), code: domain.Forbidden},
		{name: "ErrLeadOfAnotherOrganisation", org: org, actor: referrerLead, cmd: cmd(domain.RoleAdviser),
			code: domain.Forbidden},
		{name: "ErrUnknownOrganisation", actor: coordinator, cmd: cmd(domain.RoleAdviser), code: domain.NotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := when(domain.DecideAddUser(tt.org, tt.actor, tt.cmd))
			if tt.code != "" {
				got.thenError(t, tt.code, tt.fields...)
				return
			}
			got.then(t, tt.want...)
		})
	}
}

// receiverSupport holds system support granted by the coordinator;
// receiverVoidSupport holds it as recorded by the org lead before R-AUTH-7.
var (
	receiverSupport     = actor("receiver support", receiverOrgID, domain.RoleSystemSupport)
	receiverVoidSupport = actor("receiver void support", receiverOrgID, domain.RoleAdviser, domain.RoleSystemSupport)
)

// TestCloseAccount_ORG3 covers R-ORG-3: the lead (or coordinator) closes
// accounts for good; closing again records nothing. R-AUTH-7: only the
// coordinator closes an account holding a network role.
func TestCloseAccount_ORG3_AUTH7(t *testing.T) {
	org := given(receiverOrg()...).organisation()
	tests := []struct {
		name  string
		actor domain.Actor
		user  uuid.UUID
		want  []domain.Event
		code  domain.Code
	}{
		{name: "OK", actor: receiverLead, user: receiverAdviser.UserID,
			want: []domain.Event{&domain.OrganisationAccountClosed{UserID: receiverAdviser.UserID}}},
		{name: "OKByCoordinator", actor: coordinator, user: receiverAdviser.UserID,
			want: []domain.Event{&domain.OrganisationAccountClosed{UserID: receiverAdviser.UserID}}},
		{name: "OKTwiceRecordsNothing", actor: receiverLead, user: receiverLeaver.UserID},
		{name: "ErrUnknownUser", actor: receiverLead, user: id("user nobody"), code: domain.NotFound},
		{name: "ErrUserOfAnotherOrganisation", actor: receiverLead, user: referrerAdviser.UserID, code: domain.NotFound},
		{name: "ErrAdviser", actor: receiverColleague, user: receiverAdviser.UserID, code: domain.Forbidden},
		{name: "ErrLeadOfAnotherOrganisation", actor: referrerLead, user: receiverAdviser.UserID, code: domain.Forbidden},
		// R-AUTH-7: an account holding a network role is the coordinator's
		// to close, void grants included.
		{name: "ErrLeadClosesNetworkRole", actor: receiverLead, user: receiverSupport.UserID, code: domain.Forbidden},
		{name: "ErrLeadClosesVoidNetworkRole", actor: receiverLead, user: receiverVoidSupport.UserID, code: domain.Forbidden},
		{name: "OKCoordinatorClosesNetworkRole", actor: coordinator, user: receiverSupport.UserID,
			want: []domain.Event{&domain.OrganisationAccountClosed{UserID: receiverSupport.UserID}}},
	}
	org = given(append(receiverOrg(), by(coordinator, userAdded(receiverSupport)),
		by(receiverLead, userAdded(receiverVoidSupport)))...).organisation()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := when(domain.DecideCloseAccount(org, tt.actor, tt.user))
			if tt.code != "" {
				got.thenError(t, tt.code)
				return
			}
			got.then(t, tt.want...)
		})
	}
	t.Run("ErrUnknownOrganisation", func(t *testing.T) {
		when(domain.DecideCloseAccount(domain.Organisation{}, coordinator, receiverAdviser.UserID)).
			thenError(t, domain.NotFound)
	})
	t.Run("ClosedInState", func(t *testing.T) {
		u := org.Users[receiverLeaver.UserID]
		if !u.Closed || !u.ClosedAt.Equal(t0.Add(5*time.Hour)) {
			t.Fatalf("leaver: Closed %v at %v", u.Closed, u.ClosedAt)
		}
	})
}

// TestChangePassword_ORG3 covers R-ORG-3: a closed account cannot act, not
// even to change its password.
func TestChangePassword_ORG3(t *testing.T) {
	org := given(receiverOrg()...).organisation()
	t.Run("OK", func(t *testing.T) {
		when(domain.DecideChangePassword(org, receiverAdviser.UserID, "$argon2id$new")).
			then(t, &domain.OrganisationPasswordChanged{UserID: receiverAdviser.UserID, PasswordHash: "$argon2id$new"})
	})
	t.Run("ErrClosedAccount", func(t *testing.T) {
		when(domain.DecideChangePassword(org, receiverLeaver.UserID, "$argon2id$new")).thenError(t, domain.Forbidden)
	})
	t.Run("ErrUnknownUser", func(t *testing.T) {
		when(domain.DecideChangePassword(org, id("user nobody"), "$argon2id$new")).thenError(t, domain.NotFound)
	})
	t.Run("ErrUnknownOrganisation", func(t *testing.T) {
		when(domain.DecideChangePassword(domain.Organisation{}, receiverAdviser.UserID, "$argon2id$new")).
			thenError(t, domain.NotFound)
	})
}

// TestPasswordChangeRequired_AUTH6 covers R-AUTH-6: a password someone
// else set is flagged until the user changes it, and the flag is recorded
// on the event that opened the account.
func TestPasswordChangeRequired_AUTH6(t *testing.T) {
	org := given(receiverOrg()...).organisation()
	newUser := id("user new")
	cmd := domain.AddUser{UserID: newUser, Username: "new.user", DisplayName: "New User",
		Email: "new@example.org", Roles: []domain.Role{domain.RoleAdviser}, PasswordHash: "$argon2id$set-by-lead",
		PasswordChangeRequired: true}
	events, err := domain.DecideAddUser(org, receiverLead, cmd)
	if err != nil {
		t.Fatal(err)
	}
	if added, ok := events[0].(*domain.OrganisationUserAdded); !ok || !added.PasswordChangeRequired {
		t.Fatalf("events = %#v, want a user-added event flagged password_change_required", events)
	}
	org = domain.EvolveOrganisation(org, domain.Recorded{Event: events[0], Revision: org.Revision + 1})
	if !org.Users[newUser].PasswordChangeRequired {
		t.Fatal("the new user's password is not flagged for change")
	}
	events, err = domain.DecideChangePassword(org, newUser, "$argon2id$own")
	if err != nil {
		t.Fatal(err)
	}
	org = domain.EvolveOrganisation(org, domain.Recorded{Event: events[0], Revision: org.Revision + 1})
	if org.Users[newUser].PasswordChangeRequired {
		t.Fatal("the flag outlived the user's own password change")
	}
}

// TestResetPassword_AUTH6: a password an operator resets is flagged for
// change until the user changes it (R-AUTH-6, issue 10 point 4).
func TestResetPassword_AUTH6(t *testing.T) {
	org := given(receiverOrg()...).organisation()
	t.Run("OK", func(t *testing.T) {
		events, err := domain.DecideResetPassword(org, receiverAdviser.UserID, "$argon2id$one-time")
		if err != nil {
			t.Fatal(err)
		}
		then := domain.EvolveOrganisation(org, domain.Recorded{Event: events[0], Revision: org.Revision + 1})
		if u := then.Users[receiverAdviser.UserID]; !u.PasswordChangeRequired || u.PasswordHash != "$argon2id$one-time" {
			t.Fatalf("after a reset: %+v", u)
		}
		events, _ = domain.DecideChangePassword(then, receiverAdviser.UserID, "$argon2id$own")
		then = domain.EvolveOrganisation(then, domain.Recorded{Event: events[0], Revision: then.Revision + 1})
		if then.Users[receiverAdviser.UserID].PasswordChangeRequired {
			t.Fatal("the flag outlived the user's own change")
		}
	})
	t.Run("ErrClosedAccount", func(t *testing.T) {
		when(domain.DecideResetPassword(org, receiverLeaver.UserID, "$argon2id$new")).thenError(t, domain.Forbidden)
	})
	t.Run("ErrUnknownUser", func(t *testing.T) {
		when(domain.DecideResetPassword(org, id("user nobody"), "$argon2id$new")).thenError(t, domain.NotFound)
	})
}
