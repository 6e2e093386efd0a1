package projections

import (
	"context"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/sqlite"
	"github.com/referral-ledger/ledger/keystore"
	"github.com/referral-ledger/ledger/ledger"
)

// readModels returns one of every read model the node runs, empty, by name.
func readModels(tb testing.TB) map[string]Projection {
	out := map[string]Projection{}
	for name, mk := range readModelMakers(tb) {
		out[name] = mk()
	}
	return out
}

// readModelMakers returns, by name, what makes each read model the node
// runs, empty.
func readModelMakers(tb testing.TB) map[string]func() Projection {
	cal := testCalendar(tb)
	return map[string]func() Projection{
		"referrals":     func() Projection { return NewReferrals(cal, domain.DefaultTimescales()) },
		"clients":       func() Projection { return NewClients() },
		"statistics":    func() Projection { return NewStatistics(cal, domain.DefaultTimescales()) },
		"locks":         func() Projection { return NewLocks() },
		"organisations": func() Projection { return NewOrganisations() },
		"message rate": func() Projection {
			return NewMessageRate(3, time.Hour, func() time.Time { return at(2026, 12, 7, 10).Add(30 * time.Minute) })
		},
		"known clients": func() Projection {
			return NewKnownClients(&fakeDecoder{made: map[uuid.UUID]*domain.ReferralMade{}, erased: map[uuid.UUID]bool{}, down: true}, readingsIndexKey)
		},
	}
}

// readingsIndexKey is the known clients index's key in readModels: one for
// all, so that two fresh indexes compare equal.
var readingsIndexKey = ledger.NewIndexKey(keystore.GenerateMasterKey())

// streamOf names a stream an event of the type is recorded on.
func streamOf(t string, referral, client, org uuid.UUID) string {
	switch {
	case slices.Contains(domain.ReferralEventTypes(), t):
		return ledger.ReferralStream(referral)
	case t == domain.MessageForResponsiblePersonType:
		return ledger.MessagesStream(client)
	case slices.Contains(domain.ClientEventTypes(), t), slices.Contains(domain.LockEventTypes(), t):
		return ledger.ClientStream(client)
	case slices.Contains(domain.OrganisationEventTypes(), t):
		return ledger.OrganisationStream(org)
	case slices.Contains(domain.AccessEventTypes(), t):
		return ledger.AccessStream(client)
	case slices.Contains(domain.OrganisationNameEventTypes(), t):
		return ledger.OrganisationNameStream("a name")
	}
	return ledger.UsernameStream("a username")
}

// applyDeclared feeds an event to p as the runner does: only if p declares
// its type.
func applyDeclared(t *testing.T, name string, p Projection, e fedEvent) {
	t.Helper()
	switch p.Readings().Of(e.stored.Type) {
	case domain.Handled, domain.Ignored:
	default:
		t.Errorf("the %s read model does not declare the event type %s", name, e.stored.Type)
		return
	}
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("the %s read model panicked on %s: %v", name, e.stored.Type, r)
		}
	}()
	p.Apply(e.stored, e.rec)
}

// TestReadModelsDeclareEveryEventType walks every event type of the
// domain's lists through every read model: each must declare it handled
// or deliberately ignored, none may fail on it, and one it declares
// ignored must leave it exactly as it was. A new event type (a reopened
// referral, say) thus fails here until every read model has a reading of
// it, instead of falling through a silent default (R-LEDGER-1, R-PRIV-5).
func TestReadModelsDeclareEveryEventType(t *testing.T) {
	models := readModels(t)
	all := make([]Projection, 0, len(models))
	for _, p := range models {
		all = append(all, p)
	}
	if err := CheckReadings(all...); err != nil {
		t.Fatal(err)
	}

	referral, client, org := uuid.New(), uuid.New(), uuid.New()
	// A small history first, so that ignoring an event has something to
	// leave unchanged.
	history := newEventLog()
	t0 := at(2026, 12, 7, 9)
	history.add(ledger.OrganisationStream(org), t0, uuid.Nil, uuid.Nil, &domain.OrganisationRegistered{OrganisationID: org, Name: "Org"})
	history.referral(referral, t0, &domain.ReferralMade{ReferralID: referral, FromOrganisationID: org, ToOrganisationID: uuid.New(), ClientID: client})
	history.add(ledger.ClientStream(client), t0, uuid.New(), org, &domain.LockRequested{RequestID: uuid.New(), ClientID: client})
	history.add(ledger.ClientStream(client), t0, uuid.New(), org, &domain.ClientErasureRequested{RequestID: uuid.New(), ClientID: client})

	makers := readModelMakers(t)
	for _, typ := range domain.EventTypes() {
		e, ok := domain.NewEvent(typ)
		if !ok {
			t.Fatalf("NewEvent(%q) does not know a type of the domain's lists", typ)
		}
		log := newEventLog()
		log.events, log.revs = slices.Clone(history.events), map[string]uint64{}
		for k, v := range history.revs {
			log.revs[k] = v
		}
		log.add(streamOf(typ, referral, client, org), t0.Add(time.Hour), uuid.New(), org, e)
		last := log.events[len(log.events)-1]
		for name := range models {
			fresh, untouched := makers[name](), makers[name]()
			for _, h := range history.events {
				fresh.Apply(h.stored, h.rec)
				untouched.Apply(h.stored, h.rec)
			}
			applyDeclared(t, name, fresh, last)
			if fresh.Readings().Of(typ) == domain.Ignored && !sameReadModel(fresh, untouched) {
				t.Errorf("the %s read model declares %s ignored, but changed on it", name, typ)
			}
		}
	}
}

// sameReadModel compares two read models field by field, leaving out what
// every event moves (the position reached) and what no event sets (clocks).
func sameReadModel(a, b Projection) bool {
	switch a := a.(type) {
	case *Referrals:
		b := b.(*Referrals)
		rows := func(p *Referrals) []string {
			d, err := p.views.Dump(context.Background())
			if err != nil {
				panic(err)
			}
			return d["referrals"]
		}
		return reflect.DeepEqual(rows(a), rows(b))
	case *Statistics:
		b := b.(*Statistics)
		rows := func(p *Statistics) map[string][]string {
			d, err := p.views().Dump(context.Background())
			if err != nil {
				panic(err)
			}
			for table := range d {
				if !strings.HasPrefix(table, "stat_") {
					delete(d, table)
				}
			}
			return d
		}
		return reflect.DeepEqual(rows(a), rows(b)) && reflect.DeepEqual(a.referrals, b.referrals)
	case *Clients:
		return sameViewRows(a.views, b.(*Clients).views)
	case *KnownClients:
		return sameViewRows(a.views, b.(*KnownClients).views)
	case *MessageRate:
		b := b.(*MessageRate)
		return reflect.DeepEqual(a.sent, b.sent) && reflect.DeepEqual(a.seen, b.seen) &&
			sameTables(a.views, b.views, "message_rate")
	case *Organisations:
		b := b.(*Organisations)
		return reflect.DeepEqual(a.orgs, b.orgs) && reflect.DeepEqual(a.users, b.users) &&
			reflect.DeepEqual(a.byUsername, b.byUsername) &&
			sameTables(a.views, b.views, "organisations", "organisation_users", "organisation_usernames")
	case *Locks:
		b := b.(*Locks)
		return reflect.DeepEqual(a.locks, b.locks) && sameTables(a.views, b.views, "locks", "lock_requests")
	}
	return reflect.DeepEqual(a, b)
}

// sameTables reports whether two views databases hold the same rows in
// tables.
func sameTables(a, b *Views, tables ...string) bool {
	da, err := a.Dump(context.Background())
	if err != nil {
		panic(err)
	}
	db, err := b.Dump(context.Background())
	if err != nil {
		panic(err)
	}
	for _, t := range tables {
		if !reflect.DeepEqual(da[t], db[t]) {
			return false
		}
	}
	return true
}

// sameViewRows compares every row of two views databases but the
// checkpoints, which every event moves.
func sameViewRows(a, b *Views) bool {
	rows := func(v *Views) map[string][]string {
		d, err := v.Dump(context.Background())
		if err != nil {
			panic(err)
		}
		delete(d, "checkpoints")
		return d
	}
	return reflect.DeepEqual(rows(a), rows(b))
}

// undeclaring declares every event type but one.
type undeclaring struct {
	leftOut string
	applied int
}

func (u *undeclaring) Apply(eventstore.RecordedEvent, domain.Recorded) { u.applied++ }
func (u *undeclaring) Readings() domain.Readings {
	return domain.Readings{}.Handle(domain.Except(domain.EventTypes(), u.leftOut)...)
}

// TestRunnerStopsAtAnUndeclaredEventType: the runner feeds no event of a
// type a read model does not declare; it stops, naming the type, so the
// views are reported unavailable instead of silently wrong.
func TestRunnerStopsAtAnUndeclaredEventType(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	codec := ledger.NewPublicCodec()
	appendEvent := func(stream string, ev domain.Event) eventstore.Position {
		t.Helper()
		data, err := codec.Encode(ctx, uuid.New(), ev, eventstore.Metadata{RecordedAt: time.Now().UTC()})
		if err != nil {
			t.Fatal(err)
		}
		res, err := store.Append(ctx, stream, eventstore.Any(), data)
		if err != nil {
			t.Fatal(err)
		}
		return res.Position
	}
	org := uuid.New()
	first := appendEvent(ledger.OrganisationStream(org), &domain.OrganisationRegistered{OrganisationID: org, Name: "Org"})
	appendEvent(ledger.OrganisationStream(org), &domain.OrganisationIntakeSwitchedOff{Reason: "full"})

	p := &undeclaring{leftOut: domain.OrganisationIntakeSwitchedOffType}
	r := NewRunner(store, codec, p)
	done := make(chan error, 1)
	runCtx, stop := context.WithCancel(ctx)
	go func() { done <- r.Run(runCtx) }()
	defer func() {
		stop()
		<-done
	}()
	err = r.WaitFor(ctx, first+1)
	if domain.ErrorCode(err) != domain.Unavailable {
		t.Fatalf("WaitFor past an undeclared event type = %v, want Unavailable", err)
	}
	if r.Position() != first || p.applied != 1 {
		t.Errorf("the runner reached %d, applied %d events; want it stopped before the undeclared one", r.Position(), p.applied)
	}
	if msg := r.Err().Error(); !strings.Contains(msg, domain.OrganisationIntakeSwitchedOffType) {
		t.Errorf("the runner's error %q does not name the event type", msg)
	}
}
