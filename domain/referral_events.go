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
)

// ReferralEventTypes lists every referral event type.
func ReferralEventTypes() []string {
	return []string{ReferralMadeType, ReferralAcknowledgedType, ReferralAssignedType,
		ReferralNoteAddedType, ReferralUrgencyDeclinedType, ReferralClosedType}
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
