package notify

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/ledger"
)

// TestNotifierDeclaresEveryEventType walks every event type of the
// domain's lists through the notifier (its state and the notices it
// derives): each must be declared handled or deliberately ignored, none
// may fail it, and one declared ignored must change nothing and notify
// nobody. A new event type thus fails here until the notifier has a
// reading of it (R-LEDGER-1).
func TestNotifierDeclaresEveryEventType(t *testing.T) {
	if u := Readings().Undeclared(); len(u) > 0 {
		t.Fatalf("the notifier does not declare the event types %v", u)
	}
	referral, client, org, user := uuid.New(), uuid.New(), uuid.New(), uuid.New()
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	type fed struct {
		stored eventstore.RecordedEvent
		rec    domain.Recorded
	}
	event := func(stream string, at time.Time, e domain.Event) fed {
		return fed{eventstore.RecordedEvent{ID: uuid.New(), Stream: stream, Type: e.EventType()},
			domain.Recorded{Event: e, At: at, ActorUserID: user, ActorOrganisationID: org, Withheld: true}}
	}
	history := []fed{
		event(ledger.OrganisationStream(org), t0, &domain.OrganisationRegistered{OrganisationID: org, Name: "Org", AdminEmail: "admin@example.org"}),
		event(ledger.OrganisationStream(org), t0, &domain.OrganisationUserAdded{UserID: user, Email: "u@example.org", Roles: []domain.Role{domain.RoleOrgLead}}),
		event(ledger.ReferralStream(referral), t0, &domain.ReferralMade{ReferralID: referral, FromOrganisationID: org, ToOrganisationID: org, ClientID: client}),
		event(ledger.ClientStream(client), t0, &domain.LockRequested{RequestID: uuid.New(), ClientID: client, ResponsibleUserID: user}),
	}
	streamOf := func(typ string) string {
		switch {
		case slices.Contains(domain.ReferralEventTypes(), typ):
			return ledger.ReferralStream(referral)
		case typ == domain.MessageForResponsiblePersonType:
			return ledger.MessagesStream(client)
		case slices.Contains(domain.ClientEventTypes(), typ), slices.Contains(domain.LockEventTypes(), typ):
			return ledger.ClientStream(client)
		case slices.Contains(domain.OrganisationEventTypes(), typ):
			return ledger.OrganisationStream(org)
		case slices.Contains(domain.AccessEventTypes(), typ):
			return ledger.AccessStream(client)
		case slices.Contains(domain.OrganisationNameEventTypes(), typ):
			return ledger.OrganisationNameStream("a name")
		}
		return ledger.UsernameStream("a username")
	}
	for _, typ := range domain.EventTypes() {
		e, ok := domain.NewEvent(typ)
		if !ok {
			t.Fatalf("NewEvent(%q) does not know a type of the domain's lists", typ)
		}
		reading := Readings().Of(typ)
		if reading != domain.Handled && reading != domain.Ignored {
			t.Errorf("the notifier does not declare %s", typ)
			continue
		}
		n := &Notifier{state: newState(), log: zerolog.Nop(), opts: Options{IntakeOffReminderDays: 7}}
		for _, h := range history {
			n.state.apply(h.stored, h.rec)
		}
		before := newState()
		for _, h := range history {
			before.apply(h.stored, h.rec)
		}
		last := event(streamOf(typ), t0.Add(time.Hour), e)
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("the notifier panicked on %s: %v", typ, r)
				}
			}()
			c := n.derive(last.stored, last.rec, t0.Add(time.Hour))
			n.state.apply(last.stored, last.rec)
			if reading == domain.Ignored && (len(c.notices) > 0 || len(c.cancel) > 0 || !reflect.DeepEqual(n.state, before)) {
				t.Errorf("the notifier declares %s ignored, but acted on it", typ)
			}
		}()
	}
}
