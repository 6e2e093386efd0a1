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

// Sensitive is an event that carries a client's personal data or free text
// (R-PRIV-1). Those fields are tagged `sensitive:"true"`; the codec stores
// them encrypted under the key of the client DataSubject names, so that
// destroying the key erases them (R-PRIV-3).
type Sensitive interface {
	Event
	DataSubject() uuid.UUID
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
	// Erased is true when the event's sensitive fields could not be read
	// because the client's data was erased; they are then zero.
	Erased bool
	// Withheld is true when the sensitive fields were not decrypted because
	// the reader has no use for them (projections); they are then zero.
	Withheld bool
}

// EventTypes lists every event type of every aggregate, in a stable order.
func EventTypes() []string {
	out := append([]string{}, ReferralEventTypes()...)
	out = append(out, OrganisationEventTypes()...)
	out = append(out, ClientEventTypes()...)
	out = append(out, LockEventTypes()...)
	out = append(out, AccessEventTypes()...)
	out = append(out, AuditEventTypes()...)
	out = append(out, OrganisationNameEventTypes()...)
	out = append(out, NetworkRoleEventTypes()...)
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
	if e, ok := newClientEvent(eventType); ok {
		return e, true
	}
	if e, ok := newLockEvent(eventType); ok {
		return e, true
	}
	if eventType == AccessRecordedType {
		return &AccessRecorded{}, true
	}
	if eventType == CheckpointSignedType {
		return &CheckpointSigned{}, true
	}
	if e, ok := newOrganisationNameEvent(eventType); ok {
		return e, true
	}
	if e, ok := newNetworkRoleEvent(eventType); ok {
		return e, true
	}
	return newUsernameEvent(eventType)
}
