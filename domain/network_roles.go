package domain

import "github.com/google/uuid"

// The network's coordinator changes (R-AUTH-7). Accounts live in their
// organisations' streams, so two coordinators of different organisations
// removing each other's coordinator role (or closing each other's account)
// write to two streams, and each stream's optimistic concurrency alone
// lets both succeed, leaving no coordinator. Every removal of the
// coordinator role is therefore first recorded in one network-wide stream,
// whose revision orders them: a coordinator whose role a removal recorded
// there has ended can remove no one's.
const (
	NetworkCoordinatorChangedType = "network.coordinator_changed"
)

// NetworkRoleEventTypes lists every network-role event type.
func NetworkRoleEventTypes() []string { return []string{NetworkCoordinatorChangedType} }

func newNetworkRoleEvent(t string) (Event, bool) {
	if t == NetworkCoordinatorChangedType {
		return &NetworkCoordinatorChanged{}, true
	}
	return nil, false
}

// NetworkCoordinatorChanged records, in the network-wide stream, that a
// user's coordinator role ends (Holds false: demoted, or the account
// closed) or holds again (granted anew, or an ending whose change of the
// account was never recorded).
type NetworkCoordinatorChanged struct {
	UserID         uuid.UUID `json:"user_id"`
	OrganisationID uuid.UUID `json:"organisation_id"`
	Holds          bool      `json:"holds"`
}

// EventType implements Event.
func (*NetworkCoordinatorChanged) EventType() string { return NetworkCoordinatorChangedType }

// NetworkCoordinators is the network-wide stream's state: the users whose
// coordinator role it records as ended.
type NetworkCoordinators struct {
	Ended map[uuid.UUID]bool
}

// EvolveNetworkCoordinators applies a recorded event.
func EvolveNetworkCoordinators(n NetworkCoordinators, rec Recorded) NetworkCoordinators {
	e, ok := rec.Event.(*NetworkCoordinatorChanged)
	if !ok {
		return n
	}
	ended := make(map[uuid.UUID]bool, len(n.Ended)+1)
	for id := range n.Ended {
		ended[id] = true
	}
	if e.Holds {
		delete(ended, e.UserID)
	} else {
		ended[e.UserID] = true
	}
	return NetworkCoordinators{Ended: ended}
}

// ErrCoordinatorEndedMeanwhile refuses a coordinator's removal of another
// coordinator when a removal of their own was recorded first.
var ErrCoordinatorEndedMeanwhile = &Error{Code: Forbidden,
	Message: "your coordinator role was removed meanwhile, by another coordinator: you can no longer remove anyone's"}

// DecideEndCoordinator records that actor ends the coordinator role of
// userID (of organisationID), before the change of the account is
// recorded in the organisation's stream. An actor whose own role an
// earlier removal ended is refused, so two coordinators removing each
// other at once cannot both succeed: one of them always remains. The zero
// actor is the operator at the data directory. Errors: Forbidden.
func DecideEndCoordinator(n NetworkCoordinators, actor Actor, userID, organisationID uuid.UUID) ([]Event, error) {
	if actor.UserID != uuid.Nil && n.Ended[actor.UserID] {
		return nil, ErrCoordinatorEndedMeanwhile
	}
	if n.Ended[userID] {
		return nil, nil
	}
	return []Event{&NetworkCoordinatorChanged{UserID: userID, OrganisationID: organisationID}}, nil
}

// DecideHoldCoordinator records that userID holds the coordinator role
// (again), if the stream records it as ended: a grant of the role, or an
// ending whose change of the account was not recorded.
func DecideHoldCoordinator(n NetworkCoordinators, userID, organisationID uuid.UUID) ([]Event, error) {
	if !n.Ended[userID] {
		return nil, nil
	}
	return []Event{&NetworkCoordinatorChanged{UserID: userID, OrganisationID: organisationID, Holds: true}}, nil
}
