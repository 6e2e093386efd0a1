package projections

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// TestRetentionSparesALiveReferral_PRIV5_REF12: the clients index, which
// drives retention shredding, counts a reopened referral as open again,
// so a client with a live referral is never due, however long ago it was
// first closed or declined; a new end restarts the period. Declined,
// forwarded and withdrawn referrals are ended like closed ones, and a
// forwarded referral's successor, of the same client, keeps them live.
func TestRetentionSparesALiveReferral_PRIV5_REF12(t *testing.T) {
	const period = 30 * 24 * time.Hour
	day := func(d int) time.Time { return at(2026, 1, 1, 10).AddDate(0, 0, d) }
	orgA, orgB, orgC := uuid.New(), uuid.New(), uuid.New()
	type step struct {
		on   int // day of the event
		ev   func(client uuid.UUID) domain.Event
		next bool // on the forwarded successor's stream
	}
	made := func(client uuid.UUID) domain.Event {
		return &domain.ReferralMade{FromOrganisationID: orgA, ToOrganisationID: orgB, ClientID: client}
	}
	closed := func(client uuid.UUID) domain.Event {
		return &domain.ReferralClosed{ClientID: client, Outcome: domain.OutcomePositive}
	}
	declined := func(client uuid.UUID) domain.Event {
		return &domain.ReferralDeclined{ClientID: client, ReasonCode: domain.DeclineNoCapacity}
	}
	reopened := func(client uuid.UUID) domain.Event { return &domain.ReferralReopened{ClientID: client} }
	withdrawn := func(client uuid.UUID) domain.Event { return &domain.ReferralWithdrawn{ClientID: client} }
	for _, tc := range []struct {
		name  string
		steps []step
		// due is the day the client falls due (-1: not at all), checked
		// on day 200.
		due int
	}{
		{"Closed", []step{{0, made, false}, {5, closed, false}}, 5 + 30},
		{"ClosedThenReopened", []step{{0, made, false}, {5, closed, false}, {60, reopened, false}}, -1},
		{"DeclinedThenReopened", []step{{0, made, false}, {5, declined, false}, {20, reopened, false}}, -1},
		{"ReopenedThenClosedAgain", []step{{0, made, false}, {5, closed, false}, {20, reopened, false}, {50, closed, false}}, 50 + 30},
		{"Declined", []step{{0, made, false}, {7, declined, false}}, 7 + 30},
		{"Withdrawn", []step{{0, made, false}, {9, withdrawn, false}}, 9 + 30},
		{"ForwardedSuccessorOpen", []step{{0, made, false}, {3, nil, false}}, -1},
		{"ForwardedSuccessorClosed", []step{{0, made, false}, {3, nil, false}, {40, closed, true}}, 40 + 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client, id, next := uuid.New(), uuid.New(), uuid.New()
			log := newEventLog()
			for _, s := range tc.steps {
				if s.ev == nil { // a forward: the original's decision, then the successor's making
					log.referral(id, day(s.on), &domain.ReferralForwarded{ClientID: client, ForwardedTo: next, ToOrganisationID: orgC})
					log.referral(next, day(s.on), &domain.ReferralMade{ReferralID: next, FromOrganisationID: orgB, ToOrganisationID: orgC,
						ClientID: client, ForwardedFrom: id})
					continue
				}
				ev := s.ev(client)
				if m, ok := ev.(*domain.ReferralMade); ok {
					m.ReferralID = id
				}
				stream := id
				if s.next {
					stream = next
				}
				log.referral(stream, day(s.on), ev)
			}
			p := NewClients()
			feed(p, log.events)
			due := p.DueForRetention(day(200), period, true)
			if tc.due < 0 {
				if len(due) != 0 {
					t.Fatalf("a client with a live referral is listed for retention: %+v", due)
				}
				if p.DueForRetention(day(200), period, false) != nil {
					t.Fatal("a client with a live referral is due for shredding")
				}
				return
			}
			if len(due) != 1 || due[0].ClientID != client || !due[0].Due.Equal(day(tc.due)) {
				t.Fatalf("due = %+v, want the client due on day %d", due, tc.due)
			}
			if got := p.DueForRetention(day(tc.due).Add(-time.Minute), period, false); len(got) != 0 {
				t.Fatalf("due before its day: %+v", got)
			}
		})
	}
}
