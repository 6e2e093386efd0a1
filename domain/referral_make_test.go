package domain_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// TestMakeReferral_REF1 covers R-REF-1: a referral goes from the actor's
// organisation to another, for one client, with a reason and an urgency flag.
func TestMakeReferral_REF1(t *testing.T) {
	receiver := given(receiverOrg()...).organisation()
	tests := []struct {
		name     string
		actor    domain.Actor
		receiver domain.Organisation
		edit     func(*domain.MakeReferral)
		want     []domain.Event
		code     domain.Code
		fields   []string
	}{
		{name: "OK", actor: referrerAdviser, receiver: receiver, want: []domain.Event{made(true)}},
		{name: "OKNotUrgent", actor: referrerAdviser, receiver: receiver,
			edit: func(c *domain.MakeReferral) { c.Urgent = false }, want: []domain.Event{made(false)}},
		{name: "OKByOrgLead", actor: referrerLead, receiver: receiver, want: []domain.Event{made(true)}},
		{name: "OKExistingClientWithoutName", actor: referrerAdviser, receiver: receiver,
			edit: func(c *domain.MakeReferral) { c.ExistingClient, c.Client = true, domain.Client{} },
			want: []domain.Event{func() domain.Event { e := made(true); e.Client = domain.Client{}; return e }()}},
		{name: "ErrOwnOrganisation", actor: receiverAdviser, receiver: receiver,
			code: domain.Invalid, fields: []string{"to_organisation_id"}},
		{name: "ErrUnknownReceiver", actor: referrerAdviser, receiver: domain.Organisation{},
			code: domain.Invalid, fields: []string{"to_organisation_id"}},
		{name: "ErrReceiverStateOfAnotherOrganisation", actor: referrerAdviser,
			receiver: given(registered(thirdOrgID, "Third")).organisation(),
			code:     domain.Invalid, fields: []string{"to_organisation_id"}},
		{name: "ErrCoordinatingBody", actor: referrerAdviser,
			receiver: given(registered(domain.CoordinatingBodyID, "Network Lead")).organisation(),
			edit:     func(c *domain.MakeReferral) { c.ToOrganisationID = domain.CoordinatingBodyID },
			code:     domain.Invalid, fields: []string{"to_organisation_id"}},
		{name: "ErrNoReceiver", actor: referrerAdviser, receiver: receiver,
			edit: func(c *domain.MakeReferral) { c.ToOrganisationID = uuid.Nil },
			code: domain.Invalid, fields: []string{"to_organisation_id"}},
		{name: "ErrNoReason", actor: referrerAdviser, receiver: receiver,
			edit: func(c *domain.MakeReferral) { c.Reason = "  \n" },
			code: domain.Invalid, fields: []string{"reason"}},
		{name: "ErrNewClientWithoutName", actor: referrerAdviser, receiver: receiver,
			edit: func(c *domain.MakeReferral) { c.Client.Name = "" },
			code: domain.Invalid, fields: []string{"client.name"}},
		{name: "ErrClientDetails", actor: referrerAdviser, receiver: receiver,
			edit: func(c *domain.MakeReferral) {
				c.Client.Email, c.Client.Phone, c.Client.DateOfBirth = "not-an-address", "call me", "2025-06-11"
			},
			code: domain.Invalid, fields: []string{"client.email", "client.phone", "client.date_of_birth"}},
		{name: "ErrEveryFaultListed", actor: referrerAdviser, receiver: receiver,
			edit: func(c *domain.MakeReferral) { c.Reason, c.Consent, c.PrivacyNoticeGiven = "", nil, false },
			code: domain.Invalid, fields: []string{"reason", "consent", "privacy_notice_given"}},
		{name: "ErrAuditor", actor: thirdAuditor, receiver: receiver, code: domain.Forbidden},
		{name: "ErrHelpdesk", actor: actor("referrer helpdesk", referrerOrgID, domain.RoleHelpdesk),
			receiver: receiver, code: domain.Forbidden},
		{name: "ErrCoordinator", actor: coordinator, receiver: receiver, code: domain.Forbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := makeCmd()
			if tt.edit != nil {
				tt.edit(&cmd)
			}
			got := when(domain.DecideMakeReferral(tt.actor, tt.receiver, cmd, now))
			if tt.code != "" {
				got.thenError(t, tt.code, tt.fields...)
				return
			}
			got.then(t, tt.want...)
		})
	}
}

// TestMakeReferral_REF1_DateOfBirthInLondon: a client born today (Europe/London)
// is not born in the future, even in the first hour of a BST day when the
// UTC date is still yesterday.
func TestMakeReferral_REF1_DateOfBirthInLondon(t *testing.T) {
	receiver := given(receiverOrg()...).organisation()
	justAfterMidnight := time.Date(2025, time.June, 30, 23, 30, 0, 0, time.UTC) // 1 July 00:30 BST
	for _, tt := range []struct {
		name, dob string
		ok        bool
	}{
		{"OKBornToday", "2025-07-01", true},
		{"OKBornYesterday", "2025-06-30", true},
		{"ErrBornTomorrow", "2025-07-02", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cmd := makeCmd()
			cmd.Client.DateOfBirth = tt.dob
			got := when(domain.DecideMakeReferral(referrerAdviser, receiver, cmd, justAfterMidnight))
			if !tt.ok {
				got.thenError(t, domain.Invalid, "client.date_of_birth")
				return
			}
			want := made(true)
			want.Client.DateOfBirth = tt.dob
			got.then(t, want)
		})
	}
}

// TestMakeReferral_REF2 covers R-REF-2: consent is confirmed with its method,
// or the referral shares under a recorded safeguarding override with its
// reason; anything else is refused.
func TestMakeReferral_REF2(t *testing.T) {
	receiver := given(receiverOrg()...).organisation()
	override := &domain.SafeguardingOverride{Reason: "Risk of significant harm to a child"}
	tests := []struct {
		name     string
		consent  *domain.Consent
		override *domain.SafeguardingOverride
		fields   []string // nil: accepted
	}{
		{name: "OKWritten", consent: &domain.Consent{Method: domain.ConsentWritten, Confirmed: true}},
		{name: "OKVerbal", consent: &domain.Consent{Method: domain.ConsentVerbal, Confirmed: true}},
		{name: "ErrNotConfirmed", consent: &domain.Consent{Method: domain.ConsentVerbal},
			fields: []string{"consent.confirmed"}},
		{name: "ErrMethodOther", consent: &domain.Consent{Method: "other", Confirmed: true},
			fields: []string{"consent.method"}},
		{name: "ErrMethodMissing", consent: &domain.Consent{Confirmed: true},
			fields: []string{"consent.method"}},
		{name: "ErrNoConsent", fields: []string{"consent"}},
		{name: "OKSafeguardingOverride", override: override},
		{name: "ErrOverrideWithoutReason", override: &domain.SafeguardingOverride{Reason: " "},
			fields: []string{"safeguarding_override.reason"}},
		{name: "ErrConsentAndOverride", consent: &domain.Consent{Method: domain.ConsentWritten, Confirmed: true},
			override: override, fields: []string{"safeguarding_override"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := makeCmd()
			cmd.Consent, cmd.SafeguardingOverride = tt.consent, tt.override
			got := when(domain.DecideMakeReferral(referrerAdviser, receiver, cmd, now))
			if tt.fields != nil {
				got.thenError(t, domain.Invalid, tt.fields...)
				return
			}
			want := made(true)
			want.Consent, want.SafeguardingOverride, want.SharedWithoutConsent = tt.consent, tt.override, tt.override != nil
			got.then(t, want)
		})
	}

	t.Run("OverrideReasonRecorded", func(t *testing.T) {
		cmd := makeCmd()
		cmd.Consent, cmd.SafeguardingOverride = nil, override
		events, err := domain.DecideMakeReferral(referrerAdviser, receiver, cmd, now)
		if err != nil {
			t.Fatal(err)
		}
		r := given(events...).referral()
		if r.SafeguardingOverride == nil || r.SafeguardingOverride.Reason != override.Reason || r.Consent != nil {
			t.Fatalf("state records override %+v and consent %+v", r.SafeguardingOverride, r.Consent)
		}
	})
}

// TestMakeReferral_REF3 covers R-REF-3: the referrer confirms the client was
// told where to find the privacy notice.
func TestMakeReferral_REF3(t *testing.T) {
	receiver := given(receiverOrg()...).organisation()
	t.Run("OK", func(t *testing.T) {
		when(domain.DecideMakeReferral(referrerAdviser, receiver, makeCmd(), now)).then(t, made(true))
	})
	t.Run("ErrPrivacyNoticeNotGiven", func(t *testing.T) {
		cmd := makeCmd()
		cmd.PrivacyNoticeGiven = false
		when(domain.DecideMakeReferral(referrerAdviser, receiver, cmd, now)).
			thenError(t, domain.Invalid, "privacy_notice_given")
	})
}

// TestMakeReferral_REF4 covers R-REF-4: a receiver whose intake is off
// refuses referrals with an error naming that status, until its resume date
// (a Europe/London date) comes.
func TestMakeReferral_REF4(t *testing.T) {
	off := func(resumeOn string) domain.Event {
		return &domain.OrganisationIntakeSwitchedOff{Reason: "Staff shortage", ResumeOn: resumeOn}
	}
	justAfterMidnight := time.Date(2025, time.June, 30, 23, 30, 0, 0, time.UTC) // 1 July 00:30 BST
	tests := []struct {
		name     string
		receiver []domain.Event
		at       time.Time
		accepted bool
	}{
		{name: "OKIntakeOn", receiver: receiverOrg(), at: now, accepted: true},
		{name: "ErrIntakeOff", receiver: receiverOrg(off("")), at: now},
		{name: "ErrIntakeOffResumeTomorrow", receiver: receiverOrg(off("2025-06-11")), at: now},
		{name: "OKResumeDatePassed", receiver: receiverOrg(off("2025-06-09")), at: now, accepted: true},
		{name: "OKResumeDateToday", receiver: receiverOrg(off(today)), at: now, accepted: true},
		{name: "OKResumeDateTodayInLondon", receiver: receiverOrg(off("2025-07-01")), at: justAfterMidnight, accepted: true},
		{name: "OKSwitchedBackOn", receiver: receiverOrg(off(""), &domain.OrganisationIntakeSwitchedOn{}), at: now, accepted: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			receiver := given(tt.receiver...).organisation()
			got := when(domain.DecideMakeReferral(referrerAdviser, receiver, makeCmd(), tt.at))
			if tt.accepted {
				got.then(t, made(true))
				return
			}
			got.thenErrorSays(t, domain.Conflict, "not accepting referrals")
		})
	}
	t.Run("ErrInvalidBeforeIntake", func(t *testing.T) {
		// A malformed request hears about its fields, whatever the receiver's intake.
		cmd := makeCmd()
		cmd.PrivacyNoticeGiven = false
		receiver := given(receiverOrg(off(""))...).organisation()
		when(domain.DecideMakeReferral(referrerAdviser, receiver, cmd, now)).
			thenError(t, domain.Invalid, "privacy_notice_given")
	})
}

// TestMakeReferral_REF14_DetailsOnRecordNotCheckedAgain: referred again by
// client id alone, the details copied from the client's last referral were
// checked when it was made and are not checked again, so details kept
// before a rule was tightened (a phone of a lone +) do not refuse it; the
// same details sent by the caller are checked.
func TestMakeReferral_REF14_DetailsOnRecordNotCheckedAgain(t *testing.T) {
	receiver := given(receiverOrg()...).organisation()
	now := time.Date(2025, time.July, 1, 12, 0, 0, 0, time.UTC)
	cmd := makeCmd()
	cmd.ExistingClient, cmd.ClientOnRecord = true, true
	cmd.Client.Phone = "+"
	if _, err := domain.DecideMakeReferral(referrerAdviser, receiver, cmd, now); err != nil {
		t.Fatalf("details on record: %v", err)
	}
	cmd.ClientOnRecord = false
	when(domain.DecideMakeReferral(referrerAdviser, receiver, cmd, now)).thenError(t, domain.Invalid, "client.phone")
}
