package projections

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
)

// TestClientReadersReportUnreadableViews_OPS4: the clients index's
// look-ups by id answered as if there were nothing when the views could
// not be read. An erasure request, or the client it is about, was "not
// found", so the API answered 404 for a request that exists; a client's
// referrals were none and whether an organisation knows them was "no",
// which the access checks took as a client that does not exist. Each now
// answers the error, marked ErrUnreadable; with the views readable an
// unknown id is still "none" with no error.
func TestClientReadersReportUnreadableViews_OPS4(t *testing.T) {
	p := NewClients()
	client, org := uuid.New(), uuid.New()
	log := newEventLog()
	ref, request := uuid.New(), uuid.New()
	log.referral(ref, at(2026, 5, 1, 9), &domain.ReferralMade{ReferralID: ref, FromOrganisationID: org, ToOrganisationID: uuid.New(), ClientID: client})
	log.add(ledger.ClientStream(client), at(2026, 5, 3, 9), uuid.New(), org, &domain.ClientErasureRequested{RequestID: request, ClientID: client})
	feed(p, log.events)

	if r, ok, err := p.ErasureRequest(request); err != nil || !ok || r.ClientID != client {
		t.Fatalf("ErasureRequest = %+v, %v, %v; want the request", r, ok, err)
	}
	if r, ok, err := p.ErasureRequest(uuid.New()); err != nil || ok {
		t.Fatalf("ErasureRequest(unknown) = %+v, %v, %v; want none and no error", r, ok, err)
	}
	if c, ok, err := p.ClientOfErasureRequest(request); err != nil || !ok || c != client {
		t.Fatalf("ClientOfErasureRequest = %v, %v, %v; want the client", c, ok, err)
	}
	if c, ok, err := p.ClientOfErasureRequest(uuid.New()); err != nil || ok {
		t.Fatalf("ClientOfErasureRequest(unknown) = %v, %v, %v; want none and no error", c, ok, err)
	}
	stranger := uuid.New() // no referral: nothing of theirs is cached
	if refs, err := p.ReferralsOf(stranger); err != nil || len(refs) != 0 {
		t.Fatalf("ReferralsOf(stranger) = %v, %v; want none and no error", refs, err)
	}

	if err := p.ViewsDB().Close(); err != nil {
		t.Fatal(err)
	}
	if r, ok, err := p.ErasureRequest(request); !errors.Is(err, ErrUnreadable) || ok {
		t.Errorf("ErasureRequest on views that cannot be read = %+v, %v, %v; want ErrUnreadable", r, ok, err)
	}
	if c, ok, err := p.ClientOfErasureRequest(request); !errors.Is(err, ErrUnreadable) || ok {
		t.Errorf("ClientOfErasureRequest on views that cannot be read = %v, %v, %v; want ErrUnreadable", c, ok, err)
	}
	other := uuid.New() // not cached: read from the views
	if refs, err := p.ReferralsOf(other); !errors.Is(err, ErrUnreadable) || refs != nil {
		t.Errorf("ReferralsOf on views that cannot be read = %v, %v; want ErrUnreadable", refs, err)
	}
	if knows, err := p.OrganisationKnowsClient(org, other); !errors.Is(err, ErrUnreadable) || knows {
		t.Errorf("OrganisationKnowsClient on views that cannot be read = %v, %v; want ErrUnreadable", knows, err)
	}
}

// TestErasureRequestUnreadableErasure_PRIV8: an erasure request whose
// client the index holds as erased said ClientErased false when the
// client's row could not be read, so the coordinator was offered a
// decision, with a reason kept, for a client already erased. The request
// is now the error, in the list and alone.
func TestErasureRequestUnreadableErasure_PRIV8(t *testing.T) {
	views, clients := openEmptyClients(t)
	client, org := uuid.New(), uuid.New()
	log := newEventLog()
	ref, first, second := uuid.New(), uuid.New(), uuid.New()
	log.referral(ref, at(2026, 5, 1, 9), &domain.ReferralMade{ReferralID: ref, FromOrganisationID: org, ToOrganisationID: uuid.New(), ClientID: client})
	log.add(ledger.ClientStream(client), at(2026, 5, 2, 9), uuid.New(), org, &domain.ClientErasureRequested{RequestID: first, ClientID: client})
	log.add(ledger.ClientStream(client), at(2026, 5, 3, 9), uuid.New(), org, &domain.ClientErasureRequested{RequestID: second, ClientID: client})
	log.add(ledger.ClientStream(client), at(2026, 5, 4, 9), uuid.Nil, uuid.Nil, &domain.ClientErasureStarted{RequestID: first})
	feed(clients, log.events)
	if r, ok, err := clients.ErasureRequest(second); err != nil || !ok || !r.ClientErased {
		t.Fatalf("ErasureRequest = %+v, %v, %v; want the request, its client erased", r, ok, err)
	}

	// Opened afresh, as at a start, nothing cached; then the clients'
	// rows cannot be read, the erasure requests can.
	reopened, err := OpenClients(context.Background(), views)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := views.db.Exec(`ALTER TABLE clients RENAME TO clients_away`); err != nil {
		t.Fatal(err)
	}
	if r, ok, err := reopened.ErasureRequest(second); !errors.Is(err, ErrUnreadable) || ok {
		t.Errorf("ErasureRequest with the client's row unreadable = %+v, %v, %v; want ErrUnreadable", r, ok, err)
	}
	if waiting, err := reopened.WaitingErasures(); !errors.Is(err, ErrUnreadable) || waiting != nil {
		t.Errorf("WaitingErasures with the client's row unreadable = %+v, %v; want ErrUnreadable", waiting, err)
	}
}

// TestKnownClientsLenReportsUnreadableViews_OPS4: the number of clients
// in the known clients index was 0 when the views could not be read; it
// is now the error, marked ErrUnreadable.
func TestKnownClientsLenReportsUnreadableViews_OPS4(t *testing.T) {
	f := newKnownFixture(t)
	a, b := uuid.New(), uuid.New()
	f.refer(a, b, uuid.New(), "Ada Lovelace", "1815-12-10")
	if n, err := f.k.Len(); err != nil || n != 1 {
		t.Fatalf("Len = %d, %v; want 1", n, err)
	}
	if err := f.k.ViewsDB().Close(); err != nil {
		t.Fatal(err)
	}
	if n, err := f.k.Len(); !errors.Is(err, ErrUnreadable) || n != 0 {
		t.Fatalf("Len on views that cannot be read = %d, %v; want ErrUnreadable", n, err)
	}
}

// TestClientOfLockRequestReportsUnreadableViews_OPS4: the client a lock
// or unlock request is about was "no such request" when the views could
// not be read, so a decision on it, or its page, answered 404 for a
// request that exists. It is now the error, marked ErrUnreadable.
func TestClientOfLockRequestReportsUnreadableViews_OPS4(t *testing.T) {
	p := NewLocks()
	client, request := uuid.New(), uuid.New()
	log := newEventLog()
	log.add(ledger.ClientStream(client), at(2026, 5, 1, 9), uuid.New(), uuid.New(),
		&domain.LockRequested{RequestID: request, ClientID: client, ResponsibleUserID: uuid.New()})
	feed(p, log.events)
	if c, unlock, ok, err := p.ClientOfLockRequest(request); err != nil || !ok || unlock || c != client {
		t.Fatalf("ClientOfLockRequest = %v, %v, %v, %v; want the client of a lock request", c, unlock, ok, err)
	}
	if c, _, ok, err := p.ClientOfLockRequest(uuid.New()); err != nil || ok {
		t.Fatalf("ClientOfLockRequest(unknown) = %v, %v, %v; want none and no error", c, ok, err)
	}
	if err := p.ViewsDB().Close(); err != nil {
		t.Fatal(err)
	}
	if c, _, ok, err := p.ClientOfLockRequest(request); !errors.Is(err, ErrUnreadable) || ok {
		t.Fatalf("ClientOfLockRequest on views that cannot be read = %v, %v, %v; want ErrUnreadable", c, ok, err)
	}
}

// TestReferralReadersReportUnreadableViews_OPS4: the referrals read model's
// look-ups by id and by reference answered "none" when the views could
// not be read. A reference read as free, so a new referral could be given
// one another holds (R-REF-13); a referral's client, its summary and the
// references naming a case were missing, so pages showed a case named by
// no referral or a forward chain cut short, and a message sent by
// reference went to no case. Each now answers the error, marked
// ErrUnreadable.
func TestReferralReadersReportUnreadableViews_OPS4(t *testing.T) {
	p := NewReferrals(testCalendar(t), domain.DefaultTimescales())
	id, client, org := uuid.New(), uuid.New(), uuid.New()
	log := newEventLog()
	log.referral(id, at(2026, 5, 1, 9), &domain.ReferralMade{ReferralID: id, FromOrganisationID: org, ToOrganisationID: uuid.New(), ClientID: client})
	feed(p, log.events)
	ref, now := domain.ReferenceOf(id), at(2026, 5, 2, 9)
	if taken, err := p.ReferenceTaken(ref, uuid.Nil); err != nil || !taken {
		t.Fatalf("ReferenceTaken = %v, %v; want taken", taken, err)
	}
	if c, ok, err := p.ClientOfReference(ref); err != nil || !ok || c != client {
		t.Fatalf("ClientOfReference = %v, %v, %v; want the client", c, ok, err)
	}
	if n, err := p.Len(); err != nil || n != 1 {
		t.Fatalf("Len = %d, %v; want 1", n, err)
	}

	if err := p.ViewsDB().Close(); err != nil {
		t.Fatal(err)
	}
	other := uuid.New() // not cached: read from the views
	reads := map[string]func() error{
		"ReferenceTaken": func() error { _, err := p.ReferenceTaken(ref, uuid.Nil); return err },
		"ClientOfReference": func() error {
			_, _, err := p.ClientOfReference(ref)
			return err
		},
		"FindByReference": func() error {
			_, err := p.FindByReference(ReferenceQuery{Reference: ref, Organisation: org}, now)
			return err
		},
		"Summary":      func() error { _, _, err := p.Summary(other, now); return err },
		"ClientOf":     func() error { _, _, err := p.ClientOf(other); return err },
		"ReferencesOf": func() error { _, err := p.ReferencesOf([]uuid.UUID{other}); return err },
		"ClientReferrals": func() error {
			_, err := p.ClientReferrals([]uuid.UUID{other}, org, nil, now)
			return err
		},
		"Len": func() error { _, err := p.Len(); return err },
	}
	for name, read := range reads {
		if err := read(); !errors.Is(err, ErrUnreadable) {
			t.Errorf("%s on views that cannot be read = %v; want ErrUnreadable", name, err)
		}
	}
}
