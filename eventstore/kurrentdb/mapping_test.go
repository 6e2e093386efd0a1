package kurrentdb_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/kurrentdb"
	"github.com/referral-ledger/ledger/eventstore/kurrentdb/kurrentdbtest"
)

// What goes over the wire: the caller's id, the ledger's type, JSON data as
// JSON and other bytes as bytes, unchanged; the schema version and sealed
// envelope in the custom metadata; and the ledger position is the commit
// position in $all. Every chain the adapter builds verifies.
func TestWireMappingAndChain(t *testing.T) {
	url, ctl := kurrentdbtest.Start(t)
	s := open(t, url)
	a, b := referral(), "organisation-x"
	binary := event("referral.document_attached")
	binary.Data = []byte{0x00, 0xff, 0x10} // e.g. ciphertext
	binary.SchemaVersion = 3
	mustAppend(t, s, a, eventstore.NoStream(), event("referral.made"), binary)
	mustAppend(t, s, b, eventstore.Any(), event("organisation.registered"))
	mustAppend(t, s, a, eventstore.Exact(1), event("referral.acknowledged"))

	stored := ctl.Stream(a)
	if len(stored) != 3 {
		t.Fatalf("the server holds %d events in %s, want 3", len(stored), a)
	}
	got := stored[1]
	switch {
	case got.ID != binary.ID || got.Type != binary.Type || string(got.Data) != string(binary.Data):
		t.Errorf("wire event = %s %q %x, want the caller's %s %q %x", got.ID, got.Type, got.Data, binary.ID, binary.Type, binary.Data)
	case got.ContentType != "application/octet-stream" || stored[0].ContentType != "application/json":
		t.Errorf("content types %q and %q, want JSON for JSON data and octet-stream otherwise", stored[0].ContentType, got.ContentType)
	}
	var env struct {
		SchemaVersion int                 `json:"schema_version"`
		Metadata      eventstore.Metadata `json:"metadata"`
	}
	if err := json.Unmarshal(got.Metadata, &env); err != nil {
		t.Fatalf("custom metadata %s: %v", got.Metadata, err)
	}
	if env.SchemaVersion != 3 || env.Metadata.ActorUserID != "user-1" || env.Metadata.Hash == "" || env.Metadata.PrevHash == eventstore.GenesisHash {
		t.Errorf("custom metadata = %s, want schema version 3 and the sealed envelope", got.Metadata)
	}

	all := readAll(t, s)
	wire := ctl.All()
	for i, ev := range all {
		if uint64(ev.Position) != wire[i].Position || ev.ID != wire[i].ID {
			t.Errorf("event %d at ledger position %d, want the commit position %d", i, ev.Position, wire[i].Position)
		}
	}
	rep, err := eventstore.VerifyAll(ctxFor(t), s)
	if err != nil || rep.Events != 4 || rep.Streams != 2 {
		t.Errorf("VerifyAll = %+v, %v; want 4 events in 2 streams", rep, err)
	}
}

// $all holds more than the ledger: system events and other applications'
// streams. ReadAll, Head and Subscribe see only the ledger's prefixes;
// Append and ReadStream refuse the rest.
func TestOnlyLedgerStreams(t *testing.T) {
	url, ctl := kurrentdbtest.Start(t)
	s := open(t, url)
	noise := func() {
		ctl.AppendRaw("$stats-127.0.0.1:2113", "$statsCollected", []byte(`{}`))
		ctl.AppendRaw("orders-1", "OrderPlaced", []byte(`{}`))
		ctl.AppendRaw("referral", "NotOurs", []byte(`{}`)) // no dash: not the prefix
	}
	noise()
	var want []eventstore.AppendResult
	for _, stream := range []string{referral(), "username-abc", "client-1", "access-1", "organisation-1"} {
		want = append(want, mustAppend(t, s, stream, eventstore.NoStream(), event("x")))
		noise()
	}

	all := readAll(t, s)
	if len(all) != len(want) {
		t.Fatalf("ReadAll returned %d events, want the %d ledger ones", len(all), len(want))
	}
	for i, ev := range all {
		if ev.Position != want[i].Position {
			t.Errorf("event %d at %d, want %d", i, ev.Position, want[i].Position)
		}
	}
	if h, err := s.Head(ctxFor(t)); err != nil || h != want[len(want)-1].Position {
		t.Errorf("Head = %d, %v; want the last ledger event %d, not the noise after it", h, err, want[len(want)-1].Position)
	}
	sub := s.Subscribe(ctxFor(t), eventstore.Start)
	defer sub.Close()
	sameOrder(t, receive(t, sub, len(all)), all)
	noise()
	live := mustAppend(t, s, referral(), eventstore.NoStream(), event("x"))
	if ev := receive(t, sub, 1)[0]; ev.Position != live.Position {
		t.Errorf("live event at %d, want %d", ev.Position, live.Position)
	}

	for _, stream := range []string{"orders-1", "$stats-127.0.0.1:2113", "referral"} {
		if _, err := s.Append(ctxFor(t), stream, eventstore.Any(), event("x")); !errors.Is(err, eventstore.ErrInvalid) {
			t.Errorf("Append(%q) = %v, want ErrInvalid", stream, err)
		}
		if _, err := s.ReadStream(ctxFor(t), stream, 0, 10); !errors.Is(err, eventstore.ErrInvalid) {
			t.Errorf("ReadStream(%q) = %v, want ErrInvalid", stream, err)
		}
	}
}

// An event in a ledger stream that the ledger did not write has no envelope
// to read and no hash to chain to: reads name it and appends to its stream
// refuse, rather than extend a chain that cannot verify.
func TestForeignEventInLedgerStream(t *testing.T) {
	url, ctl := kurrentdbtest.Start(t)
	s := open(t, url)
	stream := referral()
	ctl.AppendRaw(stream, "Foreign", []byte(`{}`))
	if _, err := s.ReadAll(ctxFor(t), eventstore.Start, 10); err == nil {
		t.Error("ReadAll returned a foreign event without complaint")
	}
	if _, err := s.Append(ctxFor(t), stream, eventstore.Any(), event("x")); err == nil {
		t.Error("Append extended a stream whose last event has no hash")
	}
	if n := len(ctl.Stream(stream)); n != 1 {
		t.Errorf("the server holds %d events in the stream, want only the foreign one", n)
	}
}

// Two ledgers in one KurrentDB under different namespaces never see each
// other's events.
func TestNamespaces(t *testing.T) {
	url, ctl := kurrentdbtest.Start(t)
	blue := open(t, url, kurrentdb.WithNamespace("blue."))
	green := open(t, url, kurrentdb.WithNamespace("green."))
	stream := referral()
	b := mustAppend(t, blue, stream, eventstore.NoStream(), event("x"))
	g := mustAppend(t, green, stream, eventstore.NoStream(), event("x"))
	if b.Revision != 0 || g.Revision != 0 {
		t.Errorf("revisions %d and %d, want both streams new", b.Revision, g.Revision)
	}
	if n := len(ctl.Stream("blue." + stream)); n != 1 {
		t.Errorf("KurrentDB stream blue.%s holds %d events, want 1", stream, n)
	}
	for name, s := range map[string]*kurrentdb.Store{"blue": blue, "green": green} {
		if all := readAll(t, s); len(all) != 1 || all[0].Stream != stream {
			t.Errorf("%s sees %d events, want its own one in %q", name, len(all), stream)
		}
	}
}
