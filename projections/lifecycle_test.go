package projections

import (
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// TestEndedReferralsLeaveTheWork_REF9_REF10_REF11_REF12: declined,
// forwarded and withdrawn referrals are not open, not overdue and listed
// only by their status; a forwarded one's successor is open in its new
// receiver's inbox with fresh deadlines, linked both ways; a reopened one is
// back in the inbox, its close-by restarting from the day of reopening.
func TestEndedReferralsLeaveTheWork_REF9_REF10_REF11_REF12(t *testing.T) {
	from, to, third := uuid.New(), uuid.New(), uuid.New()
	declined, forwarded, next, withdrawn, reopened := uuid.New(), uuid.New(), uuid.New(), uuid.New(), uuid.New()
	log := newEventLog()
	made := func(id, from, to uuid.UUID, at time.Time, fwd uuid.UUID) {
		log.referral(id, at, &domain.ReferralMade{ReferralID: id, FromOrganisationID: from, ToOrganisationID: to, ClientID: uuid.New(), ForwardedFrom: fwd})
	}
	for _, id := range []uuid.UUID{declined, forwarded, withdrawn, reopened} {
		made(id, from, to, at(2026, 11, 2, 10), uuid.Nil) // a Monday: acknowledge by Wednesday 4th
	}
	log.referral(declined, at(2026, 11, 2, 11), &domain.ReferralDeclined{ReasonCode: domain.DeclineNoCapacity})
	log.referral(forwarded, at(2026, 11, 2, 12), &domain.ReferralForwarded{ForwardedTo: next, ToOrganisationID: third})
	made(next, to, third, at(2026, 11, 20, 12), forwarded) // a Friday, to show the fresh start
	log.referral(withdrawn, at(2026, 11, 2, 13), &domain.ReferralWithdrawn{})
	log.referral(reopened, at(2026, 11, 2, 14), &domain.ReferralDeclined{ReasonCode: domain.DeclineOther})
	log.referral(reopened, at(2026, 11, 23, 9), &domain.ReferralReopened{}) // Monday 23rd: close by Monday 30th
	p := NewReferrals(testCalendar(t), domain.DefaultTimescales())
	feed(p, log.events)
	now := at(2026, 11, 24, 12)

	open, err := p.Inbox(InboxQuery{Organisation: to}, now)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(open.Items); !slices.Equal(got, []uuid.UUID{reopened}) {
		t.Errorf("open inbox %v, want only the reopened %v", got, reopened)
	}
	if r := open.Items[0]; r.Status != domain.StatusAcknowledged || !r.NextDeadline.Equal(endOf(2026, 11, 30)) || r.Overdue {
		t.Errorf("reopened: %+v", r)
	}
	for status, want := range map[domain.Status]uuid.UUID{domain.StatusDeclined: declined, domain.StatusForwarded: forwarded, domain.StatusWithdrawn: withdrawn} {
		page, err := p.Inbox(InboxQuery{Organisation: to, Status: status}, now)
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(page.Items); !slices.Equal(got, []uuid.UUID{want}) || page.Items[0].Overdue || !page.Items[0].NextDeadline.IsZero() {
			t.Errorf("%s inbox: %+v", status, page.Items)
		}
	}
	overdue, err := p.Overdue(OverdueQuery{}, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(overdue.Items) != 0 {
		t.Errorf("overdue lists ended referrals: %+v", overdue.Items)
	}
	thirds, err := p.Inbox(InboxQuery{Organisation: third}, now)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(thirds.Items); !slices.Equal(got, []uuid.UUID{next}) || !thirds.Items[0].NextDeadline.Equal(endOf(2026, 11, 24)) {
		t.Errorf("new receiver's inbox: %+v", thirds.Items)
	}
	if s, ok, err := p.Summary(forwarded, now); err != nil || !ok || s.ForwardedTo != next {
		t.Errorf("original: %+v, %v", s, err)
	}
	if s, ok, err := p.Summary(next, now); err != nil || !ok || s.ForwardedFrom != forwarded || s.FromOrganisationID != to {
		t.Errorf("successor: %+v, %v", s, err)
	}
	if _, ok, err := p.Summary(uuid.New(), now); err != nil || ok {
		t.Errorf("Summary of an unknown id: %v, %v", ok, err)
	}
}
