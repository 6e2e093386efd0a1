package domain_test

import (
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// marker is a bad value planted in requests; no error may repeat it, since
// values can be client data (R-PRIV-1) and messages reach users and logs.
const marker = "MARKER-xyz"

// TestValidation_NeverEchoesValues checks every validation path with a bad
// value: the error is Invalid, names the field, and quotes no value.
func TestValidation_NeverEchoesValues(t *testing.T) {
	receiver := given(receiverOrg()...).organisation()
	acked := given(ackedRef()...).referral()
	long := strings.Repeat(marker+" ", domain.MaxLongText/len(marker)+1)
	tests := []struct {
		name   string
		got    outcome
		fields []string
	}{
		{name: "ClientDetails", got: when(domain.DecideMakeReferral(referrerAdviser, receiver, func() domain.MakeReferral {
			c := makeCmd()
			c.Client = domain.Client{Name: marker + "\x00", DateOfBirth: marker, Phone: marker, Email: marker, Address: marker + "\x07"}
			c.Reason = long
			c.Consent.Method = marker
			return c
		}(), now)), fields: []string{"client.name", "client.date_of_birth", "client.phone", "client.email", "client.address",
			"reason", "consent.method"}},
		{name: "ClientEmail", got: when(domain.DecideMakeReferral(referrerAdviser, receiver, func() domain.MakeReferral {
			c := makeCmd()
			c.Client.Email = marker
			return c
		}(), now)), fields: []string{"client.email"}},
		{name: "OverrideReason", got: when(domain.DecideMakeReferral(referrerAdviser, receiver, func() domain.MakeReferral {
			c := makeCmd()
			c.Consent, c.SafeguardingOverride = nil, &domain.SafeguardingOverride{Reason: long}
			return c
		}(), now)), fields: []string{"safeguarding_override.reason"}},
		{name: "AgreedCloseBy", got: when(domain.DecideAddNote(acked, receiverAdviser,
			domain.AddNote{Text: long, AgreedCloseBy: marker}, now)), fields: []string{"text", "agreed_close_by"}},
		{name: "Outcome", got: when(domain.DecideClose(acked, receiverAdviser, marker, long)),
			fields: []string{"outcome", "comment"}},
		{name: "Feedback", got: when(domain.DecideDeclineUrgency(acked, receiverAdviser, long)),
			fields: []string{"feedback"}},
		{name: "RegisterOrganisation", got: when(domain.DecideRegisterOrganisation(domain.Organisation{}, coordinator,
			domain.RegisterOrganisation{Name: strings.Repeat(marker, 30), AdminEmail: marker,
				Services: []domain.Service{{Name: marker + "\n"}}})),
			fields: []string{"name", "admin_email", "services[0].name"}},
		{name: "AdminEmail", got: when(domain.DecideUpdateOrganisation(receiver, receiverLead,
			domain.UpdateOrganisation{AdminEmail: ptr(marker)})), fields: []string{"admin_email"}},
		{name: "ResumeOn", got: when(domain.DecideSetIntake(receiver, receiverLead,
			domain.SetIntake{Reason: long, ResumeOn: marker}, now)), fields: []string{"reason", "resume_on"}},
		{name: "AddUser", got: when(domain.DecideAddUser(receiver, receiverLead, domain.AddUser{
			UserID: id("user marker"), Username: marker + "!", DisplayName: marker + "\t", Email: marker,
			Roles: []domain.Role{marker}, Team: strings.Repeat(marker, 30)})),
			fields: []string{"username", "display_name", "email", "roles[0]", "team"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.got.thenError(t, domain.Invalid, tt.fields...)
			assertNoMarker(t, "Error()", tt.got.err.Error())
			assertNoMarker(t, "ErrorMessage", domain.ErrorMessage(tt.got.err))
			for _, f := range domain.ErrorFields(tt.got.err) {
				assertNoMarker(t, "field "+f.Field, f.Field+" "+f.Message)
			}
		})
	}
	t.Run("ValidateUsername", func(t *testing.T) {
		fe := domain.ValidateUsername("username", marker+" ")
		if fe == nil {
			t.Fatal("accepted a username with a space")
		}
		assertNoMarker(t, "field message", fe.Message)
	})
}

func assertNoMarker(tb testing.TB, what, s string) {
	tb.Helper()
	if strings.Contains(strings.ToLower(s), strings.ToLower(marker)) {
		tb.Errorf("%s echoes the value: %q", what, s)
	}
}
