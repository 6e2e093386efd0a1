package domain_test

import (
	"testing"
	"time"

	"github.com/referral-ledger/ledger/calendar"
	"github.com/referral-ledger/ledger/domain"
)

// TestEvolveReferral_Lifecycle folds the events of R-REF-9..12 into the
// referral's state: each sets its status and who/when/why, and none of the
// three endings is open (so none has a deadline or is overdue).
func TestEvolveReferral_Lifecycle(t *testing.T) {
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Hour) }
	t.Run("Declined_REF9", func(t *testing.T) {
		r := given(append(madeRef(false), by(receiverAdviser, &domain.ReferralDeclined{ClientID: clientID,
			ReasonCode: domain.DeclineNoCapacity, Comment: "Full this month"}))...).referral()
		if r.Status != domain.StatusDeclined || r.DeclineReasonCode != domain.DeclineNoCapacity || r.DeclineComment != "Full this month" ||
			!r.DeclinedAt.Equal(at(1)) || r.DeclinedBy != receiverAdviser.UserID || r.Status.Open() {
			t.Fatalf("declined: %+v", r)
		}
	})
	t.Run("Forwarded_REF10", func(t *testing.T) {
		next := id("forwarded referral")
		r := given(append(ackedRef(), by(receiverAdviser, &domain.ReferralForwarded{ClientID: clientID, ForwardedTo: next,
			ToOrganisationID: thirdOrgID, Comment: "Better placed"}))...).referral()
		if r.Status != domain.StatusForwarded || r.ForwardedTo != next || r.ForwardedToOrganisationID != thirdOrgID ||
			r.ForwardComment != "Better placed" || r.ForwardedBy != receiverAdviser.UserID || r.Status.Open() {
			t.Fatalf("forwarded: %+v", r)
		}
		m := made(false)
		m.ReferralID, m.ForwardedFrom, m.ForwardComment = next, referralID, "Better placed"
		n := given(by(receiverAdviser, m)).referral()
		if n.ForwardedFrom != referralID || n.ForwardedFromComment != "Better placed" || n.ClientID != clientID || n.Status != domain.StatusMade {
			t.Fatalf("new referral: %+v", n)
		}
	})
	t.Run("Withdrawn_REF11", func(t *testing.T) {
		r := given(append(madeRef(false), by(referrerAdviser, &domain.ReferralWithdrawn{ClientID: clientID, Reason: "Moved away"}))...).referral()
		if r.Status != domain.StatusWithdrawn || r.WithdrawReason != "Moved away" || r.WithdrawnBy != referrerAdviser.UserID || r.Status.Open() {
			t.Fatalf("withdrawn: %+v", r)
		}
	})
	t.Run("ReopenedAfterClosure_REF12", func(t *testing.T) {
		h := given(append(ackedRef(),
			by(receiverAdviser, &domain.ReferralNoteAdded{NoteID: id("n"), Text: "later", AgreedCloseBy: "2025-06-30"}),
			by(receiverAdviser, &domain.ReferralClosed{ClientID: clientID, Outcome: domain.OutcomeNegative, Comment: "done"}),
			by(receiverAdviser, &domain.ReferralReopened{ClientID: clientID, Reason: "Client came back"}))...)
		r := h.referral()
		if r.Status != domain.StatusAcknowledged || r.Outcome != "" || r.Comment != "" || !r.ClosedAt.IsZero() ||
			r.AgreedCloseBy != "" || r.ReopenReason != "Client came back" || r.Reopens != 1 || !r.ReopenedAt.Equal(h[len(h)-1].At) ||
			!r.AcknowledgedAt.Equal(at(1)) {
			t.Fatalf("reopened: %+v", r)
		}
	})
	t.Run("ReopenedAfterDeclineBeforeAcknowledgement_REF12", func(t *testing.T) {
		h := given(append(madeRef(false),
			by(receiverAdviser, &domain.ReferralDeclined{ClientID: clientID, ReasonCode: domain.DeclineOther, Comment: "x"}),
			by(receiverColleague, &domain.ReferralReopened{ClientID: clientID, Reason: "Mistake"}))...)
		r := h.referral()
		if r.Status != domain.StatusAcknowledged || r.DeclineReasonCode != "" || !r.DeclinedAt.IsZero() ||
			!r.AcknowledgedAt.Equal(at(2)) || r.AcknowledgedBy != receiverColleague.UserID {
			t.Fatalf("reopened: %+v", r)
		}
	})
}

// TestDeadlines_ReopenedRestartsCloseBy_REF12: the closing deadline of a
// reopened referral restarts from the day of reopening (5 working days
// after it; urgent: 2 counting it), and the endings have no deadline.
func TestDeadlines_ReopenedRestartsCloseBy_REF12(t *testing.T) {
	cal, err := calendar.New(calendar.EnglandAndWales, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := domain.DefaultTimescales()
	r := given(append(madeRef(false), by(receiverAdviser, &domain.ReferralAcknowledged{}))...).referral()
	r.Status, r.ReopenedAt = domain.StatusAcknowledged, time.Date(2025, time.July, 1, 9, 0, 0, 0, time.UTC) // a Tuesday
	d := ts.Deadlines(r, cal)
	if want := cal.EndOfDay(calendar.MustParseDate("2025-07-08")); !d.CloseBy.Equal(want) {
		t.Errorf("close by %v, want %v", d.CloseBy, want)
	}
	r.Urgent = true
	if want := cal.EndOfDay(calendar.MustParseDate("2025-07-02")); !ts.Deadlines(r, cal).CloseBy.Equal(want) {
		t.Errorf("urgent close by %v, want %v", ts.Deadlines(r, cal).CloseBy, want)
	}
	for _, s := range []domain.Status{domain.StatusDeclined, domain.StatusForwarded, domain.StatusWithdrawn} {
		r.Status = s
		if _, _, ok := d.Next(r); ok || d.Overdue(r, r.ReopenedAt.AddDate(1, 0, 0)) {
			t.Errorf("%s has a deadline or is overdue", s)
		}
	}
}
