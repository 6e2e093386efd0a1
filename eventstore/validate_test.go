package eventstore_test

import (
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/eventstore"
)

func TestValidateAppend(t *testing.T) {
	good := func() eventstore.EventData {
		return eventstore.EventData{ID: uuid.New(), Type: "referral.made", SchemaVersion: 1}
	}
	with := func(change func(*eventstore.EventData)) []eventstore.EventData {
		ev := good()
		change(&ev)
		return []eventstore.EventData{good(), ev}
	}
	dup := good()
	cases := []struct {
		name   string
		stream string
		events []eventstore.EventData
		ok     bool
	}{
		{"OK", "s", []eventstore.EventData{good(), good()}, true},
		{"EmptyStream", "", []eventstore.EventData{good()}, false},
		{"NoEvents", "s", nil, false},
		{"NilID", "s", with(func(e *eventstore.EventData) { e.ID = uuid.Nil }), false},
		{"EmptyType", "s", with(func(e *eventstore.EventData) { e.Type = "" }), false},
		{"SchemaVersion0", "s", with(func(e *eventstore.EventData) { e.SchemaVersion = 0 }), false},
		{"DuplicateID", "s", []eventstore.EventData{dup, good(), dup}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := eventstore.ValidateAppend(c.stream, c.events)
			if c.ok && err != nil {
				t.Errorf("ValidateAppend = %v, want nil", err)
			}
			if !c.ok && !errors.Is(err, eventstore.ErrInvalid) {
				t.Errorf("ValidateAppend = %v, want ErrInvalid", err)
			}
		})
	}
}
