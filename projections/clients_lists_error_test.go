package projections

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/google/uuid"
)

// TestClientListsReportUnreadableViews_PRIV8: the lists of the clients with
// data, being erased and erased answered an empty list when the views could
// not be read. The start's key check then passed having checked no one
// (R-OPS-4), and the keys of erased clients that a restored key-store
// backup brought back were not destroyed at start (R-PRIV-8). They now
// answer the error, marked ErrUnreadable.
func TestClientListsReportUnreadableViews_PRIV8(t *testing.T) {
	views, err := OpenViews(filepath.Join(t.TempDir(), ViewsFile))
	if err != nil {
		t.Fatal(err)
	}
	clients, err := OpenClients(context.Background(), views)
	if err != nil {
		t.Fatal(err)
	}
	lists := map[string]func() ([]uuid.UUID, error){
		"ClientsWithData": clients.ClientsWithData,
		"ErasingClients":  clients.ErasingClients,
		"ErasedClients":   clients.ErasedClients,
	}
	for name, list := range lists {
		if ids, err := list(); err != nil || ids == nil || len(ids) != 0 {
			t.Fatalf("%s on empty views = %#v, %v; want an empty list and no error", name, ids, err)
		}
	}
	if err := views.Close(); err != nil {
		t.Fatal(err)
	}
	for name, list := range lists {
		if ids, err := list(); !errors.Is(err, ErrUnreadable) || ids != nil {
			t.Errorf("%s on views that cannot be read = %v, %v; want no list and ErrUnreadable", name, ids, err)
		}
	}
}

// TestWaitingErasuresReportUnreadableViews_OPS4: the erasure requests
// waiting for the coordinator's decision were no request when the views
// could not be read; they are now the error, marked ErrUnreadable.
func TestWaitingErasuresReportUnreadableViews_OPS4(t *testing.T) {
	views, err := OpenViews(filepath.Join(t.TempDir(), ViewsFile))
	if err != nil {
		t.Fatal(err)
	}
	clients, err := OpenClients(context.Background(), views)
	if err != nil {
		t.Fatal(err)
	}
	if waiting, err := clients.WaitingErasures(); err != nil || len(waiting) != 0 {
		t.Fatalf("WaitingErasures on empty views = %v, %v; want none and no error", waiting, err)
	}
	if err := views.Close(); err != nil {
		t.Fatal(err)
	}
	if waiting, err := clients.WaitingErasures(); !errors.Is(err, ErrUnreadable) || waiting != nil {
		t.Fatalf("WaitingErasures on views that cannot be read = %v, %v; want ErrUnreadable", waiting, err)
	}
}
