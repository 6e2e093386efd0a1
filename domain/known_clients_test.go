package domain

import (
	"testing"

	"github.com/google/uuid"
)

// TestNormaliseClientName_REF14: the known clients index compares names
// whatever their case, spacing and accents, and nothing else.
func TestNormaliseClientName_REF14(t *testing.T) {
	same := []struct{ a, b string }{
		{"Zoë O'Brien", "zoe o'brien"},       // accent, case
		{"  Zoe   O'Brien\t", "zoe o'brien"}, // leading, trailing and repeated spaces, tab
		{"ZOË\u00a0O'BRIEN", "zoe o'brien"},  // no-break space
		{"Zoe\u0308 O'Brien", "zoe o'brien"}, // a combining diaeresis, not precomposed
		{"Ångström-Núñez", "angstrom-nunez"}, // several accents
		{"Łukasz", "łukasz"},                 // case of a letter with no decomposition
		{"Straße", "STRASSE"},                // full case folding
		{"Ｊｏ Ｂｌｏｇｇｓ", "jo bloggs"},           // fullwidth letters (compatibility)
		{"İlker", "ilker"},                   // dotted capital I
		{"Ça\u0301\u0327 va", "ca va"},       // stacked marks
	}
	for _, tc := range same {
		if a, b := NormaliseClientName(tc.a), NormaliseClientName(tc.b); a != b {
			t.Errorf("%q → %q and %q → %q: want the same", tc.a, a, tc.b, b)
		}
	}
	different := []struct{ a, b string }{
		{"Zoe OBrien", "Zoe O'Brien"},
		{"Jo Bloggs", "Joe Bloggs"},
		{"Jo Bloggs", "Bloggs Jo"},
		{"Jo Bloggs", "JoBloggs"},
		{"Łukasz", "Lukasz"}, // Ł is a letter, not L with a mark
	}
	for _, tc := range different {
		if a, b := NormaliseClientName(tc.a), NormaliseClientName(tc.b); a == b {
			t.Errorf("%q and %q both normalise to %q: want them apart", tc.a, tc.b, a)
		}
	}
	if got := NormaliseClientName("  Zoë   O'BRIEN "); got != "zoe o'brien" {
		t.Errorf("normalised form = %q, want %q", got, "zoe o'brien")
	}
}

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
