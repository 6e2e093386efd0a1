package sqlite

import (
	"bytes"
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/eventstore"
)

// Issue14: the read pool's connections give their SQLite handles, so reads
// take the direct path (cread.go) with this version of the driver. If an
// upgrade of modernc.org/sqlite moves them, reads stay correct (the
// general path) but lose their speed: this test says so.
func TestIssue14ReadsGoStraightToSQLite(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	conn, err := s.read.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var ok bool
	if err := conn.Raw(func(dc any) error { _, ok = handlesOf(dc); return nil }); err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Fatal("the driver's connection does not give its SQLite handles: reads take the general path")
	}
	if _, ok := handlesOf(struct{ db uintptr }{1}); ok {
		t.Error("handlesOf took a value that is not the driver's connection")
	}
}

// Issue14: the direct read returns exactly the events the general read
// (database/sql's Scan) does, for rows of every shape the store writes:
// empty and absent data, metadata with and without optional fields, text
// that is not ASCII, several streams and types, by position and by stream.
func TestIssue14DirectReadEqualsGeneralRead(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)
	evs := []eventstore.EventData{
		{ID: uuid.New(), Type: "a", SchemaVersion: 1, Data: []byte(`{"x":1}`)},
		{ID: uuid.New(), Type: "b", SchemaVersion: 2, Data: nil},
		{ID: uuid.New(), Type: "a", SchemaVersion: 1, Data: []byte{},
			Metadata: eventstore.Metadata{ActorUserID: "u-1", ActorOrganisationID: "o-1", CorrelationID: "c", CausationID: "d", RecordedAt: at}},
		{ID: uuid.New(), Type: "ünïcode", SchemaVersion: 7, Data: []byte("\x00\xff binary"),
			Metadata: eventstore.Metadata{ActorUserID: "名前"}},
	}
	for i, stream := range []string{"s-1", "s-2", "s-1", "ström"} {
		for j := range evs {
			evs[j].ID = uuid.New()
		}
		if _, err := s.Append(ctx, stream, eventstore.Any(), evs...); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
	for _, q := range []struct {
		query string
		args  []any
	}{
		{`SELECT ` + eventColumns + ` FROM events WHERE position > ? ORDER BY position LIMIT ?`, []any{eventstore.Position(0), -1}},
		{`SELECT ` + eventColumns + ` FROM events WHERE position > ? ORDER BY position LIMIT ?`, []any{eventstore.Position(3), 5}},
		{`SELECT ` + eventColumns + ` FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?`, []any{"s-1", int64(2), -1}},
		{`SELECT ` + eventColumns + ` FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?`, []any{"ström", int64(0), -1}},
	} {
		conn, err := s.read.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		general, err := slowQuery(ctx, conn, nil, q.query, q.args...)
		if err != nil {
			t.Fatal(err)
		}
		cargs, ok := cArgs(q.args)
		if !ok {
			t.Fatalf("%v: arguments not taken", q.args)
		}
		var direct []eventstore.RecordedEvent
		var qerr error
		err = conn.Raw(func(dc any) error {
			h, ok := handlesOf(dc)
			if !ok {
				t.Fatal("no SQLite handles")
			}
			direct, qerr = cQuery(ctx, h, nil, nil, nil, q.query, cargs)
			return nil
		})
		conn.Close()
		if err != nil || qerr != nil {
			t.Fatalf("%v: direct read: %v, %v", q.args, err, qerr)
		}
		if len(general) == 0 || !reflect.DeepEqual(normalised(direct), normalised(general)) {
			t.Errorf("%v: direct read\n%+v\ngeneral read\n%+v", q.args, direct, general)
		}
	}
}

// normalised makes empty data nil, the one difference the two reads may
// have (both mean no bytes, and hash the same).
func normalised(evs []eventstore.RecordedEvent) []eventstore.RecordedEvent {
	out := make([]eventstore.RecordedEvent, len(evs))
	for i, e := range evs {
		if len(e.Data) == 0 {
			e.Data = nil
		}
		out[i] = e
	}
	return out
}

// Issue14: a read event's data and its metadata's strings share one
// allocation; the event is still the caller's to change: appending to its
// data, or writing over it, leaves its metadata as stored, and the next
// read gives the stored event again.
func TestIssue14ReadDataSharesNoBytesWithMetadata(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	meta := eventstore.Metadata{ActorUserID: "u-1", ActorOrganisationID: "o-1", CorrelationID: "c-1", CausationID: "d-1",
		RecordedAt: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	if _, err := s.Append(ctx, "s-1", eventstore.NoStream(),
		eventstore.EventData{ID: uuid.New(), Type: "a", SchemaVersion: 1, Data: []byte(`{"x":1}`), Metadata: meta}); err != nil {
		t.Fatal(err)
	}
	read := func() eventstore.RecordedEvent {
		t.Helper()
		evs, err := s.ReadAll(ctx, eventstore.Start, 0)
		if err != nil || len(evs) != 1 {
			t.Fatalf("ReadAll = %d events, %v", len(evs), err)
		}
		return evs[0]
	}
	ev := read()
	want := meta // strings of their own, which the read's bytes cannot change
	want.PrevHash = eventstore.GenesisHash
	want.Hash = strings.Clone(ev.Metadata.Hash)
	if ev.Metadata != want || len(want.Hash) != 64 {
		t.Fatalf("read %+v, want %+v", ev.Metadata, want)
	}
	if cap(ev.Data) != len(ev.Data) {
		t.Errorf("data has room for %d more bytes, which are the metadata's", cap(ev.Data)-len(ev.Data))
	}
	grown := append(ev.Data, bytes.Repeat([]byte{'!'}, 512)...)
	for i := range grown {
		grown[i] = 'z'
	}
	for i := range ev.Data {
		ev.Data[i] = 'z'
	}
	if ev.Metadata != want {
		t.Errorf("metadata changed with the data: %+v, want %+v", ev.Metadata, want)
	}
	if again := read(); string(again.Data) != `{"x":1}` || again.Metadata != want {
		t.Errorf("read again: %q, %+v", again.Data, again.Metadata)
	}
}
