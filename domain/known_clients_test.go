package domain

import (
	"testing"

	"github.com/google/uuid"
)

func TestNormaliseDateOfBirth_REF14(t *testing.T) {
	for in, want := range map[string]string{" 1980-02-29 ": "1980-02-29", "1980-02-29": "1980-02-29", "29/02/1980": "29/02/1980"} {
		if got := NormaliseDateOfBirth(in); got != want {
			t.Errorf("NormaliseDateOfBirth(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestValidateClientSearch_REF14: advisers and org leads search; both
// fields are required and each error names its field.
func TestValidateClientSearch_REF14(t *testing.T) {
	org := uuid.New()
	adviser := Actor{UserID: uuid.New(), OrganisationID: org, Roles: []Role{RoleAdviser}}
	lead := Actor{UserID: uuid.New(), OrganisationID: org, Roles: []Role{RoleOrgLead}}
	ok := ClientSearch{Name: "Jo Bloggs", DateOfBirth: "1980-02-29"}
	for _, a := range []Actor{adviser, lead} {
		if err := ValidateClientSearch(a, ok); err != nil {
			t.Errorf("%v: %v", a.Roles, err)
		}
	}
	for _, r := range []Role{RoleCoordinator, RoleAuditor, RoleTeamManager, RoleServiceManager, RoleHelpdesk, RoleSystemSupport, RoleEmergencyDuty} {
		if err := ValidateClientSearch(Actor{OrganisationID: org, Roles: []Role{r}}, ok); ErrorCode(err) != Forbidden {
			t.Errorf("%s: %v, want Forbidden", r, err)
		}
	}
	for _, tc := range []struct {
		q     ClientSearch
		field string
	}{
		{ClientSearch{DateOfBirth: "1980-02-29"}, "name"},
		{ClientSearch{Name: " ", DateOfBirth: "1980-02-29"}, "name"},
		{ClientSearch{Name: "Jo\x00", DateOfBirth: "1980-02-29"}, "name"},
		{ClientSearch{Name: "Jo Bloggs"}, "date_of_birth"},
		{ClientSearch{Name: "Jo Bloggs", DateOfBirth: "1980-2-29"}, "date_of_birth"},
		{ClientSearch{Name: "Jo Bloggs", DateOfBirth: "1981-02-29"}, "date_of_birth"},
	} {
		err := ValidateClientSearch(adviser, tc.q)
		e, _ := err.(*Error)
		if e == nil || e.Code != Invalid || len(e.Fields) != 1 || e.Fields[0].Field != tc.field {
			t.Errorf("%+v: %v, want Invalid naming %s", tc.q, err, tc.field)
		}
	}
}
