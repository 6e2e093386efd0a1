package domain

import (
	"slices"
	"testing"
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
