package domain

import (
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/calendar"
)

// MakeReferral asks to refer a client to another organisation (R-REF-1).
type MakeReferral struct {
	ReferralID     uuid.UUID
	ClientID       uuid.UUID // chosen by the caller: new, or an existing client
	ExistingClient bool      // ClientID names a client the caller already holds
	// ClientOnRecord: Client was copied from the existing client's last
	// referral, not sent, and was checked when that was made; it is not
	// checked again, so details kept before a rule was tightened do not
	// refuse a referral whose sender gave none.
	ClientOnRecord       bool
	ToOrganisationID     uuid.UUID
	Urgent               bool
	Client               Client
	Reason               string
	Consent              *Consent
	SafeguardingOverride *SafeguardingOverride
	PrivacyNoticeGiven   bool
	// Refused holds what the caller found wrong in what it was sent before
	// it could make the command of it (an id that is no UUID): the command
	// is refused with those errors and its own, so the sender learns of
	// every mistake at once. A field named there is not checked again.
	Refused []FieldError
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
	f := append(fieldErrors(nil), cmd.Refused...)
	if !f.names("to_organisation_id") {
		validateReceiver(&f, cmd.ToOrganisationID, receiver, actor.OrganisationID)
	}
	if !cmd.ClientOnRecord {
		validateClient(&f, cmd.Client, !cmd.ExistingClient && !f.names("client.client_id"), now)
	}
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

// maxAgeYears bounds how long ago a client can have been born: a date
// before it (0001-01-01, 1066-10-14) is a slip or a placeholder, not a
// date of birth.
const maxAgeYears = 130

// minPhoneDigits is the fewest digits a client's phone number must have:
// a number someone can ring (a UK one has 10 or 11), not a lone + or a
// fragment.
const minPhoneDigits = 7

func validateClient(f *fieldErrors, c Client, nameRequired bool, now time.Time) {
	if !f.names("client.name") {
		f.text("client.name", c.Name, nameRequired, MaxShortText)
	}
	if dob, ok := f.date("client.date_of_birth", c.DateOfBirth); ok {
		today, _ := time.Parse(DateLayout, LondonDate(now))
		switch {
		case dob.After(today):
			f.add("client.date_of_birth", "must not be in the future")
		case dob.Before(today.AddDate(-maxAgeYears, 0, 0)):
			f.add("client.date_of_birth", "must be within the last "+strconvItoa(maxAgeYears)+" years")
		}
	}
	f.text("client.phone", c.Phone, false, 40)
	if strings.TrimSpace(c.Phone) != "" && !f.names("client.phone") {
		digits, other := 0, false
		for _, r := range c.Phone {
			if r >= '0' && r <= '9' {
				digits++
			} else if r != '+' && r != ' ' && r != '(' && r != ')' && r != '-' {
				other = true
			}
		}
		switch {
		case other:
			f.add("client.phone", "must contain only digits, spaces and + ( ) -")
		case digits < minPhoneDigits:
			f.add("client.phone", "must be a phone number of at least "+strconvItoa(minPhoneDigits)+" digits")
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
// longer open: closed, declined, forwarded or withdrawn. A closed or
// declined one is not over for good: its receiver may reopen it (R-REF-12).
func notEnded(r Referral) error {
	switch {
	case r.Status.Open():
		return nil
	case r.Status.Final():
		return Errorf(Conflict, "the referral is %s: nothing more can be done to it", r.Status)
	default:
		return Errorf(Conflict, "the referral is %s: nothing more can be done to it unless its receiver reopens it, "+
			"which they may within the reopening period", r.Status)
	}
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
	if assignee == uuid.Nil {
		return nil, InvalidFields(FieldError{Field: "user_id", Message: "is required"})
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
// urgent, with feedback (R-REF-7). Once the client's data is erased no
// feedback can be kept (it is client-linked free text), so the review is
// recorded without it rather than leaving the referral on the urgent
// timescale for good, as closing and declining do. Errors: NotFound,
// Forbidden, Conflict (not urgent, already declined, or closed; feedback
// after erasure), Invalid (feedback missing).
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
	if err := freeText(&f, r, "feedback", feedback); err != nil {
		return nil, err
	}
	return []Event{&ReferralUrgencyDeclined{ClientID: r.ClientID, Feedback: feedback}}, nil
}

// AddNote asks to add a note, optionally with an agreed new closing date.
type AddNote struct {
	NoteID        uuid.UUID
	Text          string
	AgreedCloseBy string // YYYY-MM-DD or empty
	// Calendar is the network's: an agreed close-by date must be one of
	// its working days, since a deadline is the end of a working day
	// (R-TIME-4). Nil checks no working days.
	Calendar *calendar.Calendar
}

// AgreedCloseByYears bounds an agreed close-by date: at most this many
// years after today (London). The normal timescales are days (R-TIME-1 to
// R-TIME-3); an agreed one (R-TIME-4) may be months, but a date further
// ahead is a typing mistake (2300 for 2030) that would leave the referral
// never overdue.
const AgreedCloseByYears = 2

// LatestAgreedCloseBy is the latest agreed close-by date a note may set
// at now, YYYY-MM-DD: today in London, AgreedCloseByYears on (29 February
// becoming 1 March).
func LatestAgreedCloseBy(now time.Time) string {
	today, err := time.Parse(DateLayout, LondonDate(now))
	if err != nil { // cannot happen: LondonDate formats with DateLayout
		return LondonDate(now)
	}
	return today.AddDate(AgreedCloseByYears, 0, 0).Format(DateLayout)
}

// DecideAddNote lets either organisation's caseworkers note the referral
// (R-REF-6). An agreed close-by date must not be in the past, nor more
// than AgreedCloseByYears ahead (LatestAgreedCloseBy), and must be a
// working day of cmd.Calendar (R-TIME-4: it becomes the closing deadline,
// the end of a working day). Errors: NotFound, Forbidden, Conflict
// (closed), Invalid.
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
	if d, ok := f.date("agreed_close_by", cmd.AgreedCloseBy); ok {
		switch day := calendar.NewDate(d.Year(), d.Month(), d.Day()); {
		case d.Format(DateLayout) < LondonDate(now):
			f.add("agreed_close_by", "must not be in the past")
		case d.Format(DateLayout) > LatestAgreedCloseBy(now):
			f.add("agreed_close_by", "must be no later than "+LatestAgreedCloseBy(now)+
				", two years from today: a later date (2300 typed for 2030) would leave the referral never overdue")
		case cmd.Calendar == nil || cmd.Calendar.IsWorkingDay(day):
		case day.IsWeekend():
			f.add("agreed_close_by", "must be a working day: "+day.String()+" is a "+day.Weekday().String())
		default:
			name, _ := cmd.Calendar.IsHoliday(day)
			f.add("agreed_close_by", "must be a working day: "+day.String()+" is a bank holiday ("+name+")")
		}
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
