package projections_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/calendar"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/projections"
	"github.com/referral-ledger/ledger/statistics"
)

func (l *statsLedger) decline(id, org uuid.UUID, at time.Time, reason string) {
	l.record(ledger.ReferralStream(id), org, at, &domain.ReferralDeclined{ClientID: l.client[id], ReasonCode: reason, Comment: statsMarker + " declined"})
}

func (l *statsLedger) reopen(id, org uuid.UUID, at time.Time) {
	l.record(ledger.ReferralStream(id), org, at, &domain.ReferralReopened{ClientID: l.client[id], Reason: statsMarker + " reopened"})
}

func (l *statsLedger) withdraw(id, org uuid.UUID, at time.Time) {
	l.record(ledger.ReferralStream(id), org, at, &domain.ReferralWithdrawn{ClientID: l.client[id], Reason: statsMarker + " withdrawn"})
}

// forward passes referral id, received by org, on to to as a new referral
// of the same client, as the ledger records it: the original's decision,
// then the new referral's making.
func (l *statsLedger) forward(id, org, to uuid.UUID, at time.Time) uuid.UUID {
	next, client := uuid.New(), l.client[id]
	l.client[next] = client
	l.record(ledger.ReferralStream(id), org, at, &domain.ReferralForwarded{ClientID: client, ForwardedTo: next, ToOrganisationID: to,
		Comment: statsMarker + " forwarded"})
	l.record(ledger.ReferralStream(next), org, at, &domain.ReferralMade{ReferralID: next, FromOrganisationID: org, ToOrganisationID: to,
		ClientID: client, Client: domain.Client{Name: statsMarker}, Reason: statsMarker,
		Consent: &domain.Consent{Method: domain.ConsentVerbal, Confirmed: true}, PrivacyNoticeGiven: true, ForwardedFrom: id})
	return next
}

// TestStatisticsLifecycleCounts_REF9_REF10_REF11_REF12 (R-STAT-1): the
// referrals an organisation received in a month count by what became of
// them as of the report: declined by reason code, forwarded, withdrawn,
// reopened (once or more, whatever its status now). A declined referral
// reopened and closed counts as reopened and closed, not declined; a
// forwarded one's successor counts as made by the forwarding organisation
// and received by the new one.
func TestStatisticsLifecycleCounts_REF9_REF10_REF11_REF12(t *testing.T) {
	l := newStatsLedger(t)
	mon := statsJan(12, 10)
	made := func() uuid.UUID { return l.made(statsOrgA, statsOrgB, false, mon) }
	l.decline(made(), statsOrgB, statsJan(13, 10), domain.DeclineNoCapacity)
	l.decline(made(), statsOrgB, statsJan(13, 11), domain.DeclineNoCapacity)
	l.decline(made(), statsOrgB, statsJan(13, 12), domain.DeclineNotEligible)
	again := made()
	l.decline(again, statsOrgB, statsJan(13, 13), domain.DeclineDuplicate)
	l.reopen(again, statsOrgB, statsJan(14, 9))
	l.close(again, statsOrgB, statsJan(15, 9), domain.OutcomePositive)
	twice := made()
	l.ack(twice, statsOrgB, statsJan(12, 11))
	l.close(twice, statsOrgB, statsJan(13, 9), domain.OutcomeNegative)
	l.reopen(twice, statsOrgB, statsJan(14, 9))
	l.close(twice, statsOrgB, statsJan(15, 9), domain.OutcomeNegative)
	l.reopen(twice, statsOrgB, statsJan(16, 9))
	l.close(twice, statsOrgB, statsJan(19, 9), domain.OutcomePositive)
	fwd := made()
	l.ack(fwd, statsOrgB, statsJan(12, 12))
	l.forward(fwd, statsOrgB, statsOrgC, statsJan(14, 10))
	l.withdraw(made(), statsOrgA, statsJan(14, 11))

	p := l.project(projections.NewStatistics(statsCalendar(t), domain.DefaultTimescales()), ledger.NewPublicCodec(), 0)
	tab := p.Table(calendar.MustParseDate("2026-01-01"), calendar.MustParseDate("2026-01-31"), statsNow)
	jan := statistics.MonthOf(2026, time.January)
	lifecycle := []statistics.Measure{statistics.DeclinedNotEligible, statistics.DeclinedNoCapacity, statistics.DeclinedCannotContact,
		statistics.DeclinedDuplicate, statistics.DeclinedWrongService, statistics.DeclinedOther,
		statistics.Forwarded, statistics.Withdrawn, statistics.Reopened}
	for _, tc := range []struct {
		name string
		org  uuid.UUID
		want map[statistics.Measure]int
	}{
		{"ReceiverB", statsOrgB, map[statistics.Measure]int{statistics.Made: 1, statistics.Received: 7,
			statistics.DeclinedNoCapacity: 2, statistics.DeclinedNotEligible: 1, statistics.Forwarded: 1, statistics.Withdrawn: 1,
			statistics.Reopened: 2, statistics.OutcomePositive: 2}},
		{"ReferrerA", statsOrgA, map[statistics.Measure]int{statistics.Made: 7}},
		{"NewReceiverC", statsOrgC, map[statistics.Measure]int{statistics.Received: 1, statistics.Overdue: 1}}, // never acknowledged
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tab.Cell(tc.org.String(), jan)
			for _, ms := range append([]statistics.Measure{statistics.Made, statistics.Received, statistics.OutcomePositive,
				statistics.OutcomeNegative, statistics.Overdue}, lifecycle...) {
				if c.Counts[ms] != tc.want[ms] {
					t.Errorf("%s = %d, want %d", ms, c.Counts[ms], tc.want[ms])
				}
			}
		})
	}

	t.Run("EveryReasonCodeHasItsMeasure", func(t *testing.T) {
		l := newStatsLedger(t)
		for _, reason := range domain.DeclineReasonCodes() {
			l.decline(l.made(statsOrgA, statsOrgB, false, mon), statsOrgB, statsJan(13, 10), reason)
		}
		p := l.project(projections.NewStatistics(statsCalendar(t), domain.DefaultTimescales()), ledger.NewPublicCodec(), 0)
		c := p.Table(calendar.MustParseDate("2026-01-01"), calendar.MustParseDate("2026-01-31"), statsNow).Cell(statsOrgB.String(), jan)
		for _, ms := range lifecycle[:6] {
			if c.Counts[ms] != 1 {
				t.Errorf("%s = %d, want 1: each reason code counts in a measure of its own", ms, c.Counts[ms])
			}
		}
	})

	// R-STAT-3: the new counts are controlled like every other: small
	// ones suppressed, in rows and totals alike.
	t.Run("DisclosureControl", func(t *testing.T) {
		rep := statistics.Publish(tab, statistics.DefaultRule(), statsByOrgMonth)
		for _, row := range append(slices.Clone(rep.Rows), rep.Totals) {
			for _, ms := range lifecycle {
				if v := row.Count(ms); !v.Suppressed && v.N != 0 {
					t.Errorf("%s %s: %s = %d published, want it suppressed (1 to 7) or 0", row.OrganisationName, row.Month, ms, v.N)
				}
			}
		}
		if !rep.Totals.Count(statistics.DeclinedNoCapacity).Suppressed {
			t.Error("a total of 2 declined for no capacity was published")
		}
	})
}
