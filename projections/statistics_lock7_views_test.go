package projections

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/calendar"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/sqlite"
	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/statistics"
)

// viewsSchema3LockRequests turns the views at path into what schema
// version 3 wrote: the statistics' lock requests without the times each
// lock was approved and lifted, everything else as it is.
func viewsSchema3LockRequests(t *testing.T, path string) {
	t.Helper()
	views, err := OpenViews(path)
	if err != nil {
		t.Fatal(err)
	}
	defer views.Close()
	for _, q := range []string{
		`CREATE TABLE stat_lock_requests_3 (request BLOB PRIMARY KEY, organisation BLOB NOT NULL, at INTEGER,
			status INTEGER NOT NULL) WITHOUT ROWID`,
		`INSERT INTO stat_lock_requests_3 SELECT request, organisation, at, status FROM stat_lock_requests`,
		`DROP TABLE stat_lock_requests`,
		`ALTER TABLE stat_lock_requests_3 RENAME TO stat_lock_requests`,
		`CREATE INDEX stat_lock_requests_at ON stat_lock_requests (at)`,
		`PRAGMA user_version = 3`,
	} {
		if _, err := views.DB().Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var n int
	if err := views.DB().QueryRow(`SELECT COUNT(*) FROM stat_lock_requests`).Scan(&n); err != nil || n == 0 {
		t.Fatalf("the version 3 file holds %d lock requests (%v): the test proves nothing", n, err)
	}
}

// TestViewsOfSchema3GainLockedAtMonthEnd_LOCK7 (R-LOCK-7, R-VIEW-5): a
// data directory whose views.db was written by the schema before the
// cases locked at each month's end (version 3, its lock requests without
// the times approved and lifted) is rebuilt from the start of the log at
// the first start after the upgrade, not resumed from its checkpoint, and
// its statistics then equal, row for row and count for count, those of a
// new views file, the cases locked at each month's end included.
func TestViewsOfSchema3GainLockedAtMonthEnd_LOCK7(t *testing.T) {
	dir := t.TempDir()
	store, err := sqlite.Open(filepath.Join(dir, "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	rng := rand.New(rand.NewPCG(7, 14))
	w := newWorld(rng)
	events := statsHistory(rng, w, testCalendar(t), 80).events
	appendEvents(t, store, events, referralClients(events))

	fresh := filepath.Join(dir, "fresh.db")
	_, want, _, _ := runStatistics(t, store, fresh, w.orgs)
	v, err := OpenViews(fresh)
	if err != nil {
		t.Fatal(err)
	}
	st, err := OpenStatistics(t.Context(), v, testCalendar(t), domain.DefaultTimescales())
	if err != nil {
		t.Fatal(err)
	}
	statsCounted(t, st.Table)
	v.Close()

	path := filepath.Join(dir, ViewsFile)
	runStatistics(t, store, path, w.orgs)
	viewsSchema3LockRequests(t, path)

	_, got, from, _ := runStatistics(t, store, path, w.orgs)
	if from != eventstore.Start {
		t.Fatalf("the views of schema 3 were resumed after %d, not rebuilt", from)
	}
	if got != want {
		t.Fatalf("the statistics after the upgrade differ from a new file's:\n%s\nwant\n%s", got, want)
	}
	if !reflect.DeepEqual(dumpViews(t, path), dumpViews(t, fresh)) {
		t.Fatal("the views after the upgrade differ from a new file's")
	}
	if !reflect.DeepEqual(schemaOf(t, path), schemaOf(t, fresh)) {
		t.Fatal("the views' schema after the upgrade differs from a new file's")
	}
}

// TestLockedAtMonthEndRebuildEqualsIncremental_LOCK7_VIEW5 (R-LOCK-7,
// R-VIEW-5): a lock approved before a restart and lifted after it keeps
// the time it was approved: the statistics built across the restart hold
// the same rows as views rebuilt from the whole log at once, and count
// the case as locked at the end of January and February, not March,
// when it was lifted.
func TestLockedAtMonthEndRebuildEqualsIncremental_LOCK7_VIEW5(t *testing.T) {
	dir := t.TempDir()
	store, err := sqlite.Open(filepath.Join(dir, "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	rng := rand.New(rand.NewPCG(3, 7))
	org, manager, client := randomID(rng), randomID(rng), randomID(rng)
	stream := ledger.ClientStream(client)
	lock, unlock := randomID(rng), randomID(rng)
	log := newEventLog()
	log.add(stream, at(2027, 1, 11, 10), manager, org, &domain.LockRequested{RequestID: lock, ClientID: client,
		ResponsibleUserID: randomID(rng), Reason: statsViewMarker})
	log.add(stream, at(2027, 1, 12, 10), randomID(rng), org, &domain.LockApproved{RequestID: lock})
	log.add(stream, at(2027, 3, 5, 10), manager, org, &domain.UnlockRequested{RequestID: unlock, ClientID: client, Reason: statsViewMarker})
	log.add(stream, at(2027, 3, 8, 10), randomID(rng), org, &domain.UnlockApproved{RequestID: unlock})
	orgs := []uuid.UUID{org}

	incremental := filepath.Join(dir, "incremental.db")
	appendEvents(t, store, log.events[:2], nil)
	runStatistics(t, store, incremental, orgs)
	appendEvents(t, store, log.events[2:], nil)
	_, got, from, _ := runStatistics(t, store, incremental, orgs)
	if from != log.events[1].stored.Position {
		t.Fatalf("the restart subscribed after %d, want the checkpoint %d", from, log.events[1].stored.Position)
	}
	rebuilt := filepath.Join(dir, "rebuilt.db")
	_, want, _, _ := runStatistics(t, store, rebuilt, orgs)
	if got != want {
		t.Fatalf("the statistics built across a restart differ from the rebuild:\n%s\nwant\n%s", got, want)
	}
	if !reflect.DeepEqual(dumpViews(t, incremental), dumpViews(t, rebuilt)) {
		t.Fatal("the views built across a restart differ from the rebuild")
	}
	views, err := OpenViews(incremental)
	if err != nil {
		t.Fatal(err)
	}
	defer views.Close()
	st, err := OpenStatistics(t.Context(), views, testCalendar(t), domain.DefaultTimescales())
	if err != nil {
		t.Fatal(err)
	}
	tab := st.Table(calendar.MustParseDate("2027-01-01"), calendar.MustParseDate("2027-04-30"), at(2027, 5, 2, 9))
	var months []int
	for _, m := range tab.Months() {
		months = append(months, tab.Cell(org.String(), m).Counts[statistics.LockedAtMonthEnd])
	}
	if fmt.Sprint(months) != "[1 1 0 0]" {
		t.Fatalf("cases locked at the end of January to April: %v, want [1 1 0 0]", months)
	}
}
