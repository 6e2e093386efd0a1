package domain

import (
	"time"

	"github.com/google/uuid"
)

// Event is a domain event payload. EventType returns its stable, namespaced,
// past-tense name (e.g. "referral.acknowledged"), never a Go type name.
type Event interface {
	EventType() string
}

// SchemaVersion is the payload version every event type is written with
// today. A payload change bumps it for that type and ships an upcaster.
const SchemaVersion = 1

// Recorded is an event as evolve sees it: the payload with when and by whom
// it was recorded, and the stream revision it has.
type Recorded struct {
	Event               Event
	At                  time.Time
	ActorUserID         uuid.UUID
	ActorOrganisationID uuid.UUID
	Revision            uint64
}

// EventTypes lists every event type of every aggregate, in a stable order.
func EventTypes() []string {
	out := append([]string{}, ReferralEventTypes()...)
	out = append(out, OrganisationEventTypes()...)
	return append(out, UsernameEventTypes()...)
}

// NewEvent returns a zero payload for an event type, for decoding, and false
// for unknown types.
func NewEvent(eventType string) (Event, bool) {
	if e, ok := newReferralEvent(eventType); ok {
		return e, true
	}
	if e, ok := newOrganisationEvent(eventType); ok {
		return e, true
	}
	return newUsernameEvent(eventType)
}
