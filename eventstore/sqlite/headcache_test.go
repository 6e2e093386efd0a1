package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/referral-ledger/ledger/audit"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/sqlite"
)

// Issue 14, point 4: the writer keeps stream heads between commits, but
// drops them when anything else has written the file, so appends through
// two handles on one file still chain and still meet their expectations.
func TestWriterHeadCacheSeesOtherWriters_Issue14(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	a, b := openAt(t, path), openAt(t, path)
	ctx := context.Background()
	steps := []struct {
		store    *sqlite.Store
		expected eventstore.ExpectedRevision
		conflict bool
	}{
		{a, eventstore.NoStream(), false},
		{a, eventstore.Exact(0), false}, // a's cache now holds revision 1
		{b, eventstore.Exact(1), false}, // b writes behind a's back
		{a, eventstore.Exact(1), true},  // a must see revision 2, not its cached 1
		{a, eventstore.Exact(2), false},
		{b, eventstore.Any(), false},
		{a, eventstore.Any(), false}, // and chain after b's event, not its own
	}
	for i, st := range steps {
		_, err := st.store.Append(ctx, "s", st.expected, testEvent("x"))
		var conflict *eventstore.ConflictError
		if st.conflict != errors.As(err, &conflict) || !st.conflict && err != nil {
			t.Fatalf("step %d: Append(%s) = %v, want conflict %v", i, st.expected, err, st.conflict)
		}
	}
	// The audit tree's size is cached on the same terms (R-AUD-1): it must
	// hold every event, as a tree built afresh from them does.
	events, err := a.ReadAll(ctx, eventstore.Start, 0)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := audit.OpenFile(filepath.Join(t.TempDir(), "tree"))
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	for _, ev := range events {
		if err := fresh.Append(ev); err != nil {
			t.Fatal(err)
		}
	}
	got, gotErr := audit.Root(ctx, a.AuditLog(), int64(len(events)))
	want, wantErr := audit.Root(ctx, fresh, int64(len(events)))
	if size, _ := b.AuditLog().TreeSize(ctx); size != int64(len(events)) || gotErr != nil || wantErr != nil || got != want {
		t.Fatalf("audit tree: size %d, root %v (%v); want size %d, root %v (%v)", size, got, gotErr, len(events), want, wantErr)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if rep, err := sqlite.Verify(ctx, path); err != nil || rep.Events != 6 {
		t.Fatalf("Verify = %+v, %v; want 6 events in one unbroken chain", rep, err)
	}
}
