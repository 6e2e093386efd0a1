package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/sqlite"
)

// fillLog appends n events over three streams, up to 50 per append.
func fillLog(t *testing.T, s *sqlite.Store, n int) {
	t.Helper()
	for i := 0; i < n; {
		k := min(n-i, 1+i%50)
		evs := make([]eventstore.EventData, k)
		for j := range evs {
			evs[j] = testEvent(fmt.Sprintf("t%d", (i+j)%4))
		}
		if _, err := s.Append(context.Background(), fmt.Sprintf("s-%d", i%3), eventstore.Any(), evs...); err != nil {
			t.Fatal(err)
		}
		i += k
	}
}

// readPages reads the whole log through ReadAll in pages of page events,
// failing t if a page but the last is short.
func readPages(t *testing.T, s eventstore.Store, after eventstore.Position, page int) []eventstore.RecordedEvent {
	t.Helper()
	var all []eventstore.RecordedEvent
	short := false // a page before had fewer than page events
	for {
		evs, err := s.ReadAll(context.Background(), after, page)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			return all
		}
		// Only the last page may be short: callers such as migrate take a
		// short page for the end of the log.
		if len(evs) > page || short {
			t.Fatalf("ReadAll(%d, %d) returned %d events after a short page: %v", after, page, len(evs), short)
		}
		short = len(evs) < page
		all = append(all, evs...)
		after = evs[len(evs)-1].Position
	}
}

// TestIssue14ReadAllPagesEqualOneRead proves that large pages, which are
// read in two halves at once, give exactly the events of one plain read,
// at every page size and starting point, full pages until the end
// (R-LEDGER-1: the log reads back as written).
func TestIssue14ReadAllPagesEqualOneRead(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "ledger.db"))
	fillLog(t, s, 1500)
	all, err := s.ReadAll(context.Background(), eventstore.Start, 0)
	if err != nil || len(all) != 1500 {
		t.Fatalf("ReadAll unlimited: %d events, %v", len(all), err)
	}
	for _, page := range []int{255, 256, 300, 999, 1000, 1499, 1500, 4096} {
		for _, after := range []eventstore.Position{0, 1, 17, 700, 1243, 1499, 1500} {
			evs, err := s.ReadAll(context.Background(), after, page)
			if err != nil {
				t.Fatal(err)
			}
			want := all[after:min(len(all), int(after)+page)]
			if !reflect.DeepEqual(evs, want) {
				t.Fatalf("ReadAll(%d, %d): %d events, not the %d of one read", after, page, len(evs), len(want))
			}
		}
		if got := readPages(t, s, 0, page); !reflect.DeepEqual(got, all) {
			t.Fatalf("pages of %d: %d events, not the %d of one read", page, len(got), len(all))
		}
	}
}

// TestIssue14ReadAllMissingAndOddRows reads a tampered log: positions cut
// out of the middle (so a page's first half is short) and a row whose
// stream was rewritten as a blob (which the driver hands over as bytes).
// Pages still hold every stored row in order, as one plain read does.
func TestIssue14ReadAllMissingAndOddRows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	s := openAt(t, path)
	fillLog(t, s, 1200)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	mustExec(t, db, `DROP TRIGGER events_no_delete`)
	mustExec(t, db, `DROP TRIGGER events_no_update`)
	mustExec(t, db, `DELETE FROM events WHERE position BETWEEN 5 AND 10 OR position BETWEEN 300 AND 310`)
	mustExec(t, db, `UPDATE events SET stream = CAST(stream AS BLOB) WHERE position = 400`)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	ro, err := sqlite.OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	all, err := ro.ReadAll(context.Background(), eventstore.Start, 0)
	if err != nil || len(all) != 1200-6-11 {
		t.Fatalf("ReadAll unlimited: %d events, %v", len(all), err)
	}
	if all[399-6-11].Position != 400 || all[399-6-11].Stream == "" {
		t.Fatalf("the blob-stream row reads as %+v", all[399-6-11])
	}
	for _, page := range []int{256, 600, 1000} {
		if got := readPages(t, ro, 0, page); !reflect.DeepEqual(got, all) {
			t.Fatalf("pages of %d: %d events, not the %d of one read", page, len(got), len(all))
		}
	}
}
