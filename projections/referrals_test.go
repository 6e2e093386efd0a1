package projections

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/calendar"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/ledger"
)

// fedEvent is one event as the Runner hands it to a projection.
type fedEvent struct {
	stored eventstore.RecordedEvent
	rec    domain.Recorded
}

// eventLog builds a global event order for projection tests, with
// positions and per-stream revisions as a store would give them.
type eventLog struct {
	events []fedEvent
	revs   map[string]uint64
}

func newEventLog() *eventLog { return &eventLog{revs: map[string]uint64{}} }

// add appends ev to stream, recorded at at by actor of org.
func (l *eventLog) add(stream string, at time.Time, actor, org uuid.UUID, ev domain.Event) {
	rev, seen := l.revs[stream]
	if seen {
		rev++
	}
	l.revs[stream] = rev
	pos := eventstore.Position(len(l.events) + 1)
	l.events = append(l.events, fedEvent{
		stored: eventstore.RecordedEvent{Stream: stream, Revision: rev, Position: pos, Type: ev.EventType()},
		rec:    domain.Recorded{Event: ev, At: at.UTC(), ActorUserID: actor, ActorOrganisationID: org, Revision: rev, Withheld: true},
	})
}

// referral adds an event of referral id.
func (l *eventLog) referral(id uuid.UUID, at time.Time, ev domain.Event) {
	l.add(ledger.ReferralStream(id), at, uuid.Nil, uuid.Nil, ev)
}

func feed(p Projection, events []fedEvent) {
	v, ok := p.(Persistent)
	if !ok {
		for _, e := range events {
			p.Apply(e.stored, e.rec)
		}
		return
	}
	// A persistent view takes events in batches, as the runner feeds it.
	for len(events) > 0 {
		n := min(len(events), batchMax)
		b, err := v.ViewsDB().Begin(context.Background())
		if err != nil {
			panic(err)
		}
		for _, e := range events[:n] {
			if err := v.ApplyIn(b, e.stored, e.rec); err != nil {
				panic(err)
			}
		}
		if err := b.Commit(); err != nil {
			panic(err)
		}
		events = events[n:]
	}
}

func testCalendar(tb testing.TB) *calendar.Calendar {
	tb.Helper()
	cal, err := calendar.New(calendar.EnglandAndWales, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return cal
}

// at is a London wall-clock time.
func at(year int, month time.Month, day, hour int) time.Time {
	return time.Date(year, month, day, hour, 0, 0, 0, domain.London()).UTC()
}

// endOf is the deadline of a London date: the last instant of the day.
func endOf(year int, month time.Month, day int) time.Time {
	return time.Date(year, month, day+1, 0, 0, 0, 0, domain.London()).Add(-time.Nanosecond).UTC()
}

func ids(items []ReferralSummary) []uuid.UUID {
	out := make([]uuid.UUID, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}

func overdueIDs(items []OverdueReferral) []uuid.UUID {
	out := make([]uuid.UUID, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}

// noErr returns a read's answer, failing tb on its error.
func noErr[T any](tb testing.TB) func(T, error) T {
	return func(v T, err error) T {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
		return v
	}
}

func must[T any](tb testing.TB) func(Page[T], error) Page[T] {
	return func(p Page[T], err error) Page[T] {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
		return p
	}
}

// TestReferralsViews follows a few referrals of a small network through
// the inbox, an adviser's inbox, the outbox and the overdue list
// (R-VIEW-1..3, R-TIME-1..4).
func TestReferralsViews(t *testing.T) {
	cal := testCalendar(t)
	orgA, orgB, orgC := uuid.New(), uuid.New(), uuid.New()
	adviserB := uuid.New()
	normal, urgent, declined, acknowledged := uuid.New(), uuid.New(), uuid.New(), uuid.New()
	log := newEventLog()
	made := func(id, from, to uuid.UUID, when time.Time, isUrgent bool) {
		log.referral(id, when, &domain.ReferralMade{ReferralID: id, FromOrganisationID: from, ToOrganisationID: to,
			ClientID: uuid.New(), Urgent: isUrgent, PrivacyNoticeGiven: true})
	}
	// Monday 14 December 2026. Normal: acknowledge by Wednesday 16
	// (R-TIME-1). Urgent, made on Tuesday: both by Wednesday 16 (R-TIME-3),
	// before the normal one at the same instant.
	made(normal, orgA, orgB, at(2026, 12, 14, 9), false)
	log.add(ledger.OrganisationStream(orgA), at(2026, 12, 14, 9), uuid.Nil, uuid.Nil, &domain.OrganisationIntakeSwitchedOn{})
	made(urgent, orgA, orgB, at(2026, 12, 15, 9), true)
	// Declined as urgent (R-REF-7): back to 3 working days from Tuesday 15,
	// Thursday 17.
	made(declined, orgC, orgB, at(2026, 12, 15, 10), true)
	log.referral(declined, at(2026, 12, 15, 11), &domain.ReferralUrgencyDeclined{})
	// Acknowledged Tuesday 15: close within 5 working days after, by
	// Tuesday 22 (R-TIME-2).
	made(acknowledged, orgB, orgC, at(2026, 12, 14, 12), false)
	log.referral(acknowledged, at(2026, 12, 15, 12), &domain.ReferralAcknowledged{})
	log.referral(acknowledged, at(2026, 12, 15, 13), &domain.ReferralAssigned{UserID: uuid.New()})
	log.referral(normal, at(2026, 12, 15, 14), &domain.ReferralAssigned{UserID: adviserB})

	p := NewReferrals(cal, domain.DefaultTimescales())
	feed(p, log.events)
	if got, want := p.Checkpoint(), eventstore.Position(len(log.events)); got != want {
		t.Errorf("Checkpoint %d, want %d", got, want)
	}
	now := at(2026, 12, 15, 15)

	inbox := must[ReferralSummary](t)(p.Inbox(InboxQuery{Organisation: orgB}, now))
	if got, want := ids(inbox.Items), []uuid.UUID{urgent, normal, declined}; !slices.Equal(got, want) {
		t.Fatalf("inbox of B %v, want urgent, normal, declined %v", got, want)
	}
	first := inbox.Items[1]
	if first.Stage != domain.StageAcknowledge || !first.NextDeadline.Equal(endOf(2026, 12, 16)) || first.Overdue ||
		first.AssignedTo != adviserB || first.FromOrganisationID != orgA || first.Status != domain.StatusMade {
		t.Errorf("inbox item %+v", first)
	}
	if d := inbox.Items[2]; d.Urgent || !d.NextDeadline.Equal(endOf(2026, 12, 17)) {
		t.Errorf("declined urgency: urgent %v, next %v; want false, Thursday 17", d.Urgent, d.NextDeadline)
	}
	mine := must[ReferralSummary](t)(p.Inbox(InboxQuery{Organisation: orgB, Assignee: adviserB}, now))
	if got := ids(mine.Items); !slices.Equal(got, []uuid.UUID{normal}) {
		t.Errorf("adviser's inbox %v, want %v", got, normal)
	}
	if other := must[ReferralSummary](t)(p.Inbox(InboxQuery{Organisation: orgA, Assignee: adviserB}, now)); len(other.Items) != 0 {
		t.Errorf("an adviser's referrals listed for another organisation: %v", ids(other.Items))
	}
	acked := must[ReferralSummary](t)(p.Inbox(InboxQuery{Organisation: orgC, Status: domain.StatusAcknowledged}, now))
	if len(acked.Items) != 1 || !acked.Items[0].NextDeadline.Equal(endOf(2026, 12, 22)) || acked.Items[0].Stage != domain.StageClose {
		t.Fatalf("acknowledged inbox of C %+v, want closing by Tuesday 22", acked.Items)
	}
	if made := must[ReferralSummary](t)(p.Inbox(InboxQuery{Organisation: orgC, Status: domain.StatusMade}, now)); len(made.Items) != 0 {
		t.Errorf("made inbox of C %v, want none", ids(made.Items))
	}
	out := must[ReferralSummary](t)(p.Outbox(OutboxQuery{Organisation: orgA}, now))
	if got, want := ids(out.Items), []uuid.UUID{urgent, normal}; !slices.Equal(got, want) {
		t.Errorf("outbox of A %v, want newest first %v", got, want)
	}

	// Wednesday evening nothing is overdue; Thursday morning the two due
	// on Wednesday are, urgent first; Friday 18 the declined one too.
	if o := must[OverdueReferral](t)(p.Overdue(OverdueQuery{}, endOf(2026, 12, 16))); len(o.Items) != 0 {
		t.Errorf("overdue at the last instant of the deadline day: %v", overdueIDs(o.Items))
	}
	o := must[OverdueReferral](t)(p.Overdue(OverdueQuery{}, at(2026, 12, 17, 0)))
	if got, want := overdueIDs(o.Items), []uuid.UUID{urgent, normal}; !slices.Equal(got, want) {
		t.Errorf("overdue on Thursday %v, want %v", got, want)
	}
	if o.Items[0].WorkingDaysOverdue != 1 || o.Items[0].Stage != domain.StageAcknowledge || !o.Items[0].Due.Equal(endOf(2026, 12, 16)) {
		t.Errorf("overdue item %+v", o.Items[0])
	}
	o = must[OverdueReferral](t)(p.Overdue(OverdueQuery{Organisation: orgC}, at(2026, 12, 18, 9)))
	if got := overdueIDs(o.Items); !slices.Equal(got, []uuid.UUID{declined}) {
		t.Errorf("overdue to or from C on Friday %v, want only the declined one", got)
	}

	// Acknowledging moves a referral to the close stage; an agreed date
	// far away takes it out of the overdue list (R-TIME-4); closing takes it out of
	// the work lists and into the closed ones.
	log.referral(normal, at(2026, 12, 17, 10), &domain.ReferralAcknowledged{})
	log.referral(normal, at(2026, 12, 17, 11), &domain.ReferralNoteAdded{AgreedCloseBy: "2027-01-15"})
	log.referral(urgent, at(2026, 12, 17, 12), &domain.ReferralAcknowledged{})
	log.referral(urgent, at(2026, 12, 17, 13), &domain.ReferralClosed{Outcome: domain.OutcomePositive})
	feed(p, log.events)
	o = must[OverdueReferral](t)(p.Overdue(OverdueQuery{}, at(2026, 12, 18, 9)))
	if got := overdueIDs(o.Items); !slices.Equal(got, []uuid.UUID{declined}) {
		t.Errorf("overdue after acknowledgement, agreed date and closure %v, want only the declined one", got)
	}
	closed := must[ReferralSummary](t)(p.Inbox(InboxQuery{Organisation: orgB, Status: domain.StatusClosed}, now))
	if len(closed.Items) != 1 || closed.Items[0].ID != urgent || closed.Items[0].Outcome != domain.OutcomePositive || closed.Items[0].Stage != "" {
		t.Errorf("closed inbox %+v", closed.Items)
	}
	if n := must[ReferralSummary](t)(p.Inbox(InboxQuery{Organisation: orgB, Assignee: adviserB}, now)); len(n.Items) != 1 ||
		!n.Items[0].NextDeadline.Equal(endOf(2027, 1, 15)) {
		t.Errorf("adviser's inbox after the agreed date %+v", n.Items)
	}
	if _, err := p.Inbox(InboxQuery{Organisation: orgB, Status: "lost"}, now); err == nil {
		t.Error("an unknown status is accepted")
	}
}

// TestOverdueWorkingDays counts working days overdue across a weekend and
// the Christmas bank holidays of England and Wales (R-VIEW-3): 1 on the
// first working day after the deadline day, 0 on the days off between.
func TestOverdueWorkingDays(t *testing.T) {
	cal := testCalendar(t)
	friday, christmasEve := uuid.New(), uuid.New()
	log := newEventLog()
	// Urgent, made Thursday 17 December 2026: due Friday 18.
	log.referral(friday, at(2026, 12, 17, 9), &domain.ReferralMade{ReferralID: friday, FromOrganisationID: uuid.New(),
		ToOrganisationID: uuid.New(), Urgent: true})
	// Urgent, made Wednesday 23: due Thursday 24. Friday 25 is Christmas
	// Day and Monday 28 the substitute for Boxing Day.
	log.referral(christmasEve, at(2026, 12, 23, 9), &domain.ReferralMade{ReferralID: christmasEve, FromOrganisationID: uuid.New(),
		ToOrganisationID: uuid.New(), Urgent: true})
	p := NewReferrals(cal, domain.DefaultTimescales())
	feed(p, log.events)
	days := func(id uuid.UUID, now time.Time) int {
		t.Helper()
		for _, o := range must[OverdueReferral](t)(p.Overdue(OverdueQuery{}, now)).Items {
			if o.ID == id {
				return o.WorkingDaysOverdue
			}
		}
		return -1 // not overdue
	}
	tests := []struct {
		name string
		id   uuid.UUID
		now  time.Time
		want int
	}{
		{"LastInstantOfDeadlineDay", friday, endOf(2026, 12, 18), -1},
		{"SaturdayAfter", friday, at(2026, 12, 19, 0), 0},
		{"Sunday", friday, at(2026, 12, 20, 23), 0},
		{"MondayAfterWeekend", friday, at(2026, 12, 21, 0), 1},
		{"Tuesday", friday, at(2026, 12, 22, 9), 2},
		{"ChristmasDay", christmasEve, at(2026, 12, 25, 9), 0},
		{"BoxingDaySubstitute", christmasEve, at(2026, 12, 28, 9), 0},
		{"FirstWorkingDayAfterChristmas", christmasEve, at(2026, 12, 29, 9), 1},
		{"AcrossChristmasFromFriday", friday, at(2026, 12, 29, 9), 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := days(tt.id, tt.now); got != tt.want {
				t.Errorf("working days overdue %d, want %d (-1: not overdue)", got, tt.want)
			}
		})
	}
}

// TestReferralsHoldNoClientData feeds decrypted events, as a careless
// caller might, and checks that the read model keeps none of their client
// data or free text (R-LEDGER-6, R-PRIV-7).
func TestReferralsHoldNoClientData(t *testing.T) {
	id := uuid.New()
	log := newEventLog()
	log.referral(id, at(2026, 12, 14, 9), &domain.ReferralMade{ReferralID: id, FromOrganisationID: uuid.New(),
		ToOrganisationID: uuid.New(), Urgent: true, Client: domain.Client{Name: "Jane Marker"}, Reason: "marker reason",
		SafeguardingOverride: &domain.SafeguardingOverride{Reason: "marker override"}})
	log.referral(id, at(2026, 12, 14, 10), &domain.ReferralUrgencyDeclined{Feedback: "marker feedback"})
	log.referral(id, at(2026, 12, 14, 11), &domain.ReferralNoteAdded{Text: "marker note"})
	log.referral(id, at(2026, 12, 14, 12), &domain.ReferralAcknowledged{})
	log.referral(id, at(2026, 12, 14, 13), &domain.ReferralClosed{Outcome: domain.OutcomeNegative, Comment: "marker comment"})
	p := NewReferrals(testCalendar(t), domain.DefaultTimescales())
	feed(p, log.events)
	r := noErr[*referralEntry](t)(p.get(id)).R
	if r.Client != (domain.Client{}) || r.Reason != "" || r.UrgencyFeedback != "" || r.Comment != "" ||
		r.Notes != nil || r.SafeguardingOverride != nil {
		t.Fatalf("the read model holds client data: %+v", r)
	}
}

// TestReferralsIgnoreRedelivery applies the same events twice: the second
// time changes nothing, and the checkpoint stays.
func TestReferralsIgnoreRedelivery(t *testing.T) {
	id := uuid.New()
	log := newEventLog()
	log.referral(id, at(2026, 12, 14, 9), &domain.ReferralMade{ReferralID: id, FromOrganisationID: uuid.New(), ToOrganisationID: uuid.New()})
	log.referral(id, at(2026, 12, 14, 10), &domain.ReferralAcknowledged{})
	p := NewReferrals(testCalendar(t), domain.DefaultTimescales())
	feed(p, log.events)
	feed(p, log.events[:1])
	if r := noErr[*referralEntry](t)(p.get(id)).R; r.Status != domain.StatusAcknowledged || r.Revision != 1 || p.Checkpoint() != 2 {
		t.Fatalf("after redelivery: status %s revision %d checkpoint %d", r.Status, r.Revision, p.Checkpoint())
	}
}
