package domain

import (
	"time"

	"github.com/google/uuid"
)

// MakeReferral asks to refer a client to another organisation (R-REF-1).
type MakeReferral struct {
	ReferralID           uuid.UUID
	ClientID             uuid.UUID // chosen by the caller: new, or an existing client
	ExistingClient       bool      // ClientID names a client the caller already holds
	ToOrganisationID     uuid.UUID
	Urgent               bool
	Client               Client
	Reason               string
	Consent              *Consent
	SafeguardingOverride *SafeguardingOverride
	PrivacyNoticeGiven   bool
}

// DecideMakeReferral validates a new referral from the actor's organisation
// to receiver. Errors: Forbidden (the actor does not work cases), Invalid
// (fields, with every fault listed; no consent nor override R-REF-2; privacy
// notice not given R-REF-3; unknown receiver), Conflict (receiver's intake is
// off, R-REF-4).
func DecideMakeReferral(actor Actor, receiver Organisation, cmd MakeReferral, now time.Time) ([]Event, error) {
	if !actor.Caseworker() {
		return nil, Errorf(Forbidden, "only advisers can make referrals")
	}
	var f fieldErrors
	validateReceiver(&f, cmd.ToOrganisationID, receiver, actor.OrganisationID)
	validateClient(&f, cmd.Client, !cmd.ExistingClient, now)
	f.text("reason", cmd.Reason, true, MaxLongText)
	validateConsent(&f, cmd.Consent, cmd.SafeguardingOverride)
	if !cmd.PrivacyNoticeGiven {
		f.add("privacy_notice_given", "confirm the client was told where to find the privacy notice")
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	if !receiver.AcceptingOn(LondonDate(now)) {
		return nil, Errorf(Conflict, "%s is not accepting referrals: its intake is switched off", receiver.Name)
	}
	return []Event{&ReferralMade{
		ReferralID: cmd.ReferralID, FromOrganisationID: actor.OrganisationID, ToOrganisationID: cmd.ToOrganisationID,
		ClientID: cmd.ClientID, Urgent: cmd.Urgent, Client: cmd.Client, Reason: cmd.Reason,
		Consent: cmd.Consent, SafeguardingOverride: cmd.SafeguardingOverride, SharedWithoutConsent: cmd.SafeguardingOverride != nil,
		PrivacyNoticeGiven: cmd.PrivacyNoticeGiven,
	}}, nil
}

// validateReceiver checks the organisation a referral is made or forwarded
// to: given, registered (receiver is what the store holds for the id), and
// not own, the organisation sending it.
func validateReceiver(f *fieldErrors, to uuid.UUID, receiver Organisation, own uuid.UUID) {
	switch {
	case to == uuid.Nil:
		f.add("to_organisation_id", "is required")
	case !receiver.Exists || receiver.ID != to:
		f.add("to_organisation_id", "no organisation with this id is registered")
	case to == own:
		f.add("to_organisation_id", "must be another organisation than your own")
	case to == CoordinatingBodyID:
		f.add("to_organisation_id", "is the network's coordinating body, which takes no referrals")
	}
}

// validateConsent checks R-REF-2: confirmed consent with its method, or a
// safeguarding override with its reason, never both.
func validateConsent(f *fieldErrors, consent *Consent, override *SafeguardingOverride) {
	switch {
	case consent != nil && override != nil:
		f.add("safeguarding_override", "give either consent or a safeguarding override, not both")
	case override != nil:
		f.text("safeguarding_override.reason", override.Reason, true, MaxLongText)
	case consent == nil:
		f.add("consent", "the client's consent must be confirmed, or a safeguarding override recorded with its reason")
	default:
		if consent.Method != ConsentWritten && consent.Method != ConsentVerbal {
			f.add("consent.method", `must be "written" or "verbal"`)
		}
		if !consent.Confirmed {
			f.add("consent.confirmed", "the client's consent must be confirmed; without it only a safeguarding override can share")
		}
	}
}

func validateClient(f *fieldErrors, c Client, nameRequired bool, now time.Time) {
	f.text("client.name", c.Name, nameRequired, MaxShortText)
	if dob, ok := f.date("client.date_of_birth", c.DateOfBirth); ok && dob.Format(DateLayout) > LondonDate(now) {
		f.add("client.date_of_birth", "must not be in the future")
	}
	f.text("client.phone", c.Phone, false, 40)
	if c.Phone != "" {
		for _, r := range c.Phone {
			if !(r >= '0' && r <= '9') && r != '+' && r != ' ' && r != '(' && r != ')' && r != '-' {
				f.add("client.phone", "must contain only digits, spaces and + ( ) -")
				break
			}
		}
	}
	f.email("client.email", c.Email, false)
	f.text("client.address", c.Address, false, 500)
}

// receiverAction checks the common preconditions of the receiver's actions:
// the referral exists, the actor works cases at the receiving organisation,
// and the referral is not closed.
func receiverAction(r Referral, actor Actor, what string) error {
	if !r.Exists {
		return Errorf(NotFound, "no such referral")
	}
	if actor.OrganisationID != r.ToOrganisationID || !actor.Caseworker() {
		return Errorf(Forbidden, "only the receiving organisation's advisers can %s this referral", what)
	}
	return notEnded(r)
}

// notEnded refuses, as a Conflict, any action on a referral that is no
// longer open: closed, declined, forwarded or withdrawn.
func notEnded(r Referral) error {
	if !r.Status.Open() {
		return Errorf(Conflict, "the referral is %s: nothing more can be done to it", r.Status)
	}
	return nil
}

// DecideAcknowledge acknowledges receipt (R-REF-5). Errors: NotFound,
// Forbidden (not the receiver), Conflict (already acknowledged or closed).
func DecideAcknowledge(r Referral, actor Actor) ([]Event, error) {
	if err := receiverAction(r, actor, "acknowledge"); err != nil {
		return nil, err
	}
	if r.Status != StatusMade {
		return nil, Errorf(Conflict, "the referral is already acknowledged")
	}
	return []Event{&ReferralAcknowledged{}}, nil
}

// DecideAssign forwards the referral to assignee, who must hold an open
// account at the receiving organisation. Errors: NotFound, Forbidden,
// Conflict (closed), Invalid (assignee not an active member).
func DecideAssign(r Referral, actor Actor, receiver Organisation, assignee uuid.UUID) ([]Event, error) {
	if err := receiverAction(r, actor, "assign"); err != nil {
		return nil, err
	}
	u, ok := receiver.Users[assignee]
	if !ok || u.Closed || u.OrganisationID != r.ToOrganisationID {
		return nil, InvalidFields(FieldError{Field: "user_id", Message: "must be an active user of the receiving organisation"})
	}
	// R-REF-5: assigned to an adviser, someone who can work the referral;
	// helpdesk and auditors route or read, and could not act on it.
	if !u.Actor().Caseworker() {
		return nil, InvalidFields(FieldError{Field: "user_id",
			Message: "must be a user who can work referrals (adviser, org lead, team or service manager)"})
	}
	if r.AssignedTo == assignee {
		return nil, nil
	}
	return []Event{&ReferralAssigned{UserID: assignee}}, nil
}

// DecideDeclineUrgency records that an urgent referral is not treated as
// urgent, with feedback (R-REF-7). Errors: NotFound, Forbidden, Conflict
// (not urgent, already declined, or closed), Invalid (feedback missing).
func DecideDeclineUrgency(r Referral, actor Actor, feedback string) ([]Event, error) {
	if err := receiverAction(r, actor, "review the urgency of"); err != nil {
		return nil, err
	}
	if !r.Urgent {
		return nil, Errorf(Conflict, "the referral was not made as urgent")
	}
	if r.UrgencyDeclined {
		return nil, Errorf(Conflict, "the referral's urgency was already declined")
	}
	var f fieldErrors
	f.text("feedback", feedback, true, MaxLongText)
	if err := f.err(); err != nil {
		return nil, err
	}
	return []Event{&ReferralUrgencyDeclined{ClientID: r.ClientID, Feedback: feedback}}, nil
}

// AddNote asks to add a note, optionally with an agreed new closing date.
type AddNote struct {
	NoteID        uuid.UUID
	Text          string
	AgreedCloseBy string // YYYY-MM-DD or empty
}

// DecideAddNote lets either organisation's caseworkers note the referral
// (R-REF-6). An agreed close-by date must not be in the past. Errors:
// NotFound, Forbidden, Conflict (closed), Invalid.
func DecideAddNote(r Referral, actor Actor, cmd AddNote, now time.Time) ([]Event, error) {
	if !r.Exists {
		return nil, Errorf(NotFound, "no such referral")
	}
	if !r.Involves(actor.OrganisationID) || !actor.Caseworker() {
		return nil, Errorf(Forbidden, "only advisers of the referring or receiving organisation can add notes")
	}
	if err := notEnded(r); err != nil {
		return nil, err
	}
	var f fieldErrors
	f.text("text", cmd.Text, true, MaxLongText)
	if d, ok := f.date("agreed_close_by", cmd.AgreedCloseBy); ok && d.Format(DateLayout) < LondonDate(now) {
		f.add("agreed_close_by", "must not be in the past")
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	return []Event{&ReferralNoteAdded{NoteID: cmd.NoteID, ClientID: r.ClientID, Text: cmd.Text, AgreedCloseBy: cmd.AgreedCloseBy}}, nil
}

// DecideClose closes the referral with an outcome and comment (R-REF-5).
// Once the client's data is erased no comment can be kept (it would be
// client-linked free text), so the referral closes with its outcome alone
// rather than staying open and overdue for ever. Errors: NotFound,
// Forbidden, Conflict (not yet acknowledged, or already closed; a comment
// after erasure), Invalid (outcome or comment).
func DecideClose(r Referral, actor Actor, outcome, comment string) ([]Event, error) {
	if err := receiverAction(r, actor, "close"); err != nil {
		return nil, err
	}
	var f fieldErrors
	if outcome != OutcomePositive && outcome != OutcomeNegative {
		f.add("outcome", `must be "positive" or "negative"`)
	}
	f.text("comment", comment, !r.Erased, MaxLongText)
	if err := f.err(); err != nil {
		return nil, err
	}
	if r.Erased && comment != "" {
		return nil, Errorf(Conflict, "the client's data was erased: close the referral with its outcome and no comment")
	}
	if r.Status != StatusAcknowledged {
		return nil, Errorf(Conflict, "acknowledge the referral before closing it")
	}
	return []Event{&ReferralClosed{ClientID: r.ClientID, Outcome: outcome, Comment: comment}}, nil
}
