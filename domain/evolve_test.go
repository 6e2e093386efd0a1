package domain_test

import (
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/domain"
)

// unknownEvent stands for an event type this build does not know, e.g. one
// written by a newer version.
type unknownEvent struct{ Payload string }

func (unknownEvent) EventType() string { return "referral.something_new" }

// TestReplayReferral_Lifecycle checks R-LEDGER-1: replaying a referral's
// full stream gives its state (R-REF-5, R-REF-6, R-REF-7, R-TIME-4).
func TestReplayReferral_Lifecycle(t *testing.T) {
	note1, note2 := id("note 1"), id("note 2")
	h := given(
		by(referrerAdviser, made(true)),
		by(receiverAdviser, &domain.ReferralAcknowledged{}),
		by(receiverAdviser, &domain.ReferralAssigned{UserID: receiverColleague.UserID}),
		by(referrerAdviser, &domain.ReferralNoteAdded{NoteID: note1, Text: "Agreed more time", AgreedCloseBy: "2025-06-20"}),
		by(receiverColleague, &domain.ReferralUrgencyDeclined{Feedback: "Not urgent"}),
		by(receiverColleague, &domain.ReferralNoteAdded{NoteID: note2, Text: "Client seen"}),
		by(receiverColleague, &domain.ReferralClosed{Outcome: domain.OutcomeNegative, Comment: "Not eligible"}),
	)
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Hour) }
	m := made(true)
	want := domain.Referral{
		ID: referralID, Exists: true, Revision: 6, Status: domain.StatusClosed,
		FromOrganisationID: referrerOrgID, ToOrganisationID: receiverOrgID, ClientID: clientID,
		Urgent: true, UrgencyDeclined: true, UrgencyFeedback: "Not urgent",
		Client: m.Client, Reason: m.Reason, Consent: m.Consent, PrivacyNoticeGiven: true,
		MadeBy: referrerAdviser.UserID, MadeAt: at(0),
		AcknowledgedAt: at(1), AcknowledgedBy: receiverAdviser.UserID,
		AssignedTo: receiverColleague.UserID,
		Notes: []domain.Note{
			{ID: note1, Text: "Agreed more time", AgreedCloseBy: "2025-06-20", At: at(3),
				ActorUserID: referrerAdviser.UserID, ActorOrganisationID: referrerOrgID},
			{ID: note2, Text: "Client seen", At: at(5),
				ActorUserID: receiverColleague.UserID, ActorOrganisationID: receiverOrgID},
		},
		AgreedCloseBy: "2025-06-20", // a later note without a date keeps the agreed one
		Outcome:       domain.OutcomeNegative, Comment: "Not eligible",
		ClosedAt: at(6), ClosedBy: receiverColleague.UserID,
	}
	got := h.referral()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("replayed state:\n got %+v\nwant %+v", got, want)
	}
	if got.UrgentNow() {
		t.Error("UrgentNow after the urgency was declined")
	}

	t.Run("StatusAtEachStage", func(t *testing.T) {
		for n, status := range map[int]domain.Status{1: domain.StatusMade, 2: domain.StatusAcknowledged, 7: domain.StatusClosed} {
			if r := domain.ReplayReferral(h[:n]); r.Status != status || r.Revision != uint64(n-1) {
				t.Errorf("after %d events: status %s revision %d, want %s revision %d", n, r.Status, r.Revision, status, n-1)
			}
		}
		if r := domain.ReplayReferral(nil); r.Exists {
			t.Error("an empty stream replays to an existing referral")
		}
	})
}

// TestEvolveReferral_Pure: evolving never changes the state passed in, so two
// futures of one state share nothing (R-LEDGER-1).
func TestEvolveReferral_Pure(t *testing.T) {
	// Three notes appended one by one leave spare capacity behind them, which
	// an in-place append would share between futures.
	h := given(append(ackedRef(),
		&domain.ReferralNoteAdded{NoteID: id("n0"), Text: "first"},
		&domain.ReferralNoteAdded{NoteID: id("n1"), Text: "second"},
		&domain.ReferralNoteAdded{NoteID: id("n2"), Text: "third"})...)
	base := h.referral()
	before := slices.Clone(base.Notes)
	a := domain.EvolveReferral(base, domain.Recorded{Event: &domain.ReferralNoteAdded{NoteID: id("a"), Text: "a"}, Revision: 5})
	b := domain.EvolveReferral(base, domain.Recorded{Event: &domain.ReferralNoteAdded{NoteID: id("b"), Text: "b"}, Revision: 5})
	if !reflect.DeepEqual(base.Notes, before) || base.Revision != 4 {
		t.Fatalf("the previous state changed: notes %+v revision %d", base.Notes, base.Revision)
	}
	if len(a.Notes) != 4 || a.Notes[3].Text != "a" || b.Notes[3].Text != "b" {
		t.Fatalf("two futures share their notes: %+v and %+v", a.Notes, b.Notes)
	}
}

// TestEvolve_UnknownEventsIgnored: an event this build does not know changes
// nothing but the revision, which must still follow the stream so the next
// append expects the right revision (R-LEDGER-2).
func TestEvolve_UnknownEventsIgnored(t *testing.T) {
	unknown := func(rev uint64) domain.Recorded {
		return domain.Recorded{Event: unknownEvent{Payload: "x"}, At: t0.Add(99 * time.Hour),
			ActorUserID: thirdAdviser.UserID, Revision: rev}
	}
	t.Run("Referral", func(t *testing.T) {
		h := given(ackedRef()...)
		want := h.referral()
		got := domain.EvolveReferral(want, unknown(2))
		want.Revision = 2
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got %+v\nwant %+v", got, want)
		}
		if r := domain.EvolveReferral(domain.Referral{}, unknown(0)); r.Exists {
			t.Fatal("an unknown first event created a referral")
		}
	})
	t.Run("Organisation", func(t *testing.T) {
		h := given(receiverOrg()...)
		want := h.organisation()
		got := domain.EvolveOrganisation(want, unknown(uint64(len(h))))
		want.Revision = uint64(len(h))
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got %+v\nwant %+v", got, want)
		}
	})
	t.Run("Username", func(t *testing.T) {
		if u := domain.EvolveUsername(domain.Username{}, unknown(0)); u.Reserved {
			t.Fatal("an unknown event reserved a username")
		}
	})
}

// TestEvolveOrganisation_Pure: evolving never mutates the Users map of the
// state passed in (replays and concurrent readers share nothing).
func TestEvolveOrganisation_Pure(t *testing.T) {
	prev := given(receiverOrg()...).organisation()
	snapshot := maps.Clone(prev.Users)
	newUser := actor("new", receiverOrgID, domain.RoleAdviser)
	for _, e := range []domain.Event{
		userAdded(newUser),
		&domain.OrganisationAccountClosed{UserID: receiverAdviser.UserID},
		&domain.OrganisationPasswordChanged{UserID: receiverColleague.UserID, PasswordHash: "$argon2id$changed"},
	} {
		t.Run(strings.TrimPrefix(e.EventType(), "organisation."), func(t *testing.T) {
			next := domain.EvolveOrganisation(prev, domain.Recorded{Event: e, At: now, Revision: 99})
			if !reflect.DeepEqual(prev.Users, snapshot) {
				t.Fatalf("%s mutated the previous state's users", e.EventType())
			}
			if reflect.DeepEqual(next.Users, snapshot) {
				t.Fatalf("%s changed no user in the next state", e.EventType())
			}
		})
	}
}

// TestReplayOrganisation: the organisation's stream replays to its directory
// entry, intake and accounts (R-ORG-1, R-ORG-2, R-ORG-3).
func TestReplayOrganisation(t *testing.T) {
	h := given(receiverOrg(
		&domain.OrganisationDirectoryUpdated{Name: "Receiver Centre", Description: "Money", Services: []domain.Service{}},
		&domain.OrganisationAdminContactChanged{AdminEmail: "new@example.org"},
		&domain.OrganisationIntakeSwitchedOff{Reason: "Staff shortage", ResumeOn: "2025-06-20"},
		&domain.OrganisationPasswordChanged{UserID: receiverAdviser.UserID, PasswordHash: "$argon2id$changed"},
	)...)
	o := h.organisation()
	n := len(h)
	if !o.Exists || o.ID != receiverOrgID || o.Revision != uint64(n-1) || !o.RegisteredAt.Equal(t0) {
		t.Fatalf("identity: %+v", o)
	}
	if o.Name != "Receiver Centre" || o.Description != "Money" || len(o.Services) != 0 || o.AdminEmail != "new@example.org" {
		t.Errorf("directory: %q %q %v %q", o.Name, o.Description, o.Services, o.AdminEmail)
	}
	if !o.IntakeOff || o.IntakeReason != "Staff shortage" || o.ResumeOn != "2025-06-20" ||
		!o.IntakeOffSince.Equal(t0.Add(time.Duration(n-2)*time.Hour)) {
		t.Errorf("intake: off %v reason %q resume %q since %v", o.IntakeOff, o.IntakeReason, o.ResumeOn, o.IntakeOffSince)
	}
	u := o.Users[receiverAdviser.UserID]
	if u.PasswordHash != "$argon2id$changed" || !u.PasswordChangedAt.Equal(t0.Add(time.Duration(n-1)*time.Hour)) ||
		!u.CreatedAt.Equal(t0.Add(time.Hour)) || u.OrganisationID != receiverOrgID || u.Closed {
		t.Errorf("adviser: %+v", u)
	}
	if len(o.Users) != 4 || !o.Users[receiverLeaver.UserID].Closed {
		t.Errorf("users: %d, leaver closed %v", len(o.Users), o.Users[receiverLeaver.UserID].Closed)
	}

	on := domain.EvolveOrganisation(o, domain.Recorded{Event: &domain.OrganisationIntakeSwitchedOn{}, Revision: uint64(n)})
	if on.IntakeOff || on.ResumeOn != "" || !on.IntakeOffSince.IsZero() || !on.AcceptingOn("2025-06-10") {
		t.Errorf("switched on: off %v resume %q since %v", on.IntakeOff, on.ResumeOn, on.IntakeOffSince)
	}
}

// TestEventTypes: every event type is namespaced, listed once, and decodes
// to a payload reporting the same type.
func TestEventTypes(t *testing.T) {
	types := domain.EventTypes()
	seen := map[string]bool{}
	for _, typ := range types {
		ns, _, ok := strings.Cut(typ, ".")
		if !ok || (ns != "referral" && ns != "organisation" && ns != "username" && ns != "client" && ns != "access" && ns != "organisation_name" && ns != "audit" && ns != "network") {
			t.Errorf("%q is not namespaced", typ)
		}
		if seen[typ] {
			t.Errorf("%q listed twice", typ)
		}
		seen[typ] = true
		e, ok := domain.NewEvent(typ)
		if !ok || e.EventType() != typ {
			t.Errorf("NewEvent(%q) = %v, %v", typ, e, ok)
		}
	}
	if _, ok := domain.NewEvent("referral.something_new"); ok {
		t.Error("NewEvent accepts an unknown type")
	}
}

// TestIntakeEditWhileOffKeepsOffSince_ORG2: a new reason or resume date
// while intake is off is recorded as another switch-off, which keeps when
// intake went off (the page's "switched off" and the reminder count from
// it, R-ORG-2); a switch-off after intake came back on, by a switch-on or
// by its resume date, starts again.
func TestIntakeEditWhileOffKeepsOffSince_ORG2(t *testing.T) {
	day := func(d, h int) time.Time { return time.Date(2025, time.June, d, h, 0, 0, 0, time.UTC) }
	base := given(receiverOrg()...)
	o := base.organisation()
	rev := uint64(len(base))
	apply := func(at time.Time, e domain.Event) {
		o = domain.EvolveOrganisation(o, domain.Recorded{Event: e, At: at, Revision: rev})
		rev++
	}
	wantSince := func(what string, since time.Time, reason, resume string) {
		t.Helper()
		if !o.IntakeOff || !o.IntakeOffSince.Equal(since) || o.IntakeReason != reason || o.ResumeOn != resume {
			t.Errorf("%s: off %v since %v reason %q resume %q; want off since %v, %q, %q", what,
				o.IntakeOff, o.IntakeOffSince, o.IntakeReason, o.ResumeOn, since, reason, resume)
		}
	}

	apply(day(10, 9), &domain.OrganisationIntakeSwitchedOff{Reason: "Staff shortage"})
	wantSince("off", day(10, 9), "Staff shortage", "")
	apply(day(12, 9), &domain.OrganisationIntakeSwitchedOff{Reason: "Staff shortage until the 20th"})
	wantSince("reason edited", day(10, 9), "Staff shortage until the 20th", "")
	apply(day(13, 9), &domain.OrganisationIntakeSwitchedOff{Reason: "Staff shortage until the 20th", ResumeOn: "2025-06-20"})
	wantSince("resume date set", day(10, 9), "Staff shortage until the 20th", "2025-06-20")
	// 23:30 on the 19th is still the 19th in London (BST): still off.
	apply(time.Date(2025, time.June, 19, 22, 30, 0, 0, time.UTC),
		&domain.OrganisationIntakeSwitchedOff{Reason: "Longer", ResumeOn: "2025-06-27"})
	wantSince("resume date moved the evening before", day(10, 9), "Longer", "2025-06-27")

	// Back on by its resume date, then off again: a new period.
	apply(day(28, 9), &domain.OrganisationIntakeSwitchedOff{Reason: "Again"})
	wantSince("off after resuming by itself", day(28, 9), "Again", "")

	// Switched on, then off: a new period.
	apply(day(29, 9), &domain.OrganisationIntakeSwitchedOn{})
	apply(day(30, 9), &domain.OrganisationIntakeSwitchedOff{Reason: "Once more"})
	wantSince("off after a switch-on", day(30, 9), "Once more", "")
}
