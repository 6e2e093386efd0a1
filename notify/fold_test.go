package notify

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/calendar"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/ledger"
)

// TestNotifierTracksTheLifecycle_REF9_REF10_REF11_REF12: the notifier's
// referrals are folded by EvolveReferral, so declined, forwarded and
// withdrawn referrals leave its overdue digest like closed ones, a
// forwarded referral's successor is tracked with deadlines of its own, and
// a reopened referral is tracked again, overdue once past the close-by
// date that restarted on the day of reopening (R-NOTE-1).
func TestNotifierTracksTheLifecycle_REF9_REF10_REF11_REF12(t *testing.T) {
	cal, err := calendar.New(calendar.EnglandAndWales, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := &Notifier{state: newState(), opts: Options{Timescales: domain.DefaultTimescales(), Calendar: cal}}
	day := func(d int) time.Time { return time.Date(2026, 2, 2, 10, 0, 0, 0, time.UTC).AddDate(0, 0, d) }
	from, to, onward := uuid.New(), uuid.New(), uuid.New()
	apply := func(id uuid.UUID, on int, e domain.Event) {
		n.state.apply(eventstore.RecordedEvent{Stream: ledger.ReferralStream(id), Type: e.EventType()},
			domain.Recorded{Event: e, At: day(on), Withheld: true})
	}
	made := func(id uuid.UUID, on int) {
		apply(id, on, &domain.ReferralMade{ReferralID: id, FromOrganisationID: from, ToOrganisationID: to, ClientID: uuid.New()})
		apply(id, on, &domain.ReferralAcknowledged{})
	}
	declined, withdrawn, forwarded, successor, reopened := uuid.New(), uuid.New(), uuid.New(), uuid.New(), uuid.New()
	for _, id := range []uuid.UUID{declined, withdrawn, forwarded, reopened} {
		made(id, 0)
	}
	apply(declined, 1, &domain.ReferralDeclined{ReasonCode: domain.DeclineNoCapacity})
	apply(withdrawn, 1, &domain.ReferralWithdrawn{})
	apply(forwarded, 1, &domain.ReferralForwarded{ForwardedTo: successor, ToOrganisationID: onward})
	apply(successor, 1, &domain.ReferralMade{ReferralID: successor, FromOrganisationID: to, ToOrganisationID: onward, ForwardedFrom: forwarded})
	apply(reopened, 1, &domain.ReferralClosed{Outcome: domain.OutcomePositive})
	apply(reopened, 20, &domain.ReferralReopened{})

	overdueAt := func(now time.Time) map[uuid.UUID]bool {
		out := map[uuid.UUID]bool{}
		for _, o := range n.overdue(now) {
			out[o.referral.ID] = true
		}
		return out
	}
	// The reopened referral's normal close-by, from the day of making,
	// has passed long before; from the day of reopening, it has not yet.
	due := domain.DefaultTimescales().Deadlines(n.state.referrals[reopened], cal).CloseBy
	if !due.After(day(20)) {
		t.Fatalf("the reopened referral is due by %v, not after its reopening on %v", due, day(20))
	}
	if got := overdueAt(due.Add(-time.Hour)); got[reopened] || got[declined] || got[withdrawn] || got[forwarded] {
		t.Errorf("overdue before the reopened referral's new close-by: %v", got)
	}
	got := overdueAt(due.Add(time.Hour))
	if !got[reopened] {
		t.Error("the reopened referral is not tracked again: it is not overdue past its new close-by")
	}
	if !got[successor] {
		t.Error("the forwarded referral's successor is not tracked")
	}
	if got[declined] || got[withdrawn] || got[forwarded] {
		t.Errorf("an ended referral is overdue: %v", got)
	}
}
