package domain

import "github.com/google/uuid"

// AccessRecordedType is the one access-log event: someone read a client's
// identifiable data (R-LOCK-9). Access logs have a stream per client,
// apart from the client's decisions, so reads never contend with them.
const AccessRecordedType = "access.recorded"

// AccessEventTypes lists every access-log event type.
func AccessEventTypes() []string { return []string{AccessRecordedType} }

// AccessRecorded records who read a client's data, where and under what
// grant. It holds ids and route names only: the log itself carries no
// client data.
type AccessRecorded struct {
	ClientID   uuid.UUID `json:"client_id"`
	ReferralID uuid.UUID `json:"referral_id,omitempty"`
	Endpoint   string    `json:"endpoint"`
	Grant      string    `json:"grant"`
	Locked     bool      `json:"locked"`
}

// EventType implements Event.
func (*AccessRecorded) EventType() string { return AccessRecordedType }
