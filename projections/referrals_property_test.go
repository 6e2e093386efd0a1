package projections

import (
	"cmp"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/calendar"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
)

// viewsSeed repeats a failing run of TestViewsRebuildEqualsIncremental:
// go test ./projections/ -run TestViewsRebuildEqualsIncremental -args -views.seed=N
var viewsSeed = flag.Uint64("views.seed", 0, "seed of the first random history of the views property test (0: from the clock)")

// world is a small random network: a few organisations with a few users.
type world struct {
	orgs  []uuid.UUID
	users map[uuid.UUID][]uuid.UUID // organisation → its users
}

func newWorld(rng *rand.Rand) world {
	w := world{users: map[uuid.UUID][]uuid.UUID{}}
	for range 4 {
		org := randomID(rng)
		w.orgs = append(w.orgs, org)
		for range 3 {
			w.users[org] = append(w.users[org], randomID(rng))
		}
	}
	return w
}

func randomID(rng *rand.Rand) uuid.UUID {
	var id uuid.UUID
	for i := range id {
		id[i] = byte(rng.UintN(256))
	}
	return id
}

// randomHistory makes referrals between w's organisations, each a valid
// random life (made; urgency declined; acknowledged; assigned and
// reassigned; notes, some with an agreed closing date; closed; declined,
// withdrawn, reopened after closing or declining, forwarded to a new
// referral whose life goes on) at random
// times around Christmas 2026, and interleaves their streams at random,
// with a few events of other streams between.
func randomHistory(rng *rand.Rand, w world, cal *calendar.Calendar, referrals int) *eventLog {
	type pending struct {
		stream string
		at     time.Time
		ev     domain.Event
	}
	start := at(2026, 12, 7, 0)
	var lives [][]pending
	for range referrals {
		id := randomID(rng)
		from := w.orgs[rng.IntN(len(w.orgs))]
		to := w.orgs[rng.IntN(len(w.orgs))]
		for to == from {
			to = w.orgs[rng.IntN(len(w.orgs))]
		}
		urgent := rng.IntN(3) == 0
		t := start.Add(time.Duration(rng.IntN(45*24*60)) * time.Minute)
		life := []pending{{at: t, ev: &domain.ReferralMade{ReferralID: id, FromOrganisationID: from, ToOrganisationID: to,
			ClientID: randomID(rng), Urgent: urgent, PrivacyNoticeGiven: true}}}
		life[0].stream = ledger.ReferralStream(id)
		status, declined, assignee := domain.StatusMade, false, uuid.Nil
		for rng.IntN(6) > 0 && status != domain.StatusWithdrawn {
			t = t.Add(time.Duration(rng.IntN(4*24*60)) * time.Minute)
			var ev domain.Event
			switch rng.IntN(10) {
			case 0:
				if status == domain.StatusMade {
					ev, status = &domain.ReferralAcknowledged{}, domain.StatusAcknowledged
				}
			case 1:
				if u := w.users[to][rng.IntN(len(w.users[to]))]; u != assignee && status.Open() {
					ev, assignee = &domain.ReferralAssigned{UserID: u}, u
				}
			case 2:
				note := &domain.ReferralNoteAdded{NoteID: randomID(rng)}
				if rng.IntN(2) == 0 {
					note.AgreedCloseBy = cal.DateOf(t).AddDays(rng.IntN(20)).String()
				}
				ev = note
			case 3:
				if urgent && !declined && status.Open() {
					ev, declined = &domain.ReferralUrgencyDeclined{}, true
				}
			case 4:
				if status == domain.StatusAcknowledged {
					ev, status = &domain.ReferralClosed{Outcome: []string{domain.OutcomePositive, domain.OutcomeNegative}[rng.IntN(2)]}, domain.StatusClosed
				}
			case 5: // R-REF-9
				if status.Open() {
					reasons := domain.DeclineReasonCodes()
					ev, status = &domain.ReferralDeclined{ReasonCode: reasons[rng.IntN(len(reasons))]}, domain.StatusDeclined
				}
			case 6: // R-REF-11
				if status.Open() {
					ev, status = &domain.ReferralWithdrawn{}, domain.StatusWithdrawn
				}
			case 7, 8: // R-REF-12
				if status == domain.StatusClosed || status == domain.StatusDeclined {
					ev, status = &domain.ReferralReopened{}, domain.StatusAcknowledged
				}
			case 9: // R-REF-10: the original's decision, then the new referral, whose life goes on here
				if status.Open() {
					next := w.orgs[rng.IntN(len(w.orgs))]
					for next == to {
						next = w.orgs[rng.IntN(len(w.orgs))]
					}
					successor := randomID(rng)
					life = append(life, pending{stream: ledger.ReferralStream(id), at: t,
						ev: &domain.ReferralForwarded{ForwardedTo: successor, ToOrganisationID: next}})
					ev = &domain.ReferralMade{ReferralID: successor, FromOrganisationID: to, ToOrganisationID: next,
						ClientID: life[0].ev.(*domain.ReferralMade).ClientID, Urgent: urgent, PrivacyNoticeGiven: true, ForwardedFrom: id}
					id, to, status, declined, assignee = successor, next, domain.StatusMade, false, uuid.Nil
				}
			}
			if ev != nil {
				life = append(life, pending{stream: ledger.ReferralStream(id), at: t, ev: ev})
			}
		}
		lives = append(lives, life)
	}
	log := newEventLog()
	for len(lives) > 0 {
		i := rng.IntN(len(lives))
		next := lives[i][0]
		log.add(next.stream, next.at, uuid.Nil, uuid.Nil, next.ev)
		if lives[i] = lives[i][1:]; len(lives[i]) == 0 {
			lives = slices.Delete(lives, i, i+1)
		}
		if rng.IntN(10) == 0 {
			org := w.orgs[rng.IntN(len(w.orgs))]
			log.add(ledger.OrganisationStream(org), next.at, uuid.Nil, org, &domain.OrganisationIntakeSwitchedOn{})
		}
	}
	return log
}

// listing is every list of every organisation and adviser at one time,
// each rendered item by item.
type listing map[string][]string

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func renderSummary(s ReferralSummary) string {
	return fmt.Sprintf("%s %s urgent=%v %s→%s client=%s assigned=%s made=%s ack=%s closed=%s ended=%s outcome=%q from=%s to=%s ackby=%s closeby=%s stage=%q next=%s overdue=%v rev=%d",
		s.ID, s.Status, s.Urgent, s.FromOrganisationID, s.ToOrganisationID, s.ClientID, s.AssignedTo, stamp(s.MadeAt),
		stamp(s.AcknowledgedAt), stamp(s.ClosedAt), stamp(s.EndedAt), s.Outcome, s.ForwardedFrom, s.ForwardedTo,
		stamp(s.Deadlines.AcknowledgeBy), stamp(s.Deadlines.CloseBy), s.Stage, stamp(s.NextDeadline), s.Overdue, s.Revision)
}

func renderOverdue(o OverdueReferral) string {
	return fmt.Sprintf("%s %s urgent=%v %s→%s stage=%s due=%s days=%d", o.ID, o.Status, o.Urgent,
		o.FromOrganisationID, o.ToOrganisationID, o.Stage, stamp(o.Due), o.WorkingDaysOverdue)
}

var inboxStatuses = append([]domain.Status{""}, domain.Statuses()...)

// read lists everything p shows at now, a page of pageSize() at a time,
// checking the pages fit together: full but the last, no item twice.
func (w world) read(tb testing.TB, p *Referrals, now time.Time, pageSize func() int) listing {
	tb.Helper()
	out := listing{}
	collect := func(name string, page func(after string, limit int) ([]string, string, error)) {
		seen, after := map[string]bool{}, ""
		for pages := 0; ; pages++ {
			limit := pageSize()
			items, next, err := page(after, limit)
			if err != nil {
				tb.Fatalf("%s: %v", name, err)
			}
			if len(items) > limit || (next != "" && len(items) < limit) || (pages > 0 && len(items) == 0) {
				tb.Fatalf("%s: page of %d items with limit %d and next %q", name, len(items), limit, next)
			}
			for _, it := range items {
				if seen[it] {
					tb.Fatalf("%s: listed twice: %s", name, it)
				}
				seen[it] = true
			}
			out[name] = append(out[name], items...)
			if next == "" {
				return
			}
			after = next
		}
	}
	summaries := func(pg Page[ReferralSummary], err error) ([]string, string, error) {
		out := make([]string, len(pg.Items))
		for i, s := range pg.Items {
			out[i] = renderSummary(s)
		}
		return out, pg.Next, err
	}
	overdue := func(org uuid.UUID) func(string, int) ([]string, string, error) {
		return func(after string, limit int) ([]string, string, error) {
			pg, err := p.Overdue(OverdueQuery{Organisation: org, After: after, Limit: limit}, now)
			out := make([]string, len(pg.Items))
			for i, o := range pg.Items {
				out[i] = renderOverdue(o)
			}
			return out, pg.Next, err
		}
	}
	for _, org := range w.orgs {
		for _, st := range inboxStatuses {
			collect(fmt.Sprintf("inbox %s %q", org, st), func(after string, limit int) ([]string, string, error) {
				return summaries(p.Inbox(InboxQuery{Organisation: org, Status: st, After: after, Limit: limit}, now))
			})
			for _, u := range w.users[org] {
				collect(fmt.Sprintf("inbox %s assigned %s %q", org, u, st), func(after string, limit int) ([]string, string, error) {
					return summaries(p.Inbox(InboxQuery{Organisation: org, Assignee: u, Status: st, After: after, Limit: limit}, now))
				})
			}
		}
		collect(fmt.Sprintf("outbox %s", org), func(after string, limit int) ([]string, string, error) {
			return summaries(p.Outbox(OutboxQuery{Organisation: org, After: after, Limit: limit}, now))
		})
		collect(fmt.Sprintf("overdue %s", org), overdue(org))
	}
	collect("overdue", overdue(uuid.Nil))
	for _, sc := range w.searchCases() {
		collect("search "+sc.name, func(after string, limit int) ([]string, string, error) {
			q := sc.q
			q.After, q.Limit = after, limit
			return summaries(p.Search(q, now))
		})
	}
	return out
}

// expect computes every list at now the slow, obvious way from the
// referrals' states replayed afresh: filter, then sort.
func (w world) expect(events []fedEvent, cal *calendar.Calendar, ts domain.Timescales, now time.Time) listing {
	states := map[uuid.UUID]domain.Referral{}
	for _, e := range events {
		if id, ok := ledger.ReferralIDFromStream(e.stored.Stream); ok {
			states[id] = domain.EvolveReferral(states[id], e.rec)
		}
	}
	type row struct {
		r     domain.Referral
		d     domain.Deadlines
		stage domain.Stage
		next  time.Time
	}
	var rows []row
	for _, r := range states {
		d := ts.Deadlines(r, cal)
		stage, next, ok := d.Next(r)
		if !ok {
			next = time.Time{}
		}
		rows = append(rows, row{r, d, stage, next})
	}
	summary := func(x row) string {
		return renderSummary(ReferralSummary{ID: x.r.ID, Status: x.r.Status, Urgent: x.r.UrgentNow(),
			FromOrganisationID: x.r.FromOrganisationID, ToOrganisationID: x.r.ToOrganisationID, ClientID: x.r.ClientID,
			AssignedTo: x.r.AssignedTo, MadeAt: x.r.MadeAt, AcknowledgedAt: x.r.AcknowledgedAt, ClosedAt: x.r.ClosedAt,
			EndedAt: x.r.EndedAt(), ForwardedFrom: x.r.ForwardedFrom, ForwardedTo: x.r.ForwardedTo,
			Outcome: x.r.Outcome, Deadlines: x.d, Stage: x.stage, NextDeadline: x.next, Overdue: x.d.Overdue(x.r, now),
			Revision: x.r.Revision})
	}
	byID := func(a, b row) int { return strings.Compare(string(a.r.ID[:]), string(b.r.ID[:])) }
	nanos := func(t time.Time) int64 {
		if t.IsZero() {
			return math.MaxInt64
		}
		return t.UnixNano()
	}
	urgentFirst := func(a, b row) int {
		if c := cmp.Compare(nanos(a.next), nanos(b.next)); c != 0 {
			return c
		}
		if a.r.UrgentNow() != b.r.UrgentNow() {
			if a.r.UrgentNow() {
				return -1
			}
			return 1
		}
		return byID(a, b)
	}
	latestEnded := func(a, b row) int {
		if c := b.r.EndedAt().Compare(a.r.EndedAt()); c != 0 {
			return c
		}
		return byID(a, b)
	}
	newestMade := func(a, b row) int {
		if c := b.r.MadeAt.Compare(a.r.MadeAt); c != 0 {
			return c
		}
		return byID(a, b)
	}
	list := func(keep func(row) bool, order func(a, b row) int, render func(row) string) []string {
		var sel []row
		for _, x := range rows {
			if keep(x) {
				sel = append(sel, x)
			}
		}
		slices.SortFunc(sel, order)
		out := make([]string, len(sel))
		for i, x := range sel {
			out[i] = render(x)
		}
		return out
	}
	statusIs := func(x row, st domain.Status) bool {
		if st == "" {
			return x.r.Status == domain.StatusMade || x.r.Status == domain.StatusAcknowledged
		}
		return x.r.Status == st
	}
	orderOf := func(st domain.Status) func(a, b row) int {
		switch st {
		case domain.StatusClosed, domain.StatusDeclined, domain.StatusForwarded, domain.StatusWithdrawn:
			return latestEnded
		}
		return urgentFirst
	}
	overdueRender := func(x row) string {
		return renderOverdue(OverdueReferral{ID: x.r.ID, Status: x.r.Status, Urgent: x.r.UrgentNow(),
			FromOrganisationID: x.r.FromOrganisationID, ToOrganisationID: x.r.ToOrganisationID, Stage: x.stage, Due: x.next,
			WorkingDaysOverdue: cal.WorkingDaysBetween(cal.DateOf(x.next), cal.DateOf(now))})
	}
	isOverdue := func(x row) bool { return x.d.Overdue(x.r, now) }
	out := listing{}
	for _, org := range w.orgs {
		for _, st := range inboxStatuses {
			out[fmt.Sprintf("inbox %s %q", org, st)] = list(func(x row) bool { return x.r.ToOrganisationID == org && statusIs(x, st) }, orderOf(st), summary)
			for _, u := range w.users[org] {
				out[fmt.Sprintf("inbox %s assigned %s %q", org, u, st)] = list(func(x row) bool {
					return x.r.ToOrganisationID == org && x.r.AssignedTo == u && statusIs(x, st)
				}, orderOf(st), summary)
			}
		}
		out[fmt.Sprintf("outbox %s", org)] = list(func(x row) bool { return x.r.FromOrganisationID == org }, newestMade, summary)
		out[fmt.Sprintf("overdue %s", org)] = list(func(x row) bool { return isOverdue(x) && x.r.Involves(org) }, urgentFirst, overdueRender)
	}
	out["overdue"] = list(isOverdue, urgentFirst, overdueRender)
	for _, sc := range w.searchCases() {
		out["search "+sc.name] = list(func(x row) bool { return sc.match(x.r) }, newestMade, summary)
	}
	return out
}

// diff describes the first difference between two listings, "" if none.
func diff(what string, got, want listing) string {
	names := make([]string, 0, len(want))
	for name := range want {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		g, w := got[name], want[name]
		for i := range max(len(g), len(w)) {
			switch {
			case i >= len(g):
				return fmt.Sprintf("%s: %s lacks item %d: %s", what, name, i, w[i])
			case i >= len(w):
				return fmt.Sprintf("%s: %s has an extra item %d: %s", what, name, i, g[i])
			case g[i] != w[i]:
				return fmt.Sprintf("%s: %s item %d\n got %s\nwant %s", what, name, i, g[i], w[i])
			}
		}
	}
	if len(got) != len(want) {
		return fmt.Sprintf("%s: %d lists, want %d", what, len(got), len(want))
	}
	return ""
}

// TestViewsRebuildEqualsIncremental is R-VIEW-5: for random valid
// histories, a projection built incrementally (events fed in chunks, with
// lists read between) shows the same inbox, outbox and overdue lists as one
// rebuilt from scratch with every event at once, at several times, and
// both show what replaying each referral afresh and sorting gives.
func TestViewsRebuildEqualsIncremental(t *testing.T) {
	seed := *viewsSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	runs := 15
	if testing.Short() {
		runs = 4
	}
	t.Logf("seed %d (repeat with -args -views.seed=%d)", seed, seed)
	cal := testCalendar(t)
	ts := domain.DefaultTimescales()
	seen := map[string]int{}
	defer func() {
		// The histories exercise every referral event type, the
		// lifecycle's included (R-REF-9..12).
		for _, typ := range domain.ReferralEventTypes() {
			if seen[typ] == 0 && !t.Failed() {
				t.Errorf("seed %d: no history had a %s event", seed, typ)
			}
		}
	}()
	for run := range runs {
		s := seed + uint64(run)
		rng := rand.New(rand.NewPCG(s, s^0x9e3779b97f4a7c15))
		w := newWorld(rng)
		log := randomHistory(rng, w, cal, 20+rng.IntN(80))
		events := log.events
		for _, e := range events {
			seen[e.stored.Type]++
		}
		pageSize := func() int {
			if rng.IntN(8) == 0 {
				return MaxLimit
			}
			return 1 + rng.IntN(7)
		}
		randomNow := func() time.Time {
			return at(2026, 12, 7, 0).Add(time.Duration(rng.IntN(70*24*60)) * time.Minute)
		}
		fail := func(msg string) {
			t.Helper()
			t.Fatalf("seed %d (run %d of base seed %d): %s", s, run, seed, msg)
		}

		incremental := NewReferrals(cal, ts)
		for fed := 0; fed < len(events); {
			n := min(len(events)-fed, 1+rng.IntN(len(events)/4+1))
			feed(incremental, events[fed:fed+n])
			fed += n
			now := randomNow()
			if d := diff(fmt.Sprintf("incremental after %d events at %s", fed, stamp(now)),
				w.read(t, incremental, now, pageSize), w.expect(events[:fed], cal, ts, now)); d != "" {
				fail(d)
			}
		}
		rebuilt := NewReferrals(cal, ts)
		feed(rebuilt, events)
		if incremental.Checkpoint() != rebuilt.Checkpoint() {
			fail(fmt.Sprintf("checkpoints %d and %d", incremental.Checkpoint(), rebuilt.Checkpoint()))
		}
		for _, now := range []time.Time{at(2026, 12, 1, 0), at(2026, 12, 25, 12), at(2027, 1, 4, 9), at(2027, 3, 1, 0), randomNow()} {
			got, again, want := w.read(t, incremental, now, pageSize), w.read(t, rebuilt, now, pageSize), w.expect(events, cal, ts, now)
			if d := diff("incremental against rebuilt at "+stamp(now), got, again); d != "" {
				fail(d)
			}
			if d := diff("rebuilt against a fresh replay at "+stamp(now), again, want); d != "" {
				fail(d)
			}
		}
	}
}
