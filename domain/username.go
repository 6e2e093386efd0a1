package domain

import (
	"strconv"

	"github.com/google/uuid"
)

// The username event types: a username claimed for one user, network-wide
// (R-AUTH-1), and a claim given up because the account it was for was
// never recorded.
const (
	UsernameReservedType = "username.reserved"
	UsernameReleasedType = "username.released"
)

// UsernameEventTypes lists every username event type.
func UsernameEventTypes() []string { return []string{UsernameReservedType, UsernameReleasedType} }

func newUsernameEvent(t string) (Event, bool) {
	switch t {
	case UsernameReservedType:
		return &UsernameReserved{}, true
	case UsernameReleasedType:
		return &UsernameReleased{}, true
	}
	return nil, false
}

// UsernameReserved claims a username for a user. Each username has its own
// stream, so two organisations racing for one name cannot both win: the
// second append finds the stream exists.
type UsernameReserved struct {
	UserID         uuid.UUID `json:"user_id"`
	OrganisationID uuid.UUID `json:"organisation_id"`
}

// EventType implements Event.
func (*UsernameReserved) EventType() string { return UsernameReservedType }

// UsernameReleased gives up the reservation of a username for a user whose
// account was never recorded (the write of the account failed after the
// name was reserved), so that the name can be given again. A name of an
// account that was opened is never released, not even once the account is
// closed.
type UsernameReleased struct {
	UserID uuid.UUID `json:"user_id"`
}

// EventType implements Event.
func (*UsernameReleased) EventType() string { return UsernameReleasedType }

// Username is the state of one username's reservation.
type Username struct {
	Reserved       bool
	UserID         uuid.UUID
	OrganisationID uuid.UUID
}

// EvolveUsername applies a recorded event.
func EvolveUsername(u Username, rec Recorded) Username {
	switch e := rec.Event.(type) {
	case *UsernameReserved:
		if !u.Reserved {
			u.Reserved, u.UserID, u.OrganisationID = true, e.UserID, e.OrganisationID
		}
	case *UsernameReleased:
		if u.Reserved && u.UserID == e.UserID {
			u = Username{}
		}
	}
	return u
}

// DecideReserveUsername claims the username for userID. Reserving it again
// for the same user (a retried request) records nothing. Errors: Conflict
// when another user holds it (R-AUTH-1).
func DecideReserveUsername(u Username, userID, organisationID uuid.UUID) ([]Event, error) {
	if u.Reserved {
		if u.UserID == userID {
			return nil, nil
		}
		return nil, &Error{Code: Conflict, Message: "the username is already taken",
			Fields: []FieldError{{Field: "username", Message: "is already taken"}}}
	}
	return []Event{&UsernameReserved{UserID: userID, OrganisationID: organisationID}}, nil
}

// DecideReleaseUsername gives the username up if userID holds it;
// otherwise it records nothing. The caller releases only a reservation
// whose account was never recorded.
func DecideReleaseUsername(u Username, userID uuid.UUID) ([]Event, error) {
	if !u.Reserved || u.UserID != userID {
		return nil, nil
	}
	return []Event{&UsernameReleased{UserID: userID}}, nil
}

func strconvItoa(i int) string { return strconv.Itoa(i) }
