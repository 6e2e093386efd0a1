package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/eventstore"
)

// verifyEachWay runs the three row checks Verify can use over the file at
// path (in parallel chunks, in one pass through the driver, and through
// database/sql) and returns each one's report and error as text.
func verifyEachWay(t *testing.T, path string) [3]string {
	t.Helper()
	var out [3]string
	for way := range out {
		db, err := sql.Open("sqlite", readOnlyDSN(path, options{}))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
			t.Fatal(err)
		}
		var rep Report
		switch way {
		case 0:
			err = verifyRowsFast(ctx, db, conn, &rep, true)
		case 1:
			err = verifyRowsFast(ctx, db, conn, &rep, false)
		case 2:
			err = verifyRows(ctx, conn, &rep)
		}
		out[way] = fmt.Sprintf("%+v %v", rep, err)
		_, _ = conn.ExecContext(ctx, "ROLLBACK")
		_ = conn.Close()
		_ = db.Close()
	}
	return out
}

// TestIssue14VerifyWaysAgree proves that the parallel verification gives
// the same report and the same first failure (R-LEDGER-4) as reading the
// rows one by one, over a log of several chunks: intact, with an event
// changed in a late chunk, and with events cut from an early one.
func TestIssue14VerifyWaysAgree(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	const n = 3*verifyChunk + 100
	evs := make([]eventstore.EventData, 100)
	for i := 0; i < n; i += len(evs) {
		k := min(len(evs), n-i)
		for j := range evs[:k] {
			evs[j] = eventstore.EventData{ID: uuid.New(), Type: "t", SchemaVersion: 1, Data: []byte(`{"n":1}`)}
		}
		if _, err := s.Append(context.Background(), fmt.Sprintf("s-%d", i%7), eventstore.Any(), evs[:k]...); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	check := func(name, want string) {
		t.Helper()
		got := verifyEachWay(t, path)
		if got[0] != got[2] || got[1] != got[2] {
			t.Fatalf("%s: the ways disagree:\nparallel: %s\none pass: %s\nplain:    %s", name, got[0], got[1], got[2])
		}
		if want != "" && !strings.Contains(got[0], want) {
			t.Fatalf("%s: %s, want %q in it", name, got[0], want)
		}
	}
	check("intact", fmt.Sprintf("Events:%d ", n))
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exec := func(q string) {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`DROP TRIGGER events_no_update`)
	exec(`DROP TRIGGER events_no_delete`)
	exec(fmt.Sprintf(`UPDATE events SET data = CAST('{"n":2}' AS BLOB) WHERE position = %d`, 3*verifyChunk+50))
	check("changed", "hash does not match")
	exec(`DELETE FROM events WHERE position BETWEEN 5000 AND 5002`)
	check("cut", "position 5003 follows position 4999")
}
