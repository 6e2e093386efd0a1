package domain

import (
	"strconv"

	"github.com/google/uuid"
)

// UsernameReservedType is the only username event: a username claimed for
// one user, network-wide (R-AUTH-1).
const UsernameReservedType = "username.reserved"

// UsernameEventTypes lists every username event type.
func UsernameEventTypes() []string { return []string{UsernameReservedType} }

func newUsernameEvent(t string) (Event, bool) {
	if t == UsernameReservedType {
		return &UsernameReserved{}, true
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

// Username is the state of one username's reservation.
type Username struct {
	Reserved       bool
	UserID         uuid.UUID
	OrganisationID uuid.UUID
}

// EvolveUsername applies a recorded event.
func EvolveUsername(u Username, rec Recorded) Username {
	if e, ok := rec.Event.(*UsernameReserved); ok && !u.Reserved {
		u.Reserved, u.UserID, u.OrganisationID = true, e.UserID, e.OrganisationID
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

func strconvItoa(i int) string { return strconv.Itoa(i) }
