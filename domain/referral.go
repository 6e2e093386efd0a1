package domain

import (
	"time"

	"github.com/google/uuid"
)

// Status is where a referral is in its life.
type Status string

// The referral statuses (API.md).
const (
	StatusMade         Status = "made"
	StatusAcknowledged Status = "acknowledged"
	StatusClosed       Status = "closed"
)

// Open reports whether a referral in status s is still being worked on:
// made or acknowledged.
func (s Status) Open() bool { return s == StatusMade || s == StatusAcknowledged }

// Note is a note on a referral.
type Note struct {
	ID                  uuid.UUID
	Text                string
	AgreedCloseBy       string
	At                  time.Time
	ActorUserID         uuid.UUID
	ActorOrganisationID uuid.UUID
}

// Referral is the state of one referral, derived by replaying its stream
// (R-LEDGER-1). The zero value is a referral that does not exist yet.
type Referral struct {
	ID                   uuid.UUID
	Exists               bool
	Revision             uint64 // of the last event applied; meaningful when Exists
	Status               Status
	FromOrganisationID   uuid.UUID
	ToOrganisationID     uuid.UUID
	ClientID             uuid.UUID
	Urgent               bool // as made
	UrgencyDeclined      bool
	UrgencyFeedback      string
	Client               Client
	Reason               string
	Consent              *Consent
	SafeguardingOverride *SafeguardingOverride
	SharedWithoutConsent bool
	PrivacyNoticeGiven   bool
	MadeBy               uuid.UUID
	MadeAt               time.Time
	AcknowledgedAt       time.Time
	AcknowledgedBy       uuid.UUID
	AssignedTo           uuid.UUID // uuid.Nil when unassigned
	Notes                []Note
	AgreedCloseBy        string // the latest agreed closing date, YYYY-MM-DD
	Outcome              string
	Comment              string
	ClosedAt             time.Time
	ClosedBy             uuid.UUID
	// Erased is true once the client's data was erased: client fields and
	// free text are then zero, and stay unreadable (R-PRIV-3).
	Erased bool
}

// UrgentNow reports whether the referral is still treated as urgent: made
// urgent and not declined as urgent (R-REF-7).
func (r Referral) UrgentNow() bool { return r.Urgent && !r.UrgencyDeclined }

// Involves reports whether organisation org made or received the referral.
func (r Referral) Involves(org uuid.UUID) bool {
	return org == r.FromOrganisationID || org == r.ToOrganisationID
}

// Open reports whether the referral exists and is still being worked on.
// Every read model that asks whether a referral is live (the clients index
// that drives retention, the notifier, the lists) asks this.
func (r Referral) Open() bool { return r.Exists && r.Status.Open() }

// EndedAt returns when the referral left the open statuses for the one it
// is in now; zero while it is open.
func (r Referral) EndedAt() time.Time {
	if r.Status == StatusClosed {
		return r.ClosedAt
	}
	return time.Time{}
}

// EvolveReferral applies one recorded event to the state. It never fails:
// events are facts, and unknown ones (from a newer version) are ignored.
// It is the one fold of a referral's life: read models derive what they
// need from the state it returns, never from the events themselves.
func EvolveReferral(r Referral, rec Recorded) Referral {
	r, _ = evolveReferral(r, rec)
	return r
}

// evolveReferral is EvolveReferral, also saying whether it knew the
// event: every referral event type must be known (TestEvolve_KnowsEveryType).
func evolveReferral(r Referral, rec Recorded) (Referral, bool) {
	r.Revision = rec.Revision
	if rec.Erased {
		r.Erased = true
	}
	switch e := rec.Event.(type) {
	case *ReferralMade:
		r.ID, r.Exists, r.Status = e.ReferralID, true, StatusMade
		r.FromOrganisationID, r.ToOrganisationID, r.ClientID = e.FromOrganisationID, e.ToOrganisationID, e.ClientID
		r.Urgent, r.Client, r.Reason = e.Urgent, e.Client, e.Reason
		r.Consent, r.SafeguardingOverride, r.PrivacyNoticeGiven = e.Consent, e.SafeguardingOverride, e.PrivacyNoticeGiven
		r.SharedWithoutConsent = e.SharedWithoutConsent || e.SafeguardingOverride != nil
		r.MadeBy, r.MadeAt = rec.ActorUserID, rec.At
	case *ReferralAcknowledged:
		r.Status, r.AcknowledgedAt, r.AcknowledgedBy = StatusAcknowledged, rec.At, rec.ActorUserID
	case *ReferralAssigned:
		r.AssignedTo = e.UserID
	case *ReferralNoteAdded:
		r.Notes = append(r.Notes[:len(r.Notes):len(r.Notes)], Note{ID: e.NoteID, Text: e.Text, AgreedCloseBy: e.AgreedCloseBy,
			At: rec.At, ActorUserID: rec.ActorUserID, ActorOrganisationID: rec.ActorOrganisationID})
		if e.AgreedCloseBy != "" {
			r.AgreedCloseBy = e.AgreedCloseBy
		}
	case *ReferralUrgencyDeclined:
		r.UrgencyDeclined, r.UrgencyFeedback = true, e.Feedback
	case *ReferralClosed:
		r.Status, r.Outcome, r.Comment, r.ClosedAt, r.ClosedBy = StatusClosed, e.Outcome, e.Comment, rec.At, rec.ActorUserID
	default:
		return r, false
	}
	return r, true
}

// ReplayReferral folds a stream's events into a referral.
func ReplayReferral(events []Recorded) Referral {
	var r Referral
	for _, e := range events {
		r = EvolveReferral(r, e)
	}
	return r
}
