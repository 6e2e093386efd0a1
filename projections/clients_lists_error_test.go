package projections

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
)

// TestClientListsReportUnreadableViews_PRIV8: the lists of the clients with
// data, being erased and erased answered an empty list when the views could
// not be read. The start's key check then passed having checked no one
// (R-OPS-4), and the keys of erased clients that a restored key-store
// backup brought back were not destroyed at start (R-PRIV-8). They now
// answer the error, marked ErrUnreadable.
func TestClientListsReportUnreadableViews_PRIV8(t *testing.T) {
	views, clients := openEmptyClients(t)
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
	views, clients := openEmptyClients(t)
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

// TestCheckErasedReportsUnreadableViews_PRIV8: whether a client is erased
// is checked before any key of theirs is used. For a client the index may
// hold as erased whose row could not be read, the answer was "not erased",
// so a key a restored key-store backup brought back would be used. It is
// now the error, marked ErrUnreadable; a client never erased is still
// answered from memory.
func TestCheckErasedReportsUnreadableViews_PRIV8(t *testing.T) {
	p := NewClients()
	erased, kept, org := uuid.New(), uuid.New(), uuid.New()
	log := newEventLog()
	for _, client := range []uuid.UUID{erased, kept} {
		ref := uuid.New()
		log.referral(ref, at(2026, 5, 1, 9), &domain.ReferralMade{ReferralID: ref, FromOrganisationID: org, ToOrganisationID: uuid.New(), ClientID: client})
	}
	request := uuid.New()
	log.add(ledger.ClientStream(erased), at(2026, 5, 3, 9), uuid.New(), org, &domain.ClientErasureRequested{RequestID: request, ClientID: erased})
	log.add(ledger.ClientStream(erased), at(2026, 5, 4, 9), uuid.Nil, uuid.Nil, &domain.ClientErasureStarted{RequestID: request})
	feed(p, log.events)

	// Opened afresh, as at a start: the erased clients are known in
	// memory, their rows are read from the views.
	reopened, err := OpenClients(context.Background(), p.ViewsDB())
	if err != nil {
		t.Fatal(err)
	}
	if got, err := reopened.CheckErased(erased); err != nil || !got {
		t.Fatalf("CheckErased(erased) = %v, %v; want true", got, err)
	}
	reopened, err = OpenClients(context.Background(), p.ViewsDB())
	if err != nil {
		t.Fatal(err)
	}
	if err := p.ViewsDB().Close(); err != nil {
		t.Fatal(err)
	}
	if got, err := reopened.CheckErased(erased); !errors.Is(err, ErrUnreadable) || got {
		t.Fatalf("CheckErased(erased) on views that cannot be read = %v, %v; want ErrUnreadable", got, err)
	}
	if got, err := reopened.CheckErased(kept); err != nil || got {
		t.Fatalf("CheckErased(never erased) on views that cannot be read = %v, %v; want false from memory", got, err)
	}
}
