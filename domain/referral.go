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
	StatusDeclined     Status = "declined"  // R-REF-9
	StatusForwarded    Status = "forwarded" // R-REF-10
	StatusWithdrawn    Status = "withdrawn" // R-REF-11
)

// Statuses lists every referral status, in the order of a referral's life:
// what a search or a filter accepts. A new status is added here.
func Statuses() []Status {
	return []Status{StatusMade, StatusAcknowledged, StatusClosed, StatusDeclined, StatusForwarded, StatusWithdrawn}
}

// Open reports whether a referral in status s is still being worked on:
// made or acknowledged. Closed, declined, forwarded and withdrawn referrals
// have no deadline and are never overdue.
func (s Status) Open() bool { return s == StatusMade || s == StatusAcknowledged }

// Final reports whether a referral in status s is over for good: forwarded
// or withdrawn (R-REF-10, R-REF-11). A closed or declined referral is not:
// its receiver may reopen it (R-REF-12).
func (s Status) Final() bool { return s == StatusForwarded || s == StatusWithdrawn }

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
	Notes                []Note    // oldest first; read only: its array is shared (appendNote)
	// CaseNotes are the notes on the client's whole case the referral
	// shows (ClientRecord.CaseNotesOn, R-LOCK-4). No event of its stream
	// sets them: the ledger's reads, which check the case's lock on the
	// client's stream, fill them in from there.
	CaseNotes     []CaseNote
	AgreedCloseBy string // the latest agreed closing date, YYYY-MM-DD
	Outcome       string
	Comment       string
	ClosedAt      time.Time
	ClosedBy      uuid.UUID
	// Declined (R-REF-9): the reason code and comment, when and by whom.
	DeclineReasonCode string
	DeclineComment    string
	DeclinedAt        time.Time
	DeclinedBy        uuid.UUID
	// Forwarded (R-REF-10): ForwardedTo is the referral this one was passed
	// on as, to ForwardedToOrganisationID, with ForwardComment. ForwardedFrom
	// is the referral this one was made from by a forward, whose receiver
	// wrote ForwardedFromComment.
	ForwardedTo               uuid.UUID
	ForwardedToOrganisationID uuid.UUID
	ForwardComment            string
	ForwardedAt               time.Time
	ForwardedBy               uuid.UUID
	ForwardedFrom             uuid.UUID
	ForwardedFromComment      string
	// Withdrawn (R-REF-11).
	WithdrawReason string
	WithdrawnAt    time.Time
	WithdrawnBy    uuid.UUID
	// Reopened (R-REF-12): the latest reopening, and how many there were.
	// Reopening clears the closure or decline it undid.
	ReopenReason string
	ReopenedAt   time.Time
	ReopenedBy   uuid.UUID
	Reopens      int
	// Erased is true once the client's data was erased: client fields and
	// free text are then zero, and stay unreadable (R-PRIV-3).
	Erased bool
}

// UrgentNow reports whether the referral is still treated as urgent: made
// urgent and not declined as urgent (R-REF-7).
func (r Referral) UrgentNow() bool { return r.Urgent && !r.UrgencyDeclined }

// EndedAt is when the referral stopped being open: closed, declined,
// forwarded or withdrawn; zero while it is open.
func (r Referral) EndedAt() time.Time {
	switch r.Status {
	case StatusClosed:
		return r.ClosedAt
	case StatusDeclined:
		return r.DeclinedAt
	case StatusForwarded:
		return r.ForwardedAt
	case StatusWithdrawn:
		return r.WithdrawnAt
	}
	return time.Time{}
}

// Involves reports whether organisation org made or received the referral.
func (r Referral) Involves(org uuid.UUID) bool {
	return org == r.FromOrganisationID || org == r.ToOrganisationID
}

// Open reports whether the referral exists and is still being worked on.
// Every read model that asks whether a referral is live (the clients index
// that drives retention, the notifier, the lists) asks this.
func (r Referral) Open() bool { return r.Exists && r.Status.Open() }

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
		r.ForwardedFrom, r.ForwardedFromComment = e.ForwardedFrom, e.ForwardComment
	case *ReferralAcknowledged:
		r.Status, r.AcknowledgedAt, r.AcknowledgedBy = StatusAcknowledged, rec.At, rec.ActorUserID
	case *ReferralAssigned:
		r.AssignedTo = e.UserID
	case *ReferralNoteAdded:
		r.Notes = appendNote(r.Notes, Note{ID: e.NoteID, Text: e.Text, AgreedCloseBy: e.AgreedCloseBy,
			At: rec.At, ActorUserID: rec.ActorUserID, ActorOrganisationID: rec.ActorOrganisationID})
		if e.AgreedCloseBy != "" {
			r.AgreedCloseBy = e.AgreedCloseBy
		}
	case *ReferralUrgencyDeclined:
		r.UrgencyDeclined, r.UrgencyFeedback = true, e.Feedback
	case *ReferralClosed:
		r.Status, r.Outcome, r.Comment, r.ClosedAt, r.ClosedBy = StatusClosed, e.Outcome, e.Comment, rec.At, rec.ActorUserID
	case *ReferralDeclined:
		r.Status, r.DeclineReasonCode, r.DeclineComment = StatusDeclined, e.ReasonCode, e.Comment
		r.DeclinedAt, r.DeclinedBy = rec.At, rec.ActorUserID
	case *ReferralForwarded:
		r.Status, r.ForwardedTo, r.ForwardedToOrganisationID, r.ForwardComment = StatusForwarded, e.ForwardedTo, e.ToOrganisationID, e.Comment
		r.ForwardedAt, r.ForwardedBy = rec.At, rec.ActorUserID
	case *ReferralWithdrawn:
		r.Status, r.WithdrawReason, r.WithdrawnAt, r.WithdrawnBy = StatusWithdrawn, e.Reason, rec.At, rec.ActorUserID
	case *ReferralReopened:
		// Reopening takes the referral up again: it is acknowledged (a
		// referral declined before acknowledgement is acknowledged by
		// reopening it), its closing deadline restarts from the day of
		// reopening, and the closure or decline it undoes is cleared.
		r.Status = StatusAcknowledged
		if r.AcknowledgedAt.IsZero() {
			r.AcknowledgedAt, r.AcknowledgedBy = rec.At, rec.ActorUserID
		}
		r.Outcome, r.Comment, r.ClosedAt, r.ClosedBy = "", "", time.Time{}, uuid.Nil
		r.DeclineReasonCode, r.DeclineComment, r.DeclinedAt, r.DeclinedBy = "", "", time.Time{}, uuid.Nil
		r.AgreedCloseBy = ""
		r.ReopenReason, r.ReopenedAt, r.ReopenedBy = e.Reason, rec.At, rec.ActorUserID
		r.Reopens++
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
