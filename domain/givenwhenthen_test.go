package domain_test

import (
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// The given/when/then helper:
//
//	when(domain.DecideAcknowledge(given(made...).referral(), receiverAdviser)).
//		then(t, &domain.ReferralAcknowledged{})
//
// given replays events into state, when captures what a decide function
// returned, then asserts the exact events or the error.

// t0 is when every given history starts; its events are an hour apart.
var t0 = time.Date(2025, time.June, 9, 9, 0, 0, 0, time.UTC) // a Monday

// now is the fixed "now" of decisions: Tuesday 10 June 2025, 11:00 in London.
var now = time.Date(2025, time.June, 10, 10, 0, 0, 0, time.UTC)

// today is the Europe/London date of now.
const today = "2025-06-10"

// acted attributes a given event to an actor; given unwraps it.
type acted struct {
	domain.Event
	actor domain.Actor
}

// by records that actor did e, for a given history.
func by(actor domain.Actor, e domain.Event) domain.Event { return acted{Event: e, actor: actor} }

// history is a stream of recorded events, revisions 0.. in order.
type history []domain.Recorded

// given records events as a stream: revisions from 0, times an hour apart
// from t0, and the actor of by(), if any.
func given(events ...domain.Event) history {
	h := make(history, 0, len(events))
	for i, e := range events {
		rec := domain.Recorded{Event: e, At: t0.Add(time.Duration(i) * time.Hour), Revision: uint64(i)}
		if a, ok := e.(acted); ok {
			rec.Event, rec.ActorUserID, rec.ActorOrganisationID = a.Event, a.actor.UserID, a.actor.OrganisationID
		}
		h = append(h, rec)
	}
	return h
}

func (h history) referral() domain.Referral         { return domain.ReplayReferral(h) }
func (h history) organisation() domain.Organisation { return domain.ReplayOrganisation(h) }

func (h history) username() domain.Username {
	var u domain.Username
	for _, rec := range h {
		u = domain.EvolveUsername(u, rec)
	}
	return u
}

// outcome is what a decide function returned.
type outcome struct {
	events []domain.Event
	err    error
}

// when captures the result of a decide call: when(domain.DecideX(...)).
func when(events []domain.Event, err error) outcome { return outcome{events: events, err: err} }

// then asserts the decision succeeded with exactly want, in order; no want
// means no events at all (nil or empty).
func (o outcome) then(tb testing.TB, want ...domain.Event) {
	tb.Helper()
	if o.err != nil {
		tb.Fatalf("want events %s, got error %v (fields %v)", describe(want), o.err, domain.ErrorFields(o.err))
	}
	if len(want) == 0 && len(o.events) == 0 {
		return
	}
	if !reflect.DeepEqual(o.events, want) {
		tb.Fatalf("events:\n got %s\nwant %s", describe(o.events), describe(want))
	}
	known := domain.EventTypes()
	for _, e := range o.events {
		if !slices.Contains(known, e.EventType()) {
			tb.Errorf("event type %q is not in domain.EventTypes()", e.EventType())
		}
	}
}

// thenError asserts the decision was refused with code and no events. The
// field names of the error must be exactly fields (in any order): none
// given means the error carries no field errors.
func (o outcome) thenError(tb testing.TB, code domain.Code, fields ...string) {
	tb.Helper()
	if o.err == nil {
		tb.Fatalf("want %s error, got events %s", code, describe(o.events))
	}
	if o.events != nil {
		tb.Errorf("a refused decision returned events %s", describe(o.events))
	}
	if got := domain.ErrorCode(o.err); got != code {
		tb.Fatalf("error code: got %s (%v), want %s", got, o.err, code)
	}
	var got []string
	for _, f := range domain.ErrorFields(o.err) {
		got = append(got, f.Field)
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(fields))
	if !slices.Equal(got, want) {
		tb.Fatalf("error fields: got %q, want %q (%v)", got, want, o.err)
	}
}

// thenErrorSays asserts the refusal's user-facing message contains text.
func (o outcome) thenErrorSays(tb testing.TB, code domain.Code, text string) {
	tb.Helper()
	o.thenError(tb, code)
	if msg := domain.ErrorMessage(o.err); !strings.Contains(msg, text) {
		tb.Fatalf("error message %q does not say %q", msg, text)
	}
}

func describe(events []domain.Event) string {
	if len(events) == 0 {
		return "[]"
	}
	var b strings.Builder
	for _, e := range events {
		fmt.Fprintf(&b, "\n\t%s %+v", e.EventType(), e)
	}
	return b.String()
}

// Fixtures. Ids are derived from names so failures read back to a fixture.

func id(name string) uuid.UUID { return uuid.NewSHA1(uuid.NameSpaceOID, []byte(name)) }

var (
	referrerOrgID = id("org referrer")
	receiverOrgID = id("org receiver")
	thirdOrgID    = id("org third")
	networkOrgID  = id("org network lead body")
	referralID    = id("referral")
	clientID      = id("client")
)

func actor(name string, org uuid.UUID, roles ...domain.Role) domain.Actor {
	return domain.Actor{UserID: id("user " + name), OrganisationID: org, Roles: roles}
}

var (
	referrerAdviser   = actor("referrer adviser", referrerOrgID, domain.RoleAdviser)
	referrerLead      = actor("referrer lead", referrerOrgID, domain.RoleOrgLead)
	receiverAdviser   = actor("receiver adviser", receiverOrgID, domain.RoleAdviser)
	receiverColleague = actor("receiver colleague", receiverOrgID, domain.RoleAdviser)
	receiverLeaver    = actor("receiver leaver", receiverOrgID, domain.RoleAdviser) // account closed
	receiverLead      = actor("receiver lead", receiverOrgID, domain.RoleOrgLead)
	receiverManager   = actor("receiver manager", receiverOrgID, domain.RoleTeamManager)
	receiverAuditor   = actor("receiver auditor", receiverOrgID, domain.RoleAuditor)
	receiverHelpdesk  = actor("receiver helpdesk", receiverOrgID, domain.RoleHelpdesk)
	thirdAdviser      = actor("third adviser", thirdOrgID, domain.RoleAdviser)
	thirdAuditor      = actor("third auditor", thirdOrgID, domain.RoleAuditor)
	thirdHelpdesk     = actor("third helpdesk", thirdOrgID, domain.RoleHelpdesk)
	coordinator       = actor("coordinator", networkOrgID, domain.RoleCoordinator)
)

func registered(org uuid.UUID, name string) *domain.OrganisationRegistered {
	return &domain.OrganisationRegistered{OrganisationID: org, Name: name, Description: "Advice",
		AdminEmail: "admin@example.org", Services: []domain.Service{{Name: "Debt advice"}}}
}

func userAdded(a domain.Actor) *domain.OrganisationUserAdded {
	return &domain.OrganisationUserAdded{UserID: a.UserID, Username: a.UserID.String()[:8],
		DisplayName: "A User", Email: "user@example.org", Roles: a.Roles, PasswordHash: "$argon2id$fixture"}
}

// receiverOrg is the receiving organisation's stream: registered, with an
// adviser, a colleague and a leaver whose account is closed, then extra.
func receiverOrg(extra ...domain.Event) []domain.Event {
	return append([]domain.Event{
		registered(receiverOrgID, "Receiver Advice"),
		userAdded(receiverAdviser), userAdded(receiverColleague), userAdded(receiverLead),
		userAdded(receiverLeaver), &domain.OrganisationAccountClosed{UserID: receiverLeaver.UserID},
	}, extra...)
}

// referrerOrg is the referring organisation's stream.
func referrerOrg(extra ...domain.Event) []domain.Event {
	return append([]domain.Event{
		registered(referrerOrgID, "Referrer Advice"), userAdded(referrerAdviser), userAdded(referrerLead),
	}, extra...)
}

// makeCmd is a valid referral from the referrer to the receiver.
func makeCmd() domain.MakeReferral {
	return domain.MakeReferral{
		ReferralID: referralID, ClientID: clientID, ToOrganisationID: receiverOrgID, Urgent: true,
		Client: domain.Client{Name: "Ada Client", DateOfBirth: "1980-02-03", Phone: "+44 (0)20 7946-0000",
			Email: "ada@example.org", Address: "1 High Street"},
		Reason:             "Debt advice needed",
		Consent:            &domain.Consent{Method: domain.ConsentWritten, Confirmed: true},
		PrivacyNoticeGiven: true,
	}
}

// made is the event makeCmd records.
func made(urgent bool) *domain.ReferralMade {
	c := makeCmd()
	return &domain.ReferralMade{ReferralID: c.ReferralID, FromOrganisationID: referrerOrgID,
		ToOrganisationID: c.ToOrganisationID, ClientID: c.ClientID, Urgent: urgent, Client: c.Client,
		Reason: c.Reason, Consent: c.Consent, PrivacyNoticeGiven: true}
}

// Referral streams at each stage of its life.

func madeRef(urgent bool) []domain.Event { return []domain.Event{by(referrerAdviser, made(urgent))} }

func ackedRef() []domain.Event {
	return append(madeRef(true), by(receiverAdviser, &domain.ReferralAcknowledged{}))
}

func closedRef() []domain.Event {
	return append(ackedRef(), by(receiverAdviser,
		&domain.ReferralClosed{Outcome: domain.OutcomePositive, Comment: "Client seen"}))
}

// TestGivenWhenThen checks the helper itself: given numbers and attributes
// events, then fails on the wrong events or the wrong error.
func TestGivenWhenThen(t *testing.T) {
	h := given(by(referrerAdviser, made(true)), &domain.ReferralAcknowledged{})
	if h[0].Revision != 0 || h[1].Revision != 1 || !h[1].At.Equal(t0.Add(time.Hour)) {
		t.Fatalf("revisions/times: %+v", h)
	}
	if _, wrapped := h[0].Event.(acted); wrapped || h[0].ActorUserID != referrerAdviser.UserID ||
		h[0].ActorOrganisationID != referrerOrgID {
		t.Fatalf("by() not unwrapped: %+v", h[0])
	}

	fails := func(name string, f func(tb testing.TB)) {
		t.Helper()
		r := &recorder{TB: t}
		done := make(chan struct{})
		go func() { defer close(done); f(r) }() // Fatalf ends the goroutine via runtime.Goexit
		<-done
		if !r.failed {
			t.Errorf("%s: the helper passed, want it to fail", name)
		}
	}
	ack := when([]domain.Event{&domain.ReferralAcknowledged{}}, nil)
	fails("wrong event", func(tb testing.TB) { ack.then(tb, &domain.ReferralClosed{}) })
	fails("extra event", func(tb testing.TB) { ack.then(tb) })
	fails("error wanted", func(tb testing.TB) { ack.thenError(tb, domain.Conflict) })
	bad := when(nil, domain.InvalidFields(domain.FieldError{Field: "a", Message: "x"}))
	fails("wrong code", func(tb testing.TB) { bad.thenError(tb, domain.Conflict, "a") })
	fails("wrong fields", func(tb testing.TB) { bad.thenError(tb, domain.Invalid, "b") })
	fails("missing field", func(tb testing.TB) { bad.thenError(tb, domain.Invalid) })
	fails("events wanted", func(tb testing.TB) { bad.then(tb) })
	bad.thenError(t, domain.Invalid, "a")
	when(nil, nil).then(t)
	when([]domain.Event{}, nil).then(t)
}

// recorder is a testing.TB that notes failures instead of reporting them;
// the helpers fail only through Errorf and Fatalf.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true; runtime.Goexit() }
