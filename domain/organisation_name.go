package domain

import (
	"strings"
	"unicode"

	"github.com/google/uuid"
)

// The organisation-name event types: one complete list
// (OrganisationNameEventTypes). Each name, as NormaliseOrganisationName
// gives it, has its own stream, so two organisations racing for one name
// cannot both win (R-ORG-1).
const (
	OrganisationNameReservedType = "organisation_name.reserved"
	OrganisationNameReleasedType = "organisation_name.released"
)

// OrganisationNameEventTypes lists every organisation-name event type.
func OrganisationNameEventTypes() []string {
	return []string{OrganisationNameReservedType, OrganisationNameReleasedType}
}

func newOrganisationNameEvent(t string) (Event, bool) {
	switch t {
	case OrganisationNameReservedType:
		return &OrganisationNameReserved{}, true
	case OrganisationNameReleasedType:
		return &OrganisationNameReleased{}, true
	}
	return nil, false
}

// OrganisationNameReserved claims a name for an organisation.
type OrganisationNameReserved struct {
	OrganisationID uuid.UUID `json:"organisation_id"`
}

// OrganisationNameReleased gives a name up after its organisation took
// another.
type OrganisationNameReleased struct {
	OrganisationID uuid.UUID `json:"organisation_id"`
}

// EventType implements Event.
func (*OrganisationNameReserved) EventType() string { return OrganisationNameReservedType }

// EventType implements Event.
func (*OrganisationNameReleased) EventType() string { return OrganisationNameReleasedType }

// NormaliseOrganisationName returns the form organisation names are
// compared in: names are unique regardless of case and spacing (R-ORG-1),
// so "Acme Advice" and "ACME  advice" or "AcmeAdvice" are one name.
func NormaliseOrganisationName(name string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, name)
}

// OrganisationName is the state of one name's reservation.
type OrganisationName struct {
	Reserved       bool
	OrganisationID uuid.UUID
}

// EvolveOrganisationName applies a recorded event.
func EvolveOrganisationName(n OrganisationName, rec Recorded) OrganisationName {
	switch e := rec.Event.(type) {
	case *OrganisationNameReserved:
		n.Reserved, n.OrganisationID = true, e.OrganisationID
	case *OrganisationNameReleased:
		if n.OrganisationID == e.OrganisationID {
			n.Reserved, n.OrganisationID = false, uuid.Nil
		}
	}
	return n
}

// errNameTaken is the answer for a name another organisation holds.
var errNameTaken = &Error{Code: Conflict, Message: "another organisation already has this name",
	Fields: []FieldError{{Field: "name", Message: "is already the name of another organisation (ignoring case and spacing)"}}}

// ErrOrganisationNameTaken returns the Conflict naming the field name that
// a name held by another organisation gets (R-ORG-1).
func ErrOrganisationNameTaken() error { return errNameTaken }

// DecideReserveOrganisationName claims the name for organisationID.
// Reserving it again for the same organisation (a retried request) records
// nothing. Errors: Conflict, naming the field name, when another
// organisation holds it (R-ORG-1).
func DecideReserveOrganisationName(n OrganisationName, organisationID uuid.UUID) ([]Event, error) {
	if n.Reserved {
		if n.OrganisationID == organisationID {
			return nil, nil
		}
		return nil, errNameTaken
	}
	return []Event{&OrganisationNameReserved{OrganisationID: organisationID}}, nil
}

// DecideReleaseOrganisationName gives the name up if organisationID holds
// it; otherwise it records nothing.
func DecideReleaseOrganisationName(n OrganisationName, organisationID uuid.UUID) ([]Event, error) {
	if !n.Reserved || n.OrganisationID != organisationID {
		return nil, nil
	}
	return []Event{&OrganisationNameReleased{OrganisationID: organisationID}}, nil
}
