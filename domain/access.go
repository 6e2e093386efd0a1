package domain

import "github.com/google/uuid"

// AccessRecordedType is the one access-log event: someone read a client's
// identifiable data (R-LOCK-9). Access logs have a stream per client,
// apart from the client's decisions, so reads never contend with them.
const AccessRecordedType = "access.recorded"

// AccessEventTypes lists every access-log event type.
func AccessEventTypes() []string { return []string{AccessRecordedType} }

// AccessRecorded records who read a client's data, where and under what
// grant, and whether a lock was in force (R-LOCK-9). Apart from Reason it
// holds ids and route names only. Reason is why a read of a locked case was
// made where one must be given (a subject access export, R-PRIV-6); it is
// free text about the client, so it is sealed under their key and shredded
// with their data. Events recorded before it existed simply have none.
type AccessRecorded struct {
	ClientID   uuid.UUID `json:"client_id"`
	ReferralID uuid.UUID `json:"referral_id,omitempty"`
	Endpoint   string    `json:"endpoint"`
	Grant      string    `json:"grant"`
	Locked     bool      `json:"locked"`
	Reason     string    `json:"reason,omitempty" sensitive:"true"`
}

// EventType implements Event.
func (*AccessRecorded) EventType() string { return AccessRecordedType }

// DataSubject implements Sensitive.
func (e *AccessRecorded) DataSubject() uuid.UUID { return e.ClientID }

// CheckLockedReadReason checks the reason given for a read that must
// give one: required when the case is locked (R-PRIV-6, R-LOCK-9), and
// bounded like any free text. Errors: Invalid (reason).
func CheckLockedReadReason(reason string, locked bool) error {
	var f fieldErrors
	f.text("reason", reason, locked, MaxLongText)
	return f.err()
}
