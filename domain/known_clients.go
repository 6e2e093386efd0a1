package domain

import "strings"

// ClientSearch asks for the clients the caller's organisation already
// referred with this name and date of birth (R-REF-14).
type ClientSearch struct {
	Name        string
	DateOfBirth string
}

// ValidateClientSearch checks a search: both fields are required, the name
// as a referral's client name, the date of birth as a date. The messages
// name the field and never quote the value. Errors: Forbidden (only
// advisers and org leads search), Invalid.
func ValidateClientSearch(actor Actor, q ClientSearch) error {
	if !actor.HasAny(RoleAdviser, RoleOrgLead) {
		return Errorf(Forbidden, "only advisers and org leads can look for a client their organisation already referred")
	}
	var f fieldErrors
	f.text("name", q.Name, true, MaxShortText)
	if q.DateOfBirth == "" {
		f.add("date_of_birth", "is required")
	} else {
		f.date("date_of_birth", q.DateOfBirth)
	}
	return f.err()
}

// NormaliseDateOfBirth is the form of a date of birth the known clients
// index compares: YYYY-MM-DD, or the trimmed text when it is not a date.
func NormaliseDateOfBirth(dob string) string {
	dob = strings.TrimSpace(dob)
	var f fieldErrors
	if d, ok := f.date("date_of_birth", dob); ok {
		return d.Format(DateLayout)
	}
	return dob
}
