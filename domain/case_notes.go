package domain

import (
	"slices"
	"time"

	"github.com/google/uuid"
)

// CaseNote is a note on a client's whole case rather than on one referral
// of it: the reason the responsible person gave for letting a member of
// staff into a locked case for a short time (R-LOCK-4). It is recorded on
// the client's stream with the grant, in the one event that grants the
// access, so the note and the access can never be recorded apart; its
// text is sealed under the client's key there like every note (R-PRIV-1)
// and is gone once the client's data is erased.
type CaseNote struct {
	ID                  uuid.UUID // the grant's
	Text                string    // the reason; empty once the client's data is erased
	At                  time.Time
	ActorUserID         uuid.UUID // the responsible person who granted the access
	ActorOrganisationID uuid.UUID
	GranteeUserID       uuid.UUID // who was let in
	ExpiresAt           time.Time // when the access ends by itself
}

// Hours is the length of the access granted, in whole hours.
func (n CaseNote) Hours() int { return int(n.ExpiresAt.Sub(n.At).Round(time.Hour) / time.Hour) }

// caseNoteOf is the case note a grant records.
func caseNoteOf(e *TemporaryAccessGranted, rec Recorded) CaseNote {
	return CaseNote{ID: e.GrantID, Text: e.Reason, At: rec.At, ActorUserID: rec.ActorUserID,
		ActorOrganisationID: rec.ActorOrganisationID, GranteeUserID: e.UserID, ExpiresAt: e.ExpiresAt}
}

// erasedNotes returns notes without their text, in a new array: the
// client's data is erased.
func erasedNotes(notes []CaseNote) []CaseNote {
	out := slices.Clone(notes)
	for i := range out {
		out[i].Text = ""
	}
	return out
}

// CaseNotesOn returns the notes on the client's case that referral r
// shows to reader: those written by an organisation that made or received
// it, once it existed, as a note that organisation added to each of its
// referrals of the client would be. A referral between two other
// organisations never shows them (R-AUTH-4). inLock says the reader got in
// through a lock in force: whoever passed it may know of it. Once no lock
// is in force, a note shows only to the organisation that wrote it, the
// person it let in and the network-wide roles, so staff the lock kept out,
// perhaps without telling them, learn nothing of it afterwards (R-LOCK-12).
func (c ClientRecord) CaseNotesOn(r Referral, reader Actor, inLock bool) []CaseNote {
	var out []CaseNote
	for _, n := range c.CaseNotes {
		if !r.Exists || r.ClientID != c.ID || !r.Involves(n.ActorOrganisationID) || n.At.Before(r.MadeAt) {
			continue
		}
		if inLock || reader.NetworkWide() || reader.OrganisationID == n.ActorOrganisationID || reader.UserID == n.GranteeUserID {
			out = append(out, n)
		}
	}
	return out
}
