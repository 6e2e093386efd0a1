package domain_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// receiverActions are the actions only the receiving organisation's
// caseworkers take (R-REF-5, R-REF-7), each run with valid arguments.
var receiverActions = []struct {
	name   string
	decide func(r domain.Referral, a domain.Actor) ([]domain.Event, error)
}{
	{"Acknowledge", domain.DecideAcknowledge},
	{"Assign", func(r domain.Referral, a domain.Actor) ([]domain.Event, error) {
		return domain.DecideAssign(r, a, given(receiverOrg()...).organisation(), receiverColleague.UserID)
	}},
	{"DeclineUrgency", func(r domain.Referral, a domain.Actor) ([]domain.Event, error) {
		return domain.DecideDeclineUrgency(r, a, "Not urgent: no deadline this week")
	}},
	{"Close", func(r domain.Referral, a domain.Actor) ([]domain.Event, error) {
		return domain.DecideClose(r, a, domain.OutcomePositive, "Client seen")
	}},
}

// TestReceiverOnly_REF5 covers R-REF-5 (and R-REF-7's review): only the
// receiving organisation's caseworkers acknowledge, assign, review urgency and
// close; everyone else is Forbidden, and nobody acts on a referral that does
// not exist.
func TestReceiverOnly_REF5(t *testing.T) {
	outsiders := []struct {
		name  string
		actor domain.Actor
	}{
		{"ErrReferrerAdviser", referrerAdviser},
		{"ErrReferrerOrgLead", referrerLead},
		{"ErrReceiverAuditor", receiverAuditor},
		{"ErrReceiverHelpdesk", receiverHelpdesk},
		{"ErrThirdAdviser", thirdAdviser},
		{"ErrThirdAuditor", thirdAuditor},
		{"ErrThirdHelpdesk", thirdHelpdesk},
		{"ErrCoordinator", coordinator},
		{"ErrReceiverCoordinatorRoleOnly", actor("receiver coordinator", receiverOrgID, domain.RoleCoordinator)},
	}
	for _, action := range receiverActions {
		t.Run(action.name, func(t *testing.T) {
			acked := given(ackedRef()...).referral()
			if action.name == "Acknowledge" {
				acked = given(madeRef(true)...).referral()
			}
			for _, o := range outsiders {
				t.Run(o.name, func(t *testing.T) {
					when(action.decide(acked, o.actor)).thenError(t, domain.Forbidden)
				})
			}
			t.Run("ErrNotFound", func(t *testing.T) {
				when(action.decide(domain.Referral{}, receiverAdviser)).thenError(t, domain.NotFound)
			})
			t.Run("ErrClosed", func(t *testing.T) {
				when(action.decide(given(closedRef()...).referral(), receiverAdviser)).thenError(t, domain.Conflict)
			})
			for _, a := range []domain.Actor{receiverAdviser, receiverLead, receiverManager} {
				t.Run("OK"+string(a.Roles[0]), func(t *testing.T) {
					got := when(action.decide(acked, a))
					if got.err != nil || len(got.events) != 1 {
						t.Fatalf("want one event, got %v, %v", describe(got.events), got.err)
					}
				})
			}
		})
	}
}

// TestAcknowledge_REF5 covers R-REF-5: the receiver acknowledges receipt once.
func TestAcknowledge_REF5(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		when(domain.DecideAcknowledge(given(madeRef(false)...).referral(), receiverAdviser)).
			then(t, &domain.ReferralAcknowledged{})
	})
	t.Run("ErrTwice", func(t *testing.T) {
		when(domain.DecideAcknowledge(given(ackedRef()...).referral(), receiverColleague)).
			thenError(t, domain.Conflict)
	})
}

// TestAssign_REF5 covers R-REF-5: the receiver may forward the referral to
// an active user of its own organisation who can work referrals (an
// adviser), never to helpdesk or an auditor.
func TestAssign_REF5(t *testing.T) {
	receiver := given(receiverOrg()...).organisation()
	withHelpdeskAndAuditor := given(receiverOrg(userAdded(receiverHelpdesk), userAdded(receiverAuditor))...).organisation()
	assignedToColleague := append(ackedRef(), by(receiverAdviser, &domain.ReferralAssigned{UserID: receiverColleague.UserID}))
	tests := []struct {
		name     string
		referral []domain.Event
		org      domain.Organisation
		assignee uuid.UUID
		want     []domain.Event
		code     domain.Code
	}{
		{name: "OK", referral: ackedRef(), org: receiver, assignee: receiverColleague.UserID,
			want: []domain.Event{&domain.ReferralAssigned{UserID: receiverColleague.UserID}}},
		{name: "OKBeforeAcknowledge", referral: madeRef(true), org: receiver, assignee: receiverAdviser.UserID,
			want: []domain.Event{&domain.ReferralAssigned{UserID: receiverAdviser.UserID}}},
		{name: "OKReassign", referral: assignedToColleague, org: receiver, assignee: receiverAdviser.UserID,
			want: []domain.Event{&domain.ReferralAssigned{UserID: receiverAdviser.UserID}}},
		{name: "OKSameAssigneeAgainRecordsNothing", referral: assignedToColleague, org: receiver,
			assignee: receiverColleague.UserID},
		{name: "ErrUnknownUser", referral: ackedRef(), org: receiver, assignee: id("user nobody"), code: domain.Invalid},
		{name: "ErrNoUser", referral: ackedRef(), org: receiver, assignee: uuid.Nil, code: domain.Invalid},
		{name: "ErrClosedAccount", referral: ackedRef(), org: receiver, assignee: receiverLeaver.UserID, code: domain.Invalid},
		{name: "ErrHelpdeskCannotWorkReferrals", referral: ackedRef(), org: withHelpdeskAndAuditor,
			assignee: receiverHelpdesk.UserID, code: domain.Invalid},
		{name: "ErrAuditorCannotWorkReferrals", referral: ackedRef(), org: withHelpdeskAndAuditor,
			assignee: receiverAuditor.UserID, code: domain.Invalid},
		{name: "OKOrgLead", referral: ackedRef(), org: withHelpdeskAndAuditor, assignee: receiverLead.UserID,
			want: []domain.Event{&domain.ReferralAssigned{UserID: receiverLead.UserID}}},
		{name: "ErrUserOfAnotherOrganisation", referral: ackedRef(), org: receiver,
			assignee: referrerAdviser.UserID, code: domain.Invalid},
		{name: "ErrUserOfAnotherOrganisationPassedAsReceiver", referral: ackedRef(),
			org: given(referrerOrg()...).organisation(), assignee: referrerAdviser.UserID, code: domain.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := when(domain.DecideAssign(given(tt.referral...).referral(), receiverAdviser, tt.org, tt.assignee))
			if tt.code != "" {
				got.thenError(t, tt.code, "user_id")
				return
			}
			got.then(t, tt.want...)
		})
	}
}

// TestClose_REF5 covers R-REF-5: the receiver closes an acknowledged
// referral with an outcome, positive or negative, and a comment.
func TestClose_REF5(t *testing.T) {
	tests := []struct {
		name     string
		referral []domain.Event
		outcome  string
		comment  string
		code     domain.Code
		fields   []string
	}{
		{name: "OKPositive", referral: ackedRef(), outcome: domain.OutcomePositive, comment: "Taken forward"},
		{name: "OKNegative", referral: ackedRef(), outcome: domain.OutcomeNegative, comment: "Not eligible"},
		{name: "ErrBeforeAcknowledge", referral: madeRef(true), outcome: domain.OutcomePositive, comment: "Seen",
			code: domain.Conflict},
		{name: "ErrOutcomeOther", referral: ackedRef(), outcome: "neutral", comment: "Seen",
			code: domain.Invalid, fields: []string{"outcome"}},
		{name: "ErrNoOutcome", referral: ackedRef(), comment: "Seen", code: domain.Invalid, fields: []string{"outcome"}},
		{name: "ErrNoComment", referral: ackedRef(), outcome: domain.OutcomeNegative, comment: " \t",
			code: domain.Invalid, fields: []string{"comment"}},
		{name: "ErrNeither", referral: ackedRef(), code: domain.Invalid, fields: []string{"outcome", "comment"}},
		{name: "ErrTwice", referral: closedRef(), outcome: domain.OutcomePositive, comment: "Again",
			code: domain.Conflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := when(domain.DecideClose(given(tt.referral...).referral(), receiverAdviser, tt.outcome, tt.comment))
			if tt.code != "" {
				got.thenError(t, tt.code, tt.fields...)
				return
			}
			got.then(t, &domain.ReferralClosed{ClientID: clientID, Outcome: tt.outcome, Comment: tt.comment})
		})
	}
}

// TestNothingAfterClosure_REF5 covers R-REF-5: a closed referral is final;
// every action on it, by either organisation, is a Conflict.
func TestNothingAfterClosure_REF5(t *testing.T) {
	closed := given(closedRef()...).referral()
	receiver := given(receiverOrg()...).organisation()
	note := domain.AddNote{NoteID: id("note"), Text: "One more thing"}
	tests := []struct {
		name string
		got  outcome
	}{
		{"Acknowledge", when(domain.DecideAcknowledge(closed, receiverAdviser))},
		{"Assign", when(domain.DecideAssign(closed, receiverAdviser, receiver, receiverColleague.UserID))},
		{"NoteByReceiver", when(domain.DecideAddNote(closed, receiverAdviser, note, now))},
		{"NoteByReferrer", when(domain.DecideAddNote(closed, referrerAdviser, note, now))},
		{"DeclineUrgency", when(domain.DecideDeclineUrgency(closed, receiverAdviser, "Not urgent"))},
		{"Close", when(domain.DecideClose(closed, receiverAdviser, domain.OutcomeNegative, "Again"))},
	}
	for _, tt := range tests {
		t.Run("Err"+tt.name, func(t *testing.T) { tt.got.thenError(t, domain.Conflict) })
	}
}

// TestAddNote_REF6 covers R-REF-6: either organisation notes the referral,
// optionally with an agreed new closing date that is today or later
// (Europe/London); a third organisation may not.
func TestAddNote_REF6(t *testing.T) {
	noteID := id("note")
	justAfterMidnight := time.Date(2025, time.June, 30, 23, 30, 0, 0, time.UTC) // 1 July 00:30 BST
	tests := []struct {
		name   string
		actor  domain.Actor
		text   string
		agreed string
		at     time.Time
		code   domain.Code
		fields []string
	}{
		{name: "OKByReceiver", actor: receiverAdviser, text: "Called the client"},
		{name: "OKByReferrer", actor: referrerAdviser, text: "Client asked for an update"},
		{name: "OKByReferrerBeforeAcknowledge", actor: referrerLead, text: "Chasing"},
		{name: "OKAgreedCloseByToday", actor: receiverAdviser, text: "Agreed with referrer", agreed: today},
		{name: "OKAgreedCloseByLater", actor: referrerAdviser, text: "Agreed with receiver", agreed: "2025-07-31"},
		{name: "OKAgreedCloseByTodayInLondon", actor: receiverAdviser, text: "Agreed", agreed: "2025-07-01",
			at: justAfterMidnight},
		{name: "ErrAgreedCloseByYesterday", actor: receiverAdviser, text: "Agreed", agreed: "2025-06-09",
			code: domain.Invalid, fields: []string{"agreed_close_by"}},
		{name: "ErrAgreedCloseByYesterdayInLondon", actor: receiverAdviser, text: "Agreed", agreed: "2025-06-30",
			at: justAfterMidnight, code: domain.Invalid, fields: []string{"agreed_close_by"}},
		{name: "ErrAgreedCloseByMalformed", actor: receiverAdviser, text: "Agreed", agreed: "31/07/2025",
			code: domain.Invalid, fields: []string{"agreed_close_by"}},
		{name: "ErrAgreedCloseByNoSuchDay", actor: receiverAdviser, text: "Agreed", agreed: "2025-06-31",
			code: domain.Invalid, fields: []string{"agreed_close_by"}},
		{name: "ErrNoText", actor: receiverAdviser, text: "  ", code: domain.Invalid, fields: []string{"text"}},
		{name: "ErrThirdOrganisation", actor: thirdAdviser, text: "Hello", code: domain.Forbidden},
		{name: "ErrReceiverHelpdesk", actor: receiverHelpdesk, text: "Hello", code: domain.Forbidden},
		{name: "ErrCoordinator", actor: coordinator, text: "Hello", code: domain.Forbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := now
			if !tt.at.IsZero() {
				at = tt.at
			}
			r := given(ackedRef()...).referral()
			if tt.name == "OKByReferrerBeforeAcknowledge" {
				r = given(madeRef(false)...).referral()
			}
			got := when(domain.DecideAddNote(r, tt.actor, domain.AddNote{NoteID: noteID, Text: tt.text, AgreedCloseBy: tt.agreed}, at))
			if tt.code != "" {
				got.thenError(t, tt.code, tt.fields...)
				return
			}
			got.then(t, &domain.ReferralNoteAdded{NoteID: noteID, ClientID: clientID, Text: tt.text, AgreedCloseBy: tt.agreed})
		})
	}
	t.Run("ErrNotFound", func(t *testing.T) {
		when(domain.DecideAddNote(domain.Referral{}, receiverAdviser, domain.AddNote{Text: "x"}, now)).
			thenError(t, domain.NotFound)
	})
}

// TestDeclineUrgency_REF7 covers R-REF-7: an urgent referral may be declined
// as urgent once, with feedback; it is then no longer treated as urgent.
func TestDeclineUrgency_REF7(t *testing.T) {
	declined := append(ackedRef(), by(receiverAdviser, &domain.ReferralUrgencyDeclined{Feedback: "Not urgent"}))
	tests := []struct {
		name     string
		referral []domain.Event
		feedback string
		code     domain.Code
		fields   []string
	}{
		{name: "OK", referral: ackedRef(), feedback: "No deadline this week"},
		{name: "OKBeforeAcknowledge", referral: madeRef(true), feedback: "No deadline this week"},
		{name: "ErrNoFeedback", referral: ackedRef(), feedback: " ", code: domain.Invalid, fields: []string{"feedback"}},
		{name: "ErrNotUrgent", referral: madeRef(false), feedback: "Not urgent", code: domain.Conflict},
		{name: "ErrTwice", referral: declined, feedback: "Still not urgent", code: domain.Conflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := when(domain.DecideDeclineUrgency(given(tt.referral...).referral(), receiverAdviser, tt.feedback))
			if tt.code != "" {
				got.thenError(t, tt.code, tt.fields...)
				return
			}
			got.then(t, &domain.ReferralUrgencyDeclined{ClientID: clientID, Feedback: tt.feedback})
		})
	}

	t.Run("UrgentNow", func(t *testing.T) {
		for _, c := range []struct {
			name   string
			events []domain.Event
			want   bool
		}{
			{"MadeUrgent", madeRef(true), true},
			{"MadeNotUrgent", madeRef(false), false},
			{"Declined", declined, false},
		} {
			r := given(c.events...).referral()
			if r.UrgentNow() != c.want {
				t.Errorf("%s: UrgentNow() = %v, want %v", c.name, r.UrgentNow(), c.want)
			}
		}
		r := given(declined...).referral()
		if !r.Urgent || !r.UrgencyDeclined || r.UrgencyFeedback != "Not urgent" {
			t.Errorf("declined state: Urgent %v, UrgencyDeclined %v, feedback %q", r.Urgent, r.UrgencyDeclined, r.UrgencyFeedback)
		}
	})
}
