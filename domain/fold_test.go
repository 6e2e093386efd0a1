package domain

import (
	"slices"
	"testing"
	"time"
)

// TestEvolve_KnowsEveryType: each aggregate's evolve knows every event type
// of its aggregate's list, so no fact of a referral's, a client's, a
// lock's or an organisation's life falls through a silent default, and the
// read models that derive their views from these folds (R-LEDGER-1) see
// every one.
func TestEvolve_KnowsEveryType(t *testing.T) {
	folds := []struct {
		name  string
		types []string
		known func(Recorded) bool
	}{
		{"EvolveReferral", ReferralEventTypes(), func(rec Recorded) bool { _, ok := evolveReferral(Referral{}, rec); return ok }},
		{"EvolveClient", append(ClientEventTypes(), LockEventTypes()...), func(rec Recorded) bool {
			_, ok := evolveClient(ClientRecord{}, rec)
			return ok
		}},
		{"EvolveLock", LockEventTypes(), func(rec Recorded) bool { _, ok := evolveLock(Lock{}, rec); return ok }},
		{"EvolveOrganisation", OrganisationEventTypes(), func(rec Recorded) bool {
			_, ok := evolveOrganisation(Organisation{}, rec)
			return ok
		}},
	}
	for _, f := range folds {
		for _, typ := range f.types {
			e, ok := NewEvent(typ)
			if !ok {
				t.Fatalf("NewEvent(%q) does not know a type of the domain's lists", typ)
			}
			if !f.known(Recorded{Event: e}) {
				t.Errorf("%s ignores %s, an event type of its aggregate", f.name, typ)
			}
		}
	}
	// And none of them claims another aggregate's event.
	for _, typ := range Except(EventTypes(), ReferralEventTypes()...) {
		e, _ := NewEvent(typ)
		if _, ok := evolveReferral(Referral{}, Recorded{Event: e}); ok {
			t.Errorf("EvolveReferral claims %s", typ)
		}
	}
	for _, typ := range Except(EventTypes(), append(ClientEventTypes(), LockEventTypes()...)...) {
		e, _ := NewEvent(typ)
		if _, ok := evolveClient(ClientRecord{}, Recorded{Event: e}); ok {
			t.Errorf("EvolveClient claims %s", typ)
		}
	}
}

// TestReadings: a declaration covers every type once; declaring a type
// twice or one the domain lacks is refused at once.
func TestReadings(t *testing.T) {
	r := Readings{}.Handle(ReferralEventTypes()...).Ignore(Except(EventTypes(), ReferralEventTypes()...)...)
	if u := r.Undeclared(); len(u) != 0 {
		t.Fatalf("undeclared: %v", u)
	}
	if r.Of(ReferralClosedType) != Handled || r.Of(OrganisationRegisteredType) != Ignored {
		t.Error("readings read back wrong")
	}
	partial := Readings{}.Handle(ReferralMadeType)
	if u := partial.Undeclared(); len(u) != len(EventTypes())-1 || slices.Contains(u, ReferralMadeType) {
		t.Errorf("undeclared of a partial declaration: %v", u)
	}
	for name, declare := range map[string]func(){
		"twice":   func() { Readings{}.Handle(ReferralMadeType).Ignore(ReferralMadeType) },
		"unknown": func() { Readings{}.Ignore("referral.something_new") },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("declaring a type %s did not panic", name)
				}
			}()
			declare()
		}()
	}
}

// TestStatus_OpenEndedFinal: every status is open or ended; an ended
// referral says when it ended (the clients index dates retention from it,
// R-PRIV-5); only a final one (forwarded, withdrawn) can never be reopened
// by its receiver, so readers may forget it (R-REF-10..12).
func TestStatus_OpenEndedFinal(t *testing.T) {
	receiver := Actor{UserID: [16]byte{1}, OrganisationID: [16]byte{2}, Roles: []Role{RoleAdviser}}
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	for _, s := range Statuses() {
		r := Referral{Exists: true, Status: s, ToOrganisationID: receiver.OrganisationID,
			ClosedAt: at, DeclinedAt: at, ForwardedAt: at, WithdrawnAt: at}
		if s.Open() {
			if !r.EndedAt().IsZero() || s.Final() {
				t.Errorf("open status %s: ended at %v, final %v", s, r.EndedAt(), s.Final())
			}
			continue
		}
		if !r.EndedAt().Equal(at) {
			t.Errorf("ended status %s: EndedAt %v", s, r.EndedAt())
		}
		_, err := DecideReopen(r, receiver, "The client came back.", 30, at.Add(time.Hour))
		if reopenable := err == nil; reopenable == s.Final() {
			t.Errorf("status %s: final %v, but reopening it gives %v", s, s.Final(), err)
		}
	}
}
