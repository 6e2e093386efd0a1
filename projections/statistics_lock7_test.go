package projections_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/calendar"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/projections"
	"github.com/referral-ledger/ledger/statistics"
)

// lockStep is one event of a client's lock: a request, approved or
// refused, or an unlock asked for and approved.
type lockStep struct {
	at   time.Time
	kind string // "request", "approve", "refuse", "lift"
}

// lockLife records, for a new client, each step of a lock the
// organisation's managers asked for (the steps of one request each).
func (l *statsLedger) lockLife(org uuid.UUID, steps ...lockStep) {
	client := uuid.New()
	stream := "client-" + client.String()
	var req uuid.UUID
	for _, s := range steps {
		switch s.kind {
		case "request":
			req = uuid.New()
			l.record(stream, org, s.at, &domain.LockRequested{RequestID: req, ClientID: client, ResponsibleUserID: uuid.New(),
				Reason: statsMarker + " lock reason", Allow: []domain.Party{{Team: "duty"}}})
		case "approve":
			l.record(stream, org, s.at, &domain.LockApproved{RequestID: req})
		case "refuse":
			l.record(stream, org, s.at, &domain.LockRefused{RequestID: req, ClientID: client, Reason: statsMarker + " refused"})
		case "lift":
			unlock := uuid.New()
			l.record(stream, org, s.at, &domain.UnlockRequested{RequestID: unlock, ClientID: client, Reason: statsMarker + " unlock"})
			l.record(stream, org, s.at, &domain.UnlockApproved{RequestID: unlock})
		}
	}
}

// TestLockedAtMonthEnd_LOCK7 (R-LOCK-7, R-LOCK-10): the cases locked at
// each month's end count the locks approved before the month ended
// (Europe/London) and not lifted by then, for the organisation whose
// manager asked for them, whenever they were asked for: a case locked in
// January and lifted in April counts at the end of January, February and
// March, not April; one locked last year and still locked counts in every
// month; a lock approved, or lifted, after a month's last instant in
// London (though before it in UTC, under summer time) does not count, or
// still counts, in it; a request pending or refused never counts. Over
// several months (a row by organisation only) the count is the last
// month's.
func TestLockedAtMonthEnd_LOCK7(t *testing.T) {
	utc := func(month time.Month, day, hour, minute int) time.Time {
		return time.Date(2026, month, day, hour, minute, 0, 0, time.UTC)
	}
	for _, tc := range []struct {
		name  string
		steps []lockStep
		want  [5]int // January to May 2026
	}{
		{"LockedInJanuaryLiftedInApril", []lockStep{{utc(1, 12, 10, 0), "request"}, {utc(1, 15, 10, 0), "approve"},
			{utc(4, 10, 10, 0), "lift"}}, [5]int{1, 1, 1, 0, 0}},
		{"LockedLastYearStillLocked", []lockStep{{time.Date(2025, time.November, 3, 10, 0, 0, 0, time.UTC), "request"},
			{time.Date(2025, time.December, 10, 10, 0, 0, 0, time.UTC), "approve"}}, [5]int{1, 1, 1, 1, 1}},
		// 23:30 UTC on 31 March is 00:30 on 1 April in London (BST).
		{"ApprovedAfterMarchEndedInLondon", []lockStep{{utc(3, 25, 10, 0), "request"}, {utc(3, 31, 23, 30), "approve"}},
			[5]int{0, 0, 0, 1, 1}},
		// 23:30 UTC on 31 January is still 31 January in London (GMT).
		{"ApprovedOnJanuarysLastEvening", []lockStep{{utc(1, 25, 10, 0), "request"}, {utc(1, 31, 23, 30), "approve"}},
			[5]int{1, 1, 1, 1, 1}},
		{"LiftedAfterAprilEndedInLondon", []lockStep{{utc(2, 18, 10, 0), "request"}, {utc(2, 20, 10, 0), "approve"},
			{utc(4, 30, 23, 30), "lift"}}, [5]int{0, 1, 1, 1, 0}},
		{"PendingNeverCounts", []lockStep{{utc(1, 12, 10, 0), "request"}}, [5]int{}},
		{"RefusedNeverCounts", []lockStep{{utc(1, 12, 10, 0), "request"}, {utc(1, 14, 10, 0), "refuse"}}, [5]int{}},
		{"ReplacedWhilePendingNeverCounts", []lockStep{{utc(1, 12, 10, 0), "request"}, {utc(2, 12, 10, 0), "request"}},
			[5]int{}},
		{"AskedForInDecemberApprovedInMarch", []lockStep{{time.Date(2025, time.December, 29, 10, 0, 0, 0, time.UTC), "request"},
			{utc(3, 2, 10, 0), "approve"}}, [5]int{0, 0, 1, 1, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newStatsLedger(t)
			l.lockLife(statsOrgB, tc.steps...)
			// Another organisation's referral, so the table has more than
			// the lock's owner to count for.
			l.made(statsOrgA, statsOrgC, false, utc(1, 5, 10, 0))
			p := l.project(projections.NewStatistics(statsCalendar(t), domain.DefaultTimescales()), ledger.NewPublicCodec(), 0)
			tab := p.Table(calendar.MustParseDate("2026-01-01"), calendar.MustParseDate("2026-05-31"), utc(6, 2, 12, 0))
			var got [5]int
			for i, m := range tab.Months() {
				got[i] = tab.Cell(statsOrgB.String(), m).Counts[statistics.LockedAtMonthEnd]
				for _, other := range []uuid.UUID{statsOrgA, statsOrgC} {
					if n := tab.Cell(other.String(), m).Counts[statistics.LockedAtMonthEnd]; n != 0 {
						t.Fatalf("%s: %d cases locked at the end of %s for an organisation that owns no lock", other, n, m)
					}
				}
			}
			if got != tc.want {
				t.Fatalf("cases locked at the end of January to May: %v, want %v", got, tc.want)
			}
			for _, row := range statsExact(tab, statistics.GroupBy{Organisation: true}).Rows {
				want := 0
				if row.OrganisationID == statsOrgB.String() {
					want = tc.want[4]
				}
				if got := row.Count(statistics.LockedAtMonthEnd).N; got != want {
					t.Fatalf("%s over January to May: %d cases locked, want %d (at the end of May)", row.OrganisationID, got, want)
				}
			}
		})
	}
}

// TestLockedAtMonthEndOfAPeriodEndingMidMonth_LOCK7: without disclosure
// control a period may end before its last month does; that month's
// cases locked are those at the end of the period's last day.
func TestLockedAtMonthEndOfAPeriodEndingMidMonth_LOCK7(t *testing.T) {
	l := newStatsLedger(t)
	l.lockLife(statsOrgB, lockStep{statsJan(5, 10), "request"}, lockStep{statsJan(6, 10), "approve"},
		lockStep{statsJan(20, 10), "lift"})
	p := l.project(projections.NewStatistics(statsCalendar(t), domain.DefaultTimescales()), ledger.NewPublicCodec(), 0)
	jan := statistics.MonthOf(2026, time.January)
	for to, want := range map[string]int{"2026-01-10": 1, "2026-01-19": 1, "2026-01-20": 0, "2026-01-31": 0} {
		tab := p.Table(calendar.MustParseDate("2026-01-01"), calendar.MustParseDate(to), statsNow)
		if got := tab.Cell(statsOrgB.String(), jan).Counts[statistics.LockedAtMonthEnd]; got != want {
			t.Errorf("to %s: %d cases locked at the end of the period, want %d", to, got, want)
		}
	}
}

// TestLockedAtMonthEndOfMonthsNotOver_LOCK7: without disclosure control a
// period may reach past now. A month not over, the month under way or one
// not begun, counts the locks in force now (nothing after now is known),
// (a lock approved after the instant the report is made for, by a write
// landing while it is made, is not yet counted); over the period the
// count is the one now.
func TestLockedAtMonthEndOfMonthsNotOver_LOCK7(t *testing.T) {
	l := newStatsLedger(t)
	l.lockLife(statsOrgB, lockStep{statsJan(5, 10), "request"}, lockStep{statsJan(6, 10), "approve"})
	l.lockLife(statsOrgB, lockStep{statsJan(7, 10), "request"}, lockStep{statsJan(8, 10), "approve"},
		lockStep{time.Date(2026, time.February, 10, 10, 0, 0, 0, time.UTC), "lift"})
	l.lockLife(statsOrgB, lockStep{time.Date(2026, time.February, 15, 11, 0, 0, 0, time.UTC), "request"},
		lockStep{time.Date(2026, time.February, 15, 12, 0, 1, 0, time.UTC), "approve"})
	p := l.project(projections.NewStatistics(statsCalendar(t), domain.DefaultTimescales()), ledger.NewPublicCodec(), 0)
	now := time.Date(2026, time.February, 15, 12, 0, 0, 0, time.UTC)
	tab := p.Table(calendar.MustParseDate("2026-01-01"), calendar.MustParseDate("2026-04-30"), now)
	var got []int
	for _, m := range tab.Months() {
		got = append(got, tab.Cell(statsOrgB.String(), m).Counts[statistics.LockedAtMonthEnd])
	}
	if fmt.Sprint(got) != "[2 1 1 1]" {
		t.Fatalf("cases locked at the end of January to April, on 15 February: %v, want [2 1 1 1]", got)
	}
	byOrg := statsExact(tab, statistics.GroupBy{Organisation: true})
	for _, row := range byOrg.Rows {
		if row.OrganisationID == statsOrgB.String() && row.Count(statistics.LockedAtMonthEnd).N != 1 {
			t.Fatalf("over January to April, on 15 February: %d cases locked, want 1", row.Count(statistics.LockedAtMonthEnd).N)
		}
	}
}
