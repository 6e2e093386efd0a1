package projections

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/calendar"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/statistics"
)

// TestStatisticsAndClientsRebuildEqualsIncremental extends R-VIEW-5 to the
// statistics and the clients index over random histories with declines,
// withdrawals, reopenings and forwards (R-REF-9..12): built incrementally
// or rebuilt from scratch they agree, and both agree with the referrals'
// states replayed afresh by domain.EvolveReferral — so the statistics'
// string-free facts lose nothing the counts depend on, and the clients
// index lists for retention exactly the clients none of whose referrals
// is open, due from their last end (R-PRIV-5).
func TestStatisticsAndClientsRebuildEqualsIncremental(t *testing.T) {
	seed := *viewsSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	runs := 8
	if testing.Short() {
		runs = 3
	}
	t.Logf("seed %d (repeat with -args -views.seed=%d)", seed, seed)
	cal := testCalendar(t)
	ts := domain.DefaultTimescales()
	const period = 40 * 24 * time.Hour
	from, to := calendar.MustParseDate("2026-12-01"), calendar.MustParseDate("2027-04-30")
	for run := range runs {
		s := seed + uint64(run)
		rng := rand.New(rand.NewPCG(s, s^0x51ed2701))
		w := newWorld(rng)
		events := randomHistory(rng, w, cal, 20+rng.IntN(60)).events
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("seed %d (run %d of base seed %d): %s", s, run, seed, fmt.Sprintf(format, args...))
		}

		stats, clients := NewStatistics(cal, ts), NewClients()
		for fed := 0; fed < len(events); {
			n := min(len(events)-fed, 1+rng.IntN(len(events)/4+1))
			feed(stats, events[fed:fed+n])
			feed(clients, events[fed:fed+n])
			fed += n
		}
		rebuiltStats, rebuiltClients := NewStatistics(cal, ts), NewClients()
		feed(rebuiltStats, events)
		feed(rebuiltClients, events)

		// The expectation: every referral replayed afresh, in full.
		states := map[uuid.UUID]domain.Referral{}
		for _, e := range events {
			if id, ok := ledger.ReferralIDFromStream(e.stored.Stream); ok {
				states[id] = domain.EvolveReferral(states[id], e.rec)
			}
		}
		replayed := NewStatistics(cal, ts)
		for id, r := range states {
			replayed.referrals[id] = factsOf(r)
			if got := replayed.referrals[id].referral(); !sameFacts(got, r) {
				fail("referral %s: the statistics' facts rebuild\n %+v\nfrom\n %+v", id, got, r)
			}
		}
		open, ended := map[uuid.UUID]bool{}, map[uuid.UUID]time.Time{}
		for _, r := range states {
			if r.Open() {
				open[r.ClientID] = true
			} else if r.EndedAt().After(ended[r.ClientID]) {
				ended[r.ClientID] = r.EndedAt()
			}
		}
		var wantDue []string
		for client, last := range ended {
			if !open[client] {
				wantDue = append(wantDue, fmt.Sprintf("%s %s", client, stamp(last.Add(period))))
			}
		}
		slices.Sort(wantDue)

		for _, now := range []time.Time{at(2026, 12, 20, 9), at(2027, 1, 15, 12), at(2027, 3, 1, 0), at(2027, 6, 1, 0)} {
			want := renderTable(replayed.Table(from, to, now), w.orgs)
			if got := renderTable(stats.Table(from, to, now), w.orgs); got != want {
				fail("statistics built incrementally at %s:\n%s\nwant (replayed afresh):\n%s", stamp(now), got, want)
			}
			if got := renderTable(rebuiltStats.Table(from, to, now), w.orgs); got != want {
				fail("statistics rebuilt at %s:\n%s\nwant (replayed afresh):\n%s", stamp(now), got, want)
			}
			for name, c := range map[string]*Clients{"incremental": clients, "rebuilt": rebuiltClients} {
				var got []string
				for _, d := range c.DueForRetention(now, period, true) {
					got = append(got, fmt.Sprintf("%s %s", d.ClientID, stamp(d.Due)))
				}
				slices.Sort(got)
				if !slices.Equal(got, wantDue) {
					fail("clients index (%s) lists for retention\n%s\nwant\n%s", name, strings.Join(got, "\n"), strings.Join(wantDue, "\n"))
				}
			}
		}
	}
}

// sameFacts reports whether the referral the statistics rebuild from
// their facts agrees with the full state on everything they keep.
func sameFacts(got, r domain.Referral) bool {
	return got.Status == r.Status && got.FromOrganisationID == r.FromOrganisationID && got.ToOrganisationID == r.ToOrganisationID &&
		got.Urgent == r.Urgent && got.UrgencyDeclined == r.UrgencyDeclined && got.MadeAt.Equal(r.MadeAt) &&
		got.AcknowledgedAt.Equal(r.AcknowledgedAt) && got.EndedAt().Equal(r.EndedAt()) && got.Outcome == r.Outcome &&
		got.AgreedCloseBy == r.AgreedCloseBy && got.DeclineReasonCode == r.DeclineReasonCode && got.ForwardedTo == r.ForwardedTo &&
		got.ReopenedAt.Equal(r.ReopenedAt) && got.Reopens == r.Reopens
}

// renderTable writes every cell of the organisations' months: counts and
// medians.
func renderTable(t *statistics.Table, orgs []uuid.UUID) string {
	var b strings.Builder
	for _, org := range orgs {
		for _, m := range t.Months() {
			c := t.Cell(org.String(), m)
			fmt.Fprintf(&b, "%s %s %v", org, m, c.Counts)
			for _, md := range statistics.Medians() {
				v, ok := c.Samples[md].Median()
				fmt.Fprintf(&b, " %s=%v/%v", md, v, ok)
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}
