package domain

import (
	"time"

	"github.com/google/uuid"
)

// DefaultReopenDays is how long after closing or declining a referral its
// receiver may reopen it, in calendar days (R-REF-12).
const DefaultReopenDays = 30

// freeText checks a free-text field that is required while the client's
// data can be read. Once it is erased no new client-linked free text can be
// kept, so the field must then be empty; the action itself still goes
// ahead, so that a referral never stays open for ever for want of a comment.
func freeText(f *fieldErrors, r Referral, field, value string) error {
	f.text(field, value, !r.Erased, MaxLongText)
	if err := f.err(); err != nil {
		return err
	}
	if r.Erased && value != "" {
		return Errorf(Conflict, "the client's data was erased: leave the %s empty", field)
	}
	return nil
}

// DecideDecline declines the referral with a reason code and a comment
// (R-REF-9). Only the receiving organisation's caseworkers may; a referral
// no longer open (closed, declined, forwarded, withdrawn) is a Conflict.
// Errors: NotFound, Forbidden, Conflict, Invalid (reason code, comment).
func DecideDecline(r Referral, actor Actor, reasonCode, comment string) ([]Event, error) {
	if err := receiverAction(r, actor, "decline"); err != nil {
		return nil, err
	}
	var f fieldErrors
	valid := false
	for _, c := range DeclineReasonCodes() {
		valid = valid || c == reasonCode
	}
	if !valid {
		f.add("reason_code", "must be one of not_eligible, no_capacity, cannot_contact, duplicate, wrong_service, other")
	}
	if err := freeText(&f, r, "comment", comment); err != nil {
		return nil, err
	}
	return []Event{&ReferralDeclined{ClientID: r.ClientID, ReasonCode: reasonCode, Comment: comment}}, nil
}

// ForwardReferral asks to pass a referral on to another organisation
// (R-REF-10), with the client's consent to the onward referral or a
// safeguarding override, exactly as for making a referral (R-REF-2).
type ForwardReferral struct {
	NewReferralID        uuid.UUID // chosen by the caller
	ToOrganisationID     uuid.UUID
	Comment              string
	Consent              *Consent
	SafeguardingOverride *SafeguardingOverride
	// Refused holds what the caller found wrong in what it was sent before
	// it could make the command of it (an id that is no UUID): the command
	// is refused with those errors and its own, so the sender learns of
	// every mistake at once. A field named there is not checked again.
	Refused []FieldError
}

// DecideForward passes the referral on (R-REF-10). It returns two events:
// first the ReferralForwarded for the original's stream, then the
// ReferralMade that opens the new referral's stream. The new referral is
// from the forwarding organisation to receiver, for the same client (same
// client id, so its data stays under the same key), with the original's
// client data, reason, urgency and privacy notice, and timescales that start
// afresh from when it is made. Errors: NotFound, Forbidden (not the
// receiver's caseworker), Conflict (no longer open; the client's data
// erased), Invalid (the organisation, the comment, consent; an organisation
// whose intake is off, naming it).
func DecideForward(r Referral, actor Actor, receiver Organisation, cmd ForwardReferral, now time.Time) ([]Event, error) {
	if err := receiverAction(r, actor, "forward"); err != nil {
		return nil, err
	}
	if r.Erased {
		return nil, Errorf(Conflict, "the client's data was erased: there is nothing to forward")
	}
	f := append(fieldErrors(nil), cmd.Refused...)
	if !f.names("to_organisation_id") {
		validateReceiver(&f, cmd.ToOrganisationID, receiver, r.ToOrganisationID) // the forwarder is r's receiver
	}
	f.text("comment", cmd.Comment, true, MaxLongText)
	validateConsent(&f, cmd.Consent, cmd.SafeguardingOverride)
	if err := f.err(); err != nil {
		return nil, err
	}
	if !receiver.AcceptingOn(LondonDate(now)) {
		return nil, InvalidFields(FieldError{Field: "to_organisation_id",
			Message: receiver.Name + " is not accepting referrals: its intake is switched off"})
	}
	return []Event{
		&ReferralForwarded{ClientID: r.ClientID, ForwardedTo: cmd.NewReferralID, ToOrganisationID: cmd.ToOrganisationID, Comment: cmd.Comment},
		ForwardedReferralMade(r, cmd),
	}, nil
}

// ForwardedReferralMade is the event that opens the referral cmd forwards r
// as (DecideForward's second event). It depends only on what forwarding
// leaves unchanged, so it is the same when rebuilt from r once forwarded:
// a retried forward whose first run stopped between its two streams
// completes with the same event.
func ForwardedReferralMade(r Referral, cmd ForwardReferral) *ReferralMade {
	return &ReferralMade{ReferralID: cmd.NewReferralID, FromOrganisationID: r.ToOrganisationID, ToOrganisationID: cmd.ToOrganisationID,
		ClientID: r.ClientID, Urgent: r.UrgentNow(), Client: r.Client, Reason: r.Reason,
		Consent: cmd.Consent, SafeguardingOverride: cmd.SafeguardingOverride, SharedWithoutConsent: cmd.SafeguardingOverride != nil,
		PrivacyNoticeGiven: r.PrivacyNoticeGiven, ForwardedFrom: r.ID, ForwardComment: cmd.Comment}
}

// DecideWithdraw withdraws the referral with a reason (R-REF-11). Only the
// referring organisation's caseworkers may, while it is open. Errors:
// NotFound, Forbidden, Conflict (no longer open), Invalid (reason).
func DecideWithdraw(r Referral, actor Actor, reason string) ([]Event, error) {
	if !r.Exists {
		return nil, Errorf(NotFound, "no such referral")
	}
	if actor.OrganisationID != r.FromOrganisationID || !actor.Caseworker() {
		return nil, Errorf(Forbidden, "only the referring organisation's advisers can withdraw this referral")
	}
	if err := notEnded(r); err != nil {
		return nil, err
	}
	var f fieldErrors
	if err := freeText(&f, r, "reason", reason); err != nil {
		return nil, err
	}
	return []Event{&ReferralWithdrawn{ClientID: r.ClientID, Reason: reason}}, nil
}

// ReopenBy returns the last London date on which a closed or declined
// referral may be reopened, periodDays after the day it ended, and false
// for a referral in any other status (R-REF-12).
func (r Referral) ReopenBy(periodDays int) (string, bool) {
	var ended time.Time
	switch r.Status {
	case StatusClosed:
		ended = r.ClosedAt
	case StatusDeclined:
		ended = r.DeclinedAt
	default:
		return "", false
	}
	d, err := time.Parse(DateLayout, LondonDate(ended))
	if err != nil {
		return "", false
	}
	return d.AddDate(0, 0, periodDays).Format(DateLayout), true
}

// DecideReopen reopens a referral its receiver closed or declined, within
// periodDays of that (R-REF-12), with a reason. Errors: NotFound, Forbidden
// (not the receiver's caseworker), Conflict (not closed or declined; the
// period is over, naming it; the client's data erased), Invalid (reason).
func DecideReopen(r Referral, actor Actor, reason string, periodDays int, now time.Time) ([]Event, error) {
	if !r.Exists {
		return nil, Errorf(NotFound, "no such referral")
	}
	if actor.OrganisationID != r.ToOrganisationID || !actor.Caseworker() {
		return nil, Errorf(Forbidden, "only the receiving organisation's advisers can reopen this referral")
	}
	last, ok := r.ReopenBy(periodDays)
	if !ok {
		return nil, Errorf(Conflict, "only a closed or declined referral can be reopened; this one is %s", r.Status)
	}
	if LondonDate(now) > last {
		return nil, Errorf(Conflict, "the referral can be reopened only within %d days of being %s; that period ended on %s",
			periodDays, r.Status, last)
	}
	if r.Erased {
		return nil, Errorf(Conflict, "the client's data was erased: the referral cannot be reopened")
	}
	var f fieldErrors
	f.text("reason", reason, true, MaxLongText)
	if err := f.err(); err != nil {
		return nil, err
	}
	return []Event{&ReferralReopened{ClientID: r.ClientID, Reason: reason}}, nil
}
