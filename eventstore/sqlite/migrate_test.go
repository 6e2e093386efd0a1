package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/eventstore"
)

// v1Ledger writes a ledger file as schema version 1 left it, metadata as
// JSON: events over two streams, one stamped in a time zone other than UTC
// (which the compact form cannot hold), and, when tamper, one whose
// metadata no longer decodes. It returns the events as version 1 reads them.
func v1Ledger(t *testing.T, path string, tamper bool) []eventstore.RecordedEvent {
	t.Helper()
	db, err := sql.Open("sqlite", dsn(path, pragmas(time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, stmt := range []string{migrations[0].sql, `PRAGMA user_version = 1`} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	var out []eventstore.RecordedEvent
	heads := map[string]string{}
	revs := map[string]uint64{}
	for i := range 12 {
		stream := fmt.Sprintf("s%d", i%2)
		prev, ok := heads[stream]
		if !ok {
			prev = eventstore.GenesisHash
		}
		ev := eventstore.EventData{ID: uuid.New(), Type: "x", SchemaVersion: 1, Data: []byte(`{"n":1}`),
			Metadata: eventstore.Metadata{ActorUserID: "u", CorrelationID: fmt.Sprint("c", i),
				RecordedAt: time.Date(2026, 1, 2, 3, 4, 5, i*1000, time.UTC)}}
		meta := eventstore.Seal(stream, revs[stream], prev, ev)
		if i == 5 { // as a JSON round trip keeps it: +01:00, not UTC
			meta.RecordedAt = meta.RecordedAt.In(time.FixedZone("", 3600))
			meta.Hash = eventstore.ComputeHash(stream, revs[stream], ev.ID, ev.Type, ev.SchemaVersion, ev.Data, meta)
		}
		metaJSON, _ := json.Marshal(meta)
		if tamper && i == 8 {
			metaJSON = []byte(`{`)
		}
		res, err := db.Exec(`INSERT INTO events (id, stream, revision, type, schema_version, data, metadata) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			ev.ID.String(), stream, revs[stream], ev.Type, ev.SchemaVersion, ev.Data, metaJSON)
		if err != nil {
			t.Fatal(err)
		}
		pos, _ := res.LastInsertId()
		var back eventstore.Metadata
		_ = json.Unmarshal(metaJSON, &back)
		out = append(out, eventstore.RecordedEvent{ID: ev.ID, Stream: stream, Revision: revs[stream], Position: eventstore.Position(pos),
			Type: ev.Type, SchemaVersion: ev.SchemaVersion, Data: ev.Data, Metadata: back})
		heads[stream], revs[stream] = meta.Hash, revs[stream]+1
	}
	return out
}

// Issue 14, point 3: opening a version 1 file rewrites its JSON metadata in
// the compact form, except where that form cannot hold the values exactly;
// every event reads back as before, every chain still verifies, and the
// store appends on from the migrated heads.
func TestOpenMigratesMetadataToCompactForm_Issue14(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	want := v1Ledger(t, path, false)
	if _, err := Verify(context.Background(), path); err != nil {
		t.Fatalf("version 1 file does not verify before migration: %v", err)
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	got, err := s.ReadAll(ctx, eventstore.Start, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("read %d events, want %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) && !sameInstant(got[i], want[i]) {
			t.Errorf("event %d after migration:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	if _, err := s.Append(ctx, "s1", eventstore.Exact(5), eventstore.EventData{ID: uuid.New(), Type: "x", SchemaVersion: 1, Data: []byte{}}); err != nil {
		t.Fatalf("append after migration: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(ctx, path)
	if err != nil || rep.Events != 13 {
		t.Fatalf("Verify after migration = %+v, %v; want 13 events", rep, err)
	}
	db, err := sql.Open("sqlite", dsn(path, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var version, jsonRows, compactRows int
	if err := db.QueryRow(`PRAGMA user_version`).Scan(&version); err != nil || version != schemaVersion {
		t.Errorf("user_version = %d, %v; want %d", version, err, schemaVersion)
	}
	if err := db.QueryRow(`SELECT count(*) FILTER (WHERE substr(metadata, 1, 1) = x'7b'),
		count(*) FILTER (WHERE substr(metadata, 1, 1) = x'01') FROM events`).Scan(&jsonRows, &compactRows); err != nil {
		t.Fatal(err)
	}
	if jsonRows != 1 || compactRows != 12 {
		t.Errorf("%d rows in JSON and %d compact; want only the one not in UTC left in JSON", jsonRows, compactRows)
	}
	if _, err := db.Exec(`UPDATE events SET data = x'00'`); err == nil {
		t.Error("the immutability trigger is gone after migration")
	}
}

// sameInstant accepts the event in a time zone other than UTC: the JSON it
// keeps reads back in a zone of the same offset, which reflect sees as
// another *Location.
func sameInstant(a, b eventstore.RecordedEvent) bool {
	ta, tb := a.Metadata.RecordedAt, b.Metadata.RecordedAt
	a.Metadata.RecordedAt, b.Metadata.RecordedAt = time.Time{}, time.Time{}
	return ta.Equal(tb) && reflect.DeepEqual(a, b)
}

// A tampered version 1 file is migrated as it is: the row that did not
// decode is left alone, and Verify still names it.
func TestOpenMigratesTamperedFileUnchanged_Issue14(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	v1Ledger(t, path, true)
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = Verify(context.Background(), path)
	var broken *eventstore.BrokenLinkError
	if !errors.As(err, &broken) || broken.Position != 9 {
		t.Fatalf("Verify = %v, want a broken link at position 9", err)
	}
}

// The compact form is one-to-one: every metadata round-trips, and a
// non-canonical encoding of the same values is refused.
func TestCompactMetadataIsCanonical_Issue14(t *testing.T) {
	meta := eventstore.Metadata{ActorUserID: "0190a4c5-7f64-7d6e-8a3b-5b1f0e2d9c44", CorrelationID: "req-1",
		RecordedAt: time.Date(1969, 12, 31, 23, 59, 59, 999, time.UTC), PrevHash: eventstore.GenesisHash, Hash: "not hex"}
	enc := encodeMeta(nil, meta)
	back, err := decodeMeta(enc)
	if err != nil || !reflect.DeepEqual(back, meta) {
		t.Fatalf("round trip = %+v, %v; want %+v", back, err, meta)
	}
	for name, bad := range map[string][]byte{
		"trailing byte":      append(bytes.Clone(enc), 0),
		"cut short":          enc[:len(enc)-1],
		"unknown form":       append([]byte{0x02}, enc[1:]...),
		"non-minimal varint": append([]byte{compactMeta, 0x80 | enc[1], 0x00}, enc[2:]...),
		"hash as text":       textualHash(),
	} {
		if _, err := decodeMeta(bad); err == nil {
			t.Errorf("%s: decoded, want an error", name)
		}
	}
	if got := validUTF8("a\xffb\xfe"); got != "a\uFFFDb\uFFFD" {
		t.Errorf("validUTF8 = %q", got)
	}
}

// textualHash is metadata whose previous hash, the genesis hash, is stored
// as text although it has the raw form.
func textualHash() []byte {
	b := binary.AppendUvarint(binary.AppendVarint([]byte{compactMeta}, 0), 0)
	for range 4 {
		b = appendString(b, "")
	}
	b = appendString(append(b, textHash), eventstore.GenesisHash)
	return appendHash(b, "")
}
