package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/sqlite"
)

func testEvent(typ string) eventstore.EventData {
	return eventstore.EventData{ID: uuid.New(), Type: typ, SchemaVersion: 1, Data: []byte(`{"n":1}`),
		Metadata: eventstore.Metadata{ActorUserID: "u", ActorOrganisationID: "o"}}
}

// rawDB opens the ledger file directly, as someone with access to the disk
// could, bypassing the store.
func rawDB(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

// tamperLedger writes 12 single-event appends round-robin over streams a, b
// and c, so stream a is at positions 1, 4, 7, 10, b at 2, 5, 8, 11 and c at
// 3, 6, 9, 12, closes the store and returns a raw connection whose
// immutability triggers are dropped, as a determined tamperer would.
func tamperLedger(t *testing.T) (string, *sql.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ledger.db")
	s := openAt(t, path)
	for i := range 12 {
		if _, err := s.Append(context.Background(), []string{"a", "b", "c"}[i%3], eventstore.Any(), testEvent("x")); err != nil {
			t.Fatal(err)
		}
	}
	// Verify may run beside a live store.
	if _, err := sqlite.Verify(context.Background(), path); err != nil {
		t.Fatalf("Verify beside an open store: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	mustExec(t, db, `DROP TRIGGER events_no_update`)
	mustExec(t, db, `DROP TRIGGER events_no_delete`)
	return path, db
}

func mustExec(tb testing.TB, db *sql.DB, query string, args ...any) {
	tb.Helper()
	if _, err := db.Exec(query, args...); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
}

// R-LEDGER-4: each kind of tampering is caught, and Verify names the first
// event in position order that no longer fits.
func TestVerifyDetectsTampering(t *testing.T) {
	cases := []struct {
		name       string
		tamper     func(*testing.T, *sql.DB)
		brokenAt   eventstore.Position // 0: expect success
		truncated  bool
		viaGeneric bool // the backend-neutral VerifyAll catches it too
	}{
		{name: "Untouched"},
		{"FlipDataByte", func(t *testing.T, db *sql.DB) {
			mustExec(t, db, `UPDATE events SET data = CAST(replace(CAST(data AS TEXT), '1', '2') AS BLOB) WHERE position = 5`)
		}, 5, false, true},
		{"ChangeActor", func(t *testing.T, db *sql.DB) {
			changeMetadata(t, db, 7, func(m *eventstore.Metadata) { m.ActorUserID = "v" })
		}, 7, false, true},
		{"FlipMetadataByte", func(t *testing.T, db *sql.DB) {
			// The last byte of the stored metadata is the last of the hash.
			mustExec(t, db, `UPDATE events SET metadata = substr(metadata, 1, length(metadata) - 1) ||
				CASE WHEN substr(metadata, -1) = x'00' THEN x'01' ELSE x'00' END WHERE position = 8`)
		}, 8, false, true},
		{"DeleteMiddle", func(t *testing.T, db *sql.DB) {
			mustExec(t, db, `DELETE FROM events WHERE position = 5`)
		}, 6, false, true},
		{"DeleteLast", func(t *testing.T, db *sql.DB) {
			mustExec(t, db, `DELETE FROM events WHERE position = 12`)
		}, 0, true, false},
		{"SwapDataAndMetadata", func(t *testing.T, db *sql.DB) {
			swapContents(t, db, 4, 7) // revisions 1 and 2 of stream a
		}, 4, false, true},
		{"SwapRevisions", func(t *testing.T, db *sql.DB) {
			mustExec(t, db, `UPDATE events SET revision = -1 WHERE position = 4`)
			mustExec(t, db, `UPDATE events SET revision = 1 WHERE position = 7`)
			mustExec(t, db, `UPDATE events SET revision = 2 WHERE position = 4`)
		}, 4, false, true},
		{"RehashedEvent", func(t *testing.T, db *sql.DB) {
			rehash(t, db, 4) // its own hash fits; the next event in stream a no longer does
		}, 7, false, true},
		{"UndecodableMetadata", func(t *testing.T, db *sql.DB) {
			mustExec(t, db, `UPDATE events SET metadata = CAST('{' AS BLOB) WHERE position = 9`)
		}, 9, false, false},
		{"TruncatedMetadata", func(t *testing.T, db *sql.DB) {
			mustExec(t, db, `UPDATE events SET metadata = substr(metadata, 1, length(metadata) - 1) WHERE position = 9`)
		}, 9, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path, db := tamperLedger(t)
			if c.tamper != nil {
				c.tamper(t, db)
			}
			rep, err := sqlite.Verify(context.Background(), path)
			var broken *eventstore.BrokenLinkError
			var trunc *sqlite.TruncatedError
			switch {
			case c.truncated:
				if !errors.As(err, &trunc) || trunc.Last != 11 || trunc.Written != 12 {
					t.Fatalf("Verify = %v, want TruncatedError at 11 of 12", err)
				}
			case c.brokenAt != 0:
				if !errors.As(err, &broken) || broken.Position != c.brokenAt {
					t.Fatalf("Verify = %v, want a broken link at position %d", err, c.brokenAt)
				}
				if rep.Events != int(c.brokenAt)-1 && c.name != "DeleteMiddle" {
					t.Errorf("report counts %d events before the break, want %d", rep.Events, c.brokenAt-1)
				}
			default:
				want := sqlite.Report{Events: 12, Streams: 3, Last: 12, Written: 12}
				if err != nil || rep != want {
					t.Fatalf("Verify = %+v, %v; want %+v, nil", rep, err, want)
				}
			}
			if c.viaGeneric {
				s := openAt(t, path)
				if _, err := eventstore.VerifyAll(context.Background(), s); !errors.As(err, &broken) {
					t.Errorf("VerifyAll = %v, want a broken link", err)
				}
			}
		})
	}
}

// rehash changes an event's data and recomputes its hash, so only the link
// to the following event can reveal the change.
func rehash(t *testing.T, db *sql.DB, pos int) {
	t.Helper()
	var id, stream string
	var rev uint64
	var typ string
	var version int
	var metaJSON []byte
	err := db.QueryRow(`SELECT id, stream, revision, type, schema_version, metadata FROM events WHERE position = ?`, pos).
		Scan(&id, &stream, &rev, &typ, &version, &metaJSON)
	if err != nil {
		t.Fatal(err)
	}
	meta, err := sqlite.DecodeMetadata(metaJSON)
	if err != nil {
		t.Fatal(err)
	}
	data := []byte(`{"n":2}`)
	meta.Hash = eventstore.ComputeHash(stream, rev, uuid.MustParse(id), typ, version, data, meta)
	mustExec(t, db, `UPDATE events SET data = ?, metadata = ? WHERE position = ?`, data, sqlite.EncodeMetadata(meta), pos)
}

// changeMetadata rewrites the stored metadata of the event at pos, in the
// store's own encoding, leaving its hash as it was.
func changeMetadata(t *testing.T, db *sql.DB, pos int, change func(*eventstore.Metadata)) {
	t.Helper()
	var stored []byte
	if err := db.QueryRow(`SELECT metadata FROM events WHERE position = ?`, pos).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	meta, err := sqlite.DecodeMetadata(stored)
	if err != nil {
		t.Fatal(err)
	}
	change(&meta)
	mustExec(t, db, `UPDATE events SET metadata = ? WHERE position = ?`, sqlite.EncodeMetadata(meta), pos)
}

// swapContents exchanges the data and metadata of the events at positions p
// and q, leaving their ids and revisions where they were.
func swapContents(t *testing.T, db *sql.DB, p, q int) {
	t.Helper()
	var data [2][]byte
	var meta [2][]byte
	for i, pos := range []int{p, q} {
		if err := db.QueryRow(`SELECT data, metadata FROM events WHERE position = ?`, pos).Scan(&data[i], &meta[i]); err != nil {
			t.Fatal(err)
		}
	}
	mustExec(t, db, `UPDATE events SET data = ?, metadata = ? WHERE position = ?`, data[1], meta[1], p)
	mustExec(t, db, `UPDATE events SET data = ?, metadata = ? WHERE position = ?`, data[0], meta[0], q)
}

func TestVerifyMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.db")
	if _, err := sqlite.Verify(context.Background(), path); !errors.Is(err, eventstore.ErrUnavailable) {
		t.Errorf("Verify of a missing file = %v, want ErrUnavailable", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Verify created %s: %v", path, err)
	}
}

func TestVerifyEmptyLedger(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	if err := openAt(t, path).Close(); err != nil {
		t.Fatal(err)
	}
	if rep, err := sqlite.Verify(context.Background(), path); err != nil || rep != (sqlite.Report{}) {
		t.Errorf("Verify of an empty ledger = %+v, %v; want zero report, nil", rep, err)
	}
}

// TestVerifyCounterBehindTheEvents_LEDGER4: SQLite never moves the counter
// of positions handed out back, so one behind the last event (changed, or
// its row deleted) is tampering with the file, and Verify says so. It was
// reported as events missing from the end, naming a range that runs
// backwards ("events 13..5 are missing").
func TestVerifyCounterBehindTheEvents_LEDGER4(t *testing.T) {
	for _, c := range []struct{ name, sql, says string }{
		{"Lowered", `UPDATE sqlite_sequence SET seq = 5 WHERE name = 'events'`, "says 5"},
		{"Deleted", `DELETE FROM sqlite_sequence WHERE name = 'events'`, "says 0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path, db := tamperLedger(t)
			mustExec(t, db, c.sql)
			_, err := sqlite.Verify(context.Background(), path)
			var trunc *sqlite.TruncatedError
			if !errors.As(err, &trunc) || trunc.Last != 12 {
				t.Fatalf("Verify = %v, want the counter behind the last event, 12", err)
			}
			msg := err.Error()
			if strings.Contains(msg, "missing") || !strings.Contains(msg, c.says) || !strings.Contains(msg, "behind the last event at position 12") {
				t.Errorf("Verify says %q; want the counter named behind the last event, no events said missing", msg)
			}
		})
	}
}
