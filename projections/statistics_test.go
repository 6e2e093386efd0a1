package projections_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/calendar"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/projections"
	"github.com/referral-ledger/ledger/statistics"
)

// statsMarker is planted in every sensitive field of the scenario's events.
const statsMarker = "QQSTATMARKERQQ"

// statsKeys is an in-memory ledger.Keys, so events are sealed and opened
// by the full codec as in the ledger.
type statsKeys struct {
	mu     sync.Mutex
	keys   map[uuid.UUID]ledger.DataKey
	erased map[uuid.UUID]bool
}

func (m *statsKeys) KeyForWrite(_ context.Context, client uuid.UUID) (ledger.DataKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k, ok := m.keys[client]
	if !ok {
		_, _ = rand.Read(k[:])
		m.keys[client] = k
	}
	return k, nil
}

func (m *statsKeys) KeyForRead(_ context.Context, client uuid.UUID) (ledger.DataKey, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.erased[client] {
		return ledger.DataKey{}, true, nil
	}
	return m.keys[client], false, nil
}

// statsLedger records a scenario's events in their stored, sealed form.
type statsLedger struct {
	tb     testing.TB
	keys   *statsKeys
	codec  *ledger.Codec
	stored []eventstore.RecordedEvent
	client map[uuid.UUID]uuid.UUID // referral → client
}

func newStatsLedger(tb testing.TB) *statsLedger {
	keys := &statsKeys{keys: map[uuid.UUID]ledger.DataKey{}, erased: map[uuid.UUID]bool{}}
	return &statsLedger{tb: tb, keys: keys, codec: ledger.NewCodec(keys), client: map[uuid.UUID]uuid.UUID{}}
}

func (l *statsLedger) record(stream string, org uuid.UUID, at time.Time, ev domain.Event) {
	l.tb.Helper()
	d, err := l.codec.Encode(context.Background(), uuid.New(), ev, eventstore.Metadata{
		ActorUserID: uuid.NewString(), ActorOrganisationID: org.String(), RecordedAt: at.UTC()})
	if err != nil {
		l.tb.Fatal(err)
	}
	l.stored = append(l.stored, eventstore.RecordedEvent{ID: d.ID, Stream: stream, Position: eventstore.Position(len(l.stored) + 1),
		Type: d.Type, SchemaVersion: d.SchemaVersion, Data: d.Data, Metadata: d.Metadata})
}

// made records a referral from one organisation to another, with client
// data and a reason holding the statsMarker, and returns its id.
func (l *statsLedger) made(from, to uuid.UUID, urgent bool, at time.Time) uuid.UUID {
	id, client := uuid.New(), uuid.New()
	l.client[id] = client
	l.record(ledger.ReferralStream(id), from, at, &domain.ReferralMade{ReferralID: id, FromOrganisationID: from,
		ToOrganisationID: to, ClientID: client, Urgent: urgent,
		Client: domain.Client{Name: statsMarker + " Name", DateOfBirth: "1970-01-01", Phone: "07700 900" + statsMarker,
			Email: statsMarker + "@example.org", Address: statsMarker + " Street"},
		Reason: statsMarker + " reason", Consent: &domain.Consent{Method: domain.ConsentWritten, Confirmed: true}, PrivacyNoticeGiven: true})
	return id
}

func (l *statsLedger) ack(id, org uuid.UUID, at time.Time) {
	l.record(ledger.ReferralStream(id), org, at, &domain.ReferralAcknowledged{})
}

func (l *statsLedger) declineUrgency(id, org uuid.UUID, at time.Time) {
	l.record(ledger.ReferralStream(id), org, at, &domain.ReferralUrgencyDeclined{ClientID: l.client[id], Feedback: statsMarker + " feedback"})
}

func (l *statsLedger) note(id, org uuid.UUID, at time.Time, agreedCloseBy string) {
	l.record(ledger.ReferralStream(id), org, at, &domain.ReferralNoteAdded{NoteID: uuid.New(), ClientID: l.client[id],
		Text: statsMarker + " note", AgreedCloseBy: agreedCloseBy})
}

func (l *statsLedger) close(id, org uuid.UUID, at time.Time, outcome string) {
	l.record(ledger.ReferralStream(id), org, at, &domain.ReferralClosed{ClientID: l.client[id], Outcome: outcome, Comment: statsMarker + " comment"})
}

func (l *statsLedger) requestErasure(client, org uuid.UUID, at time.Time) uuid.UUID {
	req := uuid.New()
	l.record("client-"+client.String(), org, at, &domain.ClientErasureRequested{RequestID: req, ClientID: client, Reason: statsMarker + " erasure"})
	return req
}

// lock records a lock request by a manager of org and, unless decision is
// "", its decision: "approve", "refuse" or "lift" (approve, then unlock).
func (l *statsLedger) lock(client, org uuid.UUID, at time.Time, decision string) {
	stream, req := "client-"+client.String(), uuid.New()
	l.record(stream, org, at, &domain.LockRequested{RequestID: req, ClientID: client, ResponsibleUserID: uuid.New(),
		Reason: statsMarker + " lock reason", Allow: []domain.Party{{Team: "duty"}}})
	switch decision {
	case "approve", "lift":
		l.record(stream, org, at, &domain.LockApproved{RequestID: req})
	case "refuse":
		l.record(stream, org, at, &domain.LockRefused{RequestID: req, ClientID: client, Reason: statsMarker + " refused"})
	}
	if decision == "lift" {
		unlock := uuid.New()
		l.record(stream, org, at, &domain.UnlockRequested{RequestID: unlock, ClientID: client, Reason: statsMarker + " unlock"})
		l.record(stream, org, at, &domain.UnlockApproved{RequestID: unlock})
	}
}

// erase carries out an erasure request: the intent, the key destroyed,
// the completion.
func (l *statsLedger) erase(client, req, coordinatorOrg uuid.UUID, at time.Time) {
	l.record("client-"+client.String(), coordinatorOrg, at, &domain.ClientErasureStarted{RequestID: req})
	l.keys.mu.Lock()
	l.keys.erased[client] = true
	l.keys.mu.Unlock()
	l.record("client-"+client.String(), coordinatorOrg, at, &domain.ClientErased{RequestID: req})
}

// project builds a statistics read model from the stored events, decoded
// with codec, from position after on.
func (l *statsLedger) project(p *projections.Statistics, codec *ledger.Codec, after int) *projections.Statistics {
	l.tb.Helper()
	for _, ev := range l.stored[after:] {
		rec, err := codec.Decode(context.Background(), ev)
		if err != nil {
			l.tb.Fatal(err)
		}
		p.Apply(ev, rec)
	}
	return p
}

func statsCalendar(tb testing.TB) *calendar.Calendar {
	tb.Helper()
	cal, err := calendar.New(calendar.EnglandAndWales, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return cal
}

// statsJan is a time in January 2026, when London is on GMT.
func statsJan(day, hour int) time.Time {
	return time.Date(2026, time.January, day, hour, 0, 0, 0, time.UTC)
}

var (
	statsOrgA = uuid.MustParse("0a000000-0000-4000-8000-00000000000a")
	statsOrgB = uuid.MustParse("0b000000-0000-4000-8000-00000000000b")
	statsOrgC = uuid.MustParse("0c000000-0000-4000-8000-00000000000c")
)

// statsScenario is referrals from A to B made on Monday 12 January 2026,
// and a few others, with every timescale case (R-TIME-1..4):
//
//	r1 acknowledged Wed 14 (3rd working day: in time), closed Wed 21 (5th
//	   working day after: in time), positive;
//	r2 acknowledged Thu 15 (late), closed Fri 23 (after Thu 22: late), negative;
//	r3 urgent: acknowledged Tue 13 (2nd working day: in time), closed Wed 14
//	   (late for urgent), positive;
//	r4 urgent, declined as urgent the same day, acknowledged Wed 14 (in time
//	   on the normal timescale), open past its closing day Wed 21: overdue;
//	r5 acknowledged the day made, a note agrees Fri 30 for closing, closed
//	   Wed 28 (in time by the agreed date, late by the normal one), positive;
//	r6 never acknowledged: overdue since Wed 14;
//	r7 B to A on Mon 2 February, not yet due on Wed 4 February;
//	r0 A to B on 31 December 2025, outside the period.
//
// A passes on an erasure request in January, B in February. In January,
// B's managers lock r1's client's case (still locked) and r2's (lifted
// since); A's ask to lock r6's (pending) and r3's (refused). So B has one
// case locked at the end of January, and of February (R-LOCK-7).
func statsScenario(tb testing.TB) (*statsLedger, []uuid.UUID) {
	l := newStatsLedger(tb)
	mon := statsJan(12, 10)
	r0 := l.made(statsOrgA, statsOrgB, false, time.Date(2025, time.December, 31, 10, 0, 0, 0, time.UTC))
	r1 := l.made(statsOrgA, statsOrgB, false, mon)
	l.ack(r1, statsOrgB, statsJan(14, 16))
	l.close(r1, statsOrgB, statsJan(21, 16), domain.OutcomePositive)
	r2 := l.made(statsOrgA, statsOrgB, false, mon)
	l.ack(r2, statsOrgB, statsJan(15, 9))
	l.close(r2, statsOrgB, statsJan(23, 9), domain.OutcomeNegative)
	r3 := l.made(statsOrgA, statsOrgB, true, mon)
	l.ack(r3, statsOrgB, statsJan(13, 17))
	l.close(r3, statsOrgB, statsJan(14, 9), domain.OutcomePositive)
	r4 := l.made(statsOrgA, statsOrgB, true, mon)
	l.declineUrgency(r4, statsOrgB, statsJan(12, 15))
	l.ack(r4, statsOrgB, statsJan(14, 9))
	r5 := l.made(statsOrgA, statsOrgB, false, mon)
	l.ack(r5, statsOrgB, statsJan(12, 11))
	l.note(r5, statsOrgB, statsJan(13, 9), "2026-01-30")
	l.close(r5, statsOrgB, statsJan(28, 12), domain.OutcomePositive)
	r6 := l.made(statsOrgA, statsOrgB, false, mon)
	r7 := l.made(statsOrgB, statsOrgA, false, time.Date(2026, time.February, 2, 10, 0, 0, 0, time.UTC))
	l.requestErasure(l.client[r1], statsOrgA, statsJan(20, 10))
	l.requestErasure(l.client[r7], statsOrgB, time.Date(2026, time.February, 3, 10, 0, 0, 0, time.UTC))
	l.lock(l.client[r1], statsOrgB, statsJan(19, 10), "approve")
	l.lock(l.client[r2], statsOrgB, statsJan(20, 10), "lift")
	l.lock(l.client[r6], statsOrgA, statsJan(21, 10), "")
	l.lock(l.client[r3], statsOrgA, statsJan(22, 10), "refuse")
	return l, []uuid.UUID{r0, r1, r2, r3, r4, r5, r6, r7}
}

// statsNow is Wednesday 4 February 2026, noon.
var statsNow = time.Date(2026, time.February, 4, 12, 0, 0, 0, time.UTC)

// exact publishes a table without disclosure control.
func statsExact(t *statistics.Table, by statistics.GroupBy) statistics.Report {
	return statistics.Publish(t, statistics.Rule{RoundTo: 1}, by)
}

var statsByOrgMonth = statistics.GroupBy{Organisation: true, Month: true}

// TestStatisticsCounts (R-STAT-1, R-TIME-1..4) checks every count and
// median of the scenario.
func TestStatisticsCounts(t *testing.T) {
	l, _ := statsScenario(t)
	cal := statsCalendar(t)
	p := l.project(projections.NewStatistics(cal, domain.DefaultTimescales()), ledger.NewPublicCodec(), 0)
	tab := p.Table(calendar.MustParseDate("2026-01-01"), calendar.MustParseDate("2026-02-28"), statsNow)

	jan, feb := statistics.MonthOf(2026, time.January), statistics.MonthOf(2026, time.February)
	type want map[statistics.Measure]int
	for _, tc := range []struct {
		name  string
		org   uuid.UUID
		month statistics.Month
		want  want
		ack   float64 // median working days to acknowledge; -1 for none
		close float64
	}{
		{"ReceiverJanuary", statsOrgB, jan, want{
			statistics.Received: 6, statistics.Urgent: 2, statistics.UrgencyDeclined: 1,
			statistics.OutcomePositive: 3, statistics.OutcomeNegative: 1,
			statistics.AcknowledgedWithinTimescale: 4, statistics.AcknowledgedLate: 1,
			statistics.ClosedWithinTimescale: 2, statistics.ClosedLate: 2, statistics.Overdue: 2,
			statistics.LockRequests: 2, statistics.LockedCases: 2, statistics.LockedCasesInForce: 1,
			statistics.LockedAtMonthEnd: 1,
		}, 2, 8}, // acknowledged after 2, 3, 1, 2, 0 days; closed after 7, 9, 2, 12
		{"ReferrerJanuary", statsOrgA, jan, want{statistics.Made: 6, statistics.ErasureRequests: 1,
			statistics.LockRequests: 2, statistics.LockRequestsPending: 1}, -1, -1},
		{"ReceiverFebruary", statsOrgA, feb, want{statistics.Received: 1}, -1, -1},
		{"ReferrerFebruary", statsOrgB, feb, want{statistics.Made: 1, statistics.ErasureRequests: 1,
			statistics.LockedAtMonthEnd: 1}, -1, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tab.Cell(tc.org.String(), tc.month)
			for _, ms := range statistics.Measures() {
				if c.Counts[ms] != tc.want[ms] {
					t.Errorf("%s = %d, want %d", ms, c.Counts[ms], tc.want[ms])
				}
			}
			for md, w := range map[statistics.Median]float64{statistics.DaysToAcknowledge: tc.ack, statistics.DaysToClose: tc.close} {
				got, ok := c.Samples[md].Median()
				if !ok {
					got = -1
				}
				if got != w {
					t.Errorf("%s = %v, want %v", md, got, w)
				}
			}
		})
	}
	t.Run("OnlyThePeriod", func(t *testing.T) {
		rep := statsExact(tab, statistics.GroupBy{Organisation: true})
		if got := rep.Totals.Count(statistics.Made).N; got != 7 {
			t.Fatalf("made in January and February = %d, want 7 (not the one of 31 December)", got)
		}
		dec := p.Table(calendar.MustParseDate("2025-12-01"), calendar.MustParseDate("2025-12-31"), statsNow)
		if got := dec.Cell(statsOrgA.String(), statistics.MonthOf(2025, time.December)).Counts[statistics.Made]; got != 1 {
			t.Fatalf("made in December = %d, want 1", got)
		}
		mid := p.Table(calendar.MustParseDate("2026-01-13"), calendar.MustParseDate("2026-01-31"), statsNow)
		if got := mid.Cell(statsOrgA.String(), jan).Counts[statistics.Made]; got != 0 {
			t.Fatalf("made from 13 January = %d, want 0: a period may start mid-month", got)
		}
	})
	t.Run("OverdueIsAsOfNow", func(t *testing.T) {
		later := p.Table(calendar.MustParseDate("2026-02-01"), calendar.MustParseDate("2026-02-28"),
			time.Date(2026, time.February, 5, 9, 0, 0, 0, time.UTC))
		if got := later.Cell(statsOrgA.String(), feb).Counts[statistics.Overdue]; got != 1 {
			t.Fatalf("r7 on 5 February: overdue = %d, want 1", got)
		}
	})
}

// TestStatisticsMonthIsLondon: a referral made at 23:30 UTC on 31 May is
// made on 1 June in London (BST), and counts in June.
func TestStatisticsMonthIsLondon(t *testing.T) {
	l := newStatsLedger(t)
	l.made(statsOrgA, statsOrgC, false, time.Date(2026, time.May, 31, 23, 30, 0, 0, time.UTC))
	p := l.project(projections.NewStatistics(statsCalendar(t), domain.DefaultTimescales()), ledger.NewPublicCodec(), 0)
	tab := p.Table(calendar.MustParseDate("2026-05-01"), calendar.MustParseDate("2026-06-30"), statsNow)
	if tab.Cell(statsOrgA.String(), statistics.MonthOf(2026, time.June)).Counts[statistics.Made] != 1 {
		t.Fatal("the referral does not count in June")
	}
}

// TestStatisticsHoldNoClientData (R-STAT-2): events decoded with the full
// codec, so their sensitive fields hold a statsMarker, leave no trace of it in
// the read model, its report or its CSV, and the read model's type has no
// field that could hold a string.
func TestStatisticsHoldNoClientData(t *testing.T) {
	l, _ := statsScenario(t)
	decoded := 0
	for _, ev := range l.stored {
		rec, err := l.codec.Decode(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		if data, _ := json.Marshal(rec.Event); bytes.Contains(data, []byte(statsMarker)) {
			decoded++
		}
	}
	if decoded < 10 {
		t.Fatalf("only %d events decoded with the statsMarker: the test proves nothing", decoded)
	}
	p := l.project(projections.NewStatistics(statsCalendar(t), domain.DefaultTimescales()), l.codec, 0)

	dump := fmt.Sprintf("%#v", p)
	if strings.Contains(dump, statsMarker) {
		t.Fatalf("the read model holds client data: %s", dump)
	}
	if !strings.Contains(dump, "referralFacts") {
		t.Fatalf("the dump shows nothing of the read model: %s", dump)
	}
	rep := statsExact(p.Table(calendar.MustParseDate("2025-12-01"), calendar.MustParseDate("2026-02-28"), statsNow), statsByOrgMonth)
	data, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var csv bytes.Buffer
	if err := rep.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte(statsMarker)) || bytes.Contains(csv.Bytes(), []byte(statsMarker)) {
		t.Fatal("the report holds client data")
	}
	if path, ok := statsStringField(reflect.TypeFor[projections.Statistics](), "Statistics", map[reflect.Type]bool{}); ok {
		t.Fatalf("the read model has a field that can hold text: %s", path)
	}
}

// statsStringField finds a field of t, however deep, that can hold a string.
// The calendar (bank-holiday names, configuration) and time.Time (its
// zone's name) are not filled from events.
func statsStringField(t reflect.Type, path string, seen map[reflect.Type]bool) (string, bool) {
	if seen[t] {
		return "", false
	}
	seen[t] = true
	switch t {
	case reflect.TypeFor[*calendar.Calendar](), reflect.TypeFor[time.Time](), reflect.TypeFor[sync.RWMutex]():
		return "", false
	}
	switch t.Kind() {
	case reflect.String, reflect.Interface, reflect.Slice:
		// A slice of bytes could carry text as well as a string could.
		return path + " (" + t.String() + ")", true
	case reflect.Pointer, reflect.Array:
		return statsStringField(t.Elem(), path+"[]", seen)
	case reflect.Map:
		if p, ok := statsStringField(t.Key(), path+"{key}", seen); ok {
			return p, true
		}
		return statsStringField(t.Elem(), path+"{}", seen)
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if p, ok := statsStringField(f.Type, path+"."+f.Name, seen); ok {
				return p, true
			}
		}
	}
	return "", false
}

// TestStatisticsUnchangedByErasure (R-PRIV-3): carrying out an erasure
// leaves the statistics as they were, whether the read model follows the
// erasure's events or is rebuilt from scratch afterwards, when the
// client's fields read as erased.
func TestStatisticsUnchangedByErasure(t *testing.T) {
	l, ids := statsScenario(t)
	cal := statsCalendar(t)
	from, to := calendar.MustParseDate("2025-12-01"), calendar.MustParseDate("2026-02-28")
	report := func(p *projections.Statistics) string {
		var out strings.Builder
		for _, by := range []statistics.GroupBy{statsByOrgMonth, {Organisation: true}, {Month: true}} {
			for _, rule := range []statistics.Rule{{RoundTo: 1}, statistics.DefaultRule()} {
				data, err := json.Marshal(statistics.Publish(p.Table(from, to, statsNow), rule, by))
				if err != nil {
					t.Fatal(err)
				}
				out.Write(data)
			}
		}
		return out.String()
	}
	requests := map[uuid.UUID]uuid.UUID{} // client → request
	for _, id := range ids[1:4] {
		requests[l.client[id]] = l.requestErasure(l.client[id], statsOrgA, statsJan(30, 9))
	}
	live := l.project(projections.NewStatistics(cal, domain.DefaultTimescales()), l.codec, 0)
	before := report(live)

	seen := len(l.stored)
	for client, req := range requests {
		l.erase(client, req, statsOrgC, statsJan(30, 10))
	}
	live = l.project(live, l.codec, seen)
	if after := report(live); after != before {
		t.Fatalf("following the erasure changed the statistics:\nbefore %s\nafter  %s", before, after)
	}
	rebuilt := l.project(projections.NewStatistics(cal, domain.DefaultTimescales()), l.codec, 0)
	erased := 0
	for _, ev := range l.stored {
		if rec, _ := l.codec.Decode(context.Background(), ev); rec.Erased {
			erased++
		}
	}
	if erased == 0 {
		t.Fatal("no event reads as erased: the test proves nothing")
	}
	if after := report(rebuilt); after != before {
		t.Fatalf("rebuilding after the erasure changed the statistics:\nbefore %s\nafter  %s", before, after)
	}
	public := l.project(projections.NewStatistics(cal, domain.DefaultTimescales()), ledger.NewPublicCodec(), 0)
	if after := report(public); after != before {
		t.Fatal("the public codec's read model differs from the full codec's")
	}
}
