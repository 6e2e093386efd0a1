package domain

import "github.com/google/uuid"

// The referral event types: one complete list (ReferralEventTypes).
const (
	ReferralMadeType            = "referral.made"
	ReferralAcknowledgedType    = "referral.acknowledged"
	ReferralAssignedType        = "referral.assigned"
	ReferralNoteAddedType       = "referral.note_added"
	ReferralUrgencyDeclinedType = "referral.urgency_declined"
	ReferralClosedType          = "referral.closed"
	ReferralDeclinedType        = "referral.declined"
	ReferralForwardedType       = "referral.forwarded"
	ReferralWithdrawnType       = "referral.withdrawn"
	ReferralReopenedType        = "referral.reopened"
)

// ReferralEventTypes lists every referral event type.
func ReferralEventTypes() []string {
	return []string{ReferralMadeType, ReferralAcknowledgedType, ReferralAssignedType,
		ReferralNoteAddedType, ReferralUrgencyDeclinedType, ReferralClosedType,
		ReferralDeclinedType, ReferralForwardedType, ReferralWithdrawnType, ReferralReopenedType}
}

func newReferralEvent(t string) (Event, bool) {
	switch t {
	case ReferralMadeType:
		return &ReferralMade{}, true
	case ReferralAcknowledgedType:
		return &ReferralAcknowledged{}, true
	case ReferralAssignedType:
		return &ReferralAssigned{}, true
	case ReferralNoteAddedType:
		return &ReferralNoteAdded{}, true
	case ReferralUrgencyDeclinedType:
		return &ReferralUrgencyDeclined{}, true
	case ReferralClosedType:
		return &ReferralClosed{}, true
	case ReferralDeclinedType:
		return &ReferralDeclined{}, true
	case ReferralForwardedType:
		return &ReferralForwarded{}, true
	case ReferralWithdrawnType:
		return &ReferralWithdrawn{}, true
	case ReferralReopenedType:
		return &ReferralReopened{}, true
	}
	return nil, false
}

// Consent methods (R-REF-2).
const (
	ConsentWritten = "written"
	ConsentVerbal  = "verbal"
)

// Outcomes of a closed referral (R-REF-5).
const (
	OutcomePositive = "positive" // taken forward
	OutcomeNegative = "negative" // not taken forward
)

// Client is the client-identifying data a referral carries: the minimum a
// referral needs (R-LEDGER-6). Every field is personal data (R-PRIV-1).
type Client struct {
	Name        string `json:"name,omitempty"`
	DateOfBirth string `json:"date_of_birth,omitempty"`
	Phone       string `json:"phone,omitempty"`
	Email       string `json:"email,omitempty"`
	Address     string `json:"address,omitempty"`
}

// Consent records that the client agreed to the referral and how.
type Consent struct {
	Method    string `json:"method"`
	Confirmed bool   `json:"confirmed"`
}

// SafeguardingOverride records a decision to share without consent because
// of a risk of significant harm, with its reason (R-REF-2, seed 003).
type SafeguardingOverride struct {
	Reason string `json:"reason"`
}

// ReferralMade opens a referral from one organisation to another for one
// client (R-REF-1). Exactly one of Consent and SafeguardingOverride is set.
type ReferralMade struct {
	ReferralID           uuid.UUID             `json:"referral_id"`
	FromOrganisationID   uuid.UUID             `json:"from_organisation_id"`
	ToOrganisationID     uuid.UUID             `json:"to_organisation_id"`
	ClientID             uuid.UUID             `json:"client_id"`
	Urgent               bool                  `json:"urgent"`
	Client               Client                `json:"client" sensitive:"true"`
	Reason               string                `json:"reason" sensitive:"true"`
	Consent              *Consent              `json:"consent,omitempty"`
	SafeguardingOverride *SafeguardingOverride `json:"safeguarding_override,omitempty" sensitive:"true"`
	// SharedWithoutConsent says, in the clear, that the referral was shared
	// under a safeguarding override: the fact stays auditable (and counts in
	// statistics) after the client's data, the reason included, is erased.
	SharedWithoutConsent bool `json:"shared_without_consent,omitempty"`
	PrivacyNoticeGiven   bool `json:"privacy_notice_given"`
	// ForwardedFrom names the referral this one was forwarded from
	// (R-REF-10); zero, and absent from the stored JSON, for a referral made
	// afresh. ForwardComment is the forwarding receiver's comment to the new
	// receiver.
	ForwardedFrom  uuid.UUID `json:"forwarded_from,omitzero"`
	ForwardComment string    `json:"forward_comment,omitempty" sensitive:"true"`
}

// ReferralAcknowledged records the receiver's acknowledgement of receipt.
type ReferralAcknowledged struct{}

// ReferralAssigned records the receiver forwarding the referral to an adviser.
type ReferralAssigned struct {
	UserID uuid.UUID `json:"user_id"`
}

// ReferralNoteAdded records a note, optionally with an agreed new closing
// date (R-REF-6, R-TIME-4).
type ReferralNoteAdded struct {
	NoteID        uuid.UUID `json:"note_id"`
	ClientID      uuid.UUID `json:"client_id"`
	Text          string    `json:"text" sensitive:"true"`
	AgreedCloseBy string    `json:"agreed_close_by,omitempty"`
}

// ReferralUrgencyDeclined records that an urgent referral was reviewed and
// declined as urgent, with feedback (R-REF-7).
type ReferralUrgencyDeclined struct {
	ClientID uuid.UUID `json:"client_id"`
	Feedback string    `json:"feedback" sensitive:"true"`
}

// ReferralClosed records the outcome and a comment (R-REF-5).
type ReferralClosed struct {
	ClientID uuid.UUID `json:"client_id"`
	Outcome  string    `json:"outcome"`
	Comment  string    `json:"comment" sensitive:"true"`
}

// The reason codes of a declined referral (R-REF-9).
const (
	DeclineNotEligible   = "not_eligible"
	DeclineNoCapacity    = "no_capacity"
	DeclineCannotContact = "cannot_contact"
	DeclineDuplicate     = "duplicate"
	DeclineWrongService  = "wrong_service"
	DeclineOther         = "other"
)

// DeclineReasonCodes lists every reason code of a declined referral, in the
// order people are offered them.
func DeclineReasonCodes() []string {
	return []string{DeclineNotEligible, DeclineNoCapacity, DeclineCannotContact, DeclineDuplicate,
		DeclineWrongService, DeclineOther}
}

// ReferralDeclined records the receiver declining the referral with a
// reason code (in the clear, for statistics) and a comment (R-REF-9).
type ReferralDeclined struct {
	ClientID   uuid.UUID `json:"client_id"`
	ReasonCode string    `json:"reason_code"`
	Comment    string    `json:"comment" sensitive:"true"`
}

// ReferralForwarded records the receiver passing the referral on to another
// organisation (R-REF-10): ForwardedTo is the new referral, made in its own
// stream by a ReferralMade naming this one in ForwardedFrom.
type ReferralForwarded struct {
	ClientID         uuid.UUID `json:"client_id"`
	ForwardedTo      uuid.UUID `json:"forwarded_to"`
	ToOrganisationID uuid.UUID `json:"to_organisation_id"`
	Comment          string    `json:"comment" sensitive:"true"`
}

// ReferralWithdrawn records the referrer withdrawing the referral, with a
// reason (R-REF-11).
type ReferralWithdrawn struct {
	ClientID uuid.UUID `json:"client_id"`
	Reason   string    `json:"reason" sensitive:"true"`
}

// ReferralReopened records the receiver reopening a referral it closed or
// declined, with a reason (R-REF-12).
type ReferralReopened struct {
	ClientID uuid.UUID `json:"client_id"`
	Reason   string    `json:"reason" sensitive:"true"`
}

// DataSubject implements Sensitive.
func (e *ReferralDeclined) DataSubject() uuid.UUID { return e.ClientID }

// DataSubject implements Sensitive.
func (e *ReferralForwarded) DataSubject() uuid.UUID { return e.ClientID }

// DataSubject implements Sensitive.
func (e *ReferralWithdrawn) DataSubject() uuid.UUID { return e.ClientID }

// DataSubject implements Sensitive.
func (e *ReferralReopened) DataSubject() uuid.UUID { return e.ClientID }

// EventType implements Event.
func (*ReferralDeclined) EventType() string { return ReferralDeclinedType }

// EventType implements Event.
func (*ReferralForwarded) EventType() string { return ReferralForwardedType }

// EventType implements Event.
func (*ReferralWithdrawn) EventType() string { return ReferralWithdrawnType }

// EventType implements Event.
func (*ReferralReopened) EventType() string { return ReferralReopenedType }

// DataSubject implements Sensitive.
func (e *ReferralMade) DataSubject() uuid.UUID { return e.ClientID }

// DataSubject implements Sensitive.
func (e *ReferralNoteAdded) DataSubject() uuid.UUID { return e.ClientID }

// DataSubject implements Sensitive.
func (e *ReferralUrgencyDeclined) DataSubject() uuid.UUID { return e.ClientID }

// DataSubject implements Sensitive.
func (e *ReferralClosed) DataSubject() uuid.UUID { return e.ClientID }

// EventType implements Event.
func (*ReferralMade) EventType() string { return ReferralMadeType }

// EventType implements Event.
func (*ReferralAcknowledged) EventType() string { return ReferralAcknowledgedType }

// EventType implements Event.
func (*ReferralAssigned) EventType() string { return ReferralAssignedType }

// EventType implements Event.
func (*ReferralNoteAdded) EventType() string { return ReferralNoteAddedType }

// EventType implements Event.
func (*ReferralUrgencyDeclined) EventType() string { return ReferralUrgencyDeclinedType }

// EventType implements Event.
func (*ReferralClosed) EventType() string { return ReferralClosedType }
