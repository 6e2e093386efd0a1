package projections

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// TestDueReportsUnreadableViews_PRIV5: the retention rule asks the views
// which clients are due. When they could not be read it was told "none"
// (DueForRetention returned nil), so a run that could see no one counted
// as a run that found no one: nobody was shredded, /readyz stayed ready and
// `ledger retention --dry-run` printed "0 clients". Due now returns the
// error, and the retention run fails with it (R-PRIV-5, R-OPS-4).
func TestDueReportsUnreadableViews_PRIV5(t *testing.T) {
	views, clients := openEmptyClients(t)
	if due, err := clients.Due(time.Now(), time.Hour, false); err != nil || len(due) != 0 {
		t.Fatalf("Due on empty views = %v, %v; want none and no error", due, err)
	}
	if err := views.Close(); err != nil {
		t.Fatal(err)
	}
	if due, err := clients.Due(time.Now(), time.Hour, false); err == nil {
		t.Fatalf("Due on views that cannot be read = %v, nil; want the error", due)
	}
}

// openEmptyClients opens a clients index on a views file of its own, with
// nothing applied: the tests close the views under it to make them
// unreadable.
func openEmptyClients(t *testing.T) (*Views, *Clients) {
	t.Helper()
	views, err := OpenViews(filepath.Join(t.TempDir(), ViewsFile))
	if err != nil {
		t.Fatal(err)
	}
	clients, err := OpenClients(context.Background(), views)
	if err != nil {
		t.Fatal(err)
	}
	return views, clients
}
