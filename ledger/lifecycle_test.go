package ledger

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/sqlite"
)

// failingNthAppend fails the n-th append (from 1) to a stream with prefix.
type failingNthAppend struct {
	eventstore.Store
	prefix string
	n      int
}

func (f *failingNthAppend) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if strings.HasPrefix(stream, f.prefix) {
		f.n--
		if f.n == 0 {
			return eventstore.AppendResult{}, eventstore.ErrUnavailable
		}
	}
	return f.Store.Append(ctx, stream, expected, events...)
}

// TestForwardCompletedByRetry_REF10_OPS1: a forward that recorded the
// original as forwarded and then failed to create the new referral, run
// again under the same Idempotency-Key, creates the new referral named by
// the original (same client, same client data) and does not forward the
// original twice; a further retry answers the same referral.
func TestForwardCompletedByRetry_REF10_OPS1(t *testing.T) {
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	failing := &failingNthAppend{Store: store, prefix: ReferralPrefix}
	svc := NewService(failing, NewCodec(newMemKeys()), time.Now, uuid.New)
	ctx := context.Background()
	coordinator := domain.Actor{UserID: uuid.New(), OrganisationID: uuid.New(), Roles: []domain.Role{domain.RoleCoordinator}}
	var orgs []uuid.UUID
	for _, name := range []string{"Advice Centre", "Housing Trust", "Debt Line"} {
		o, _, err := svc.RegisterOrganisation(ctx, coordinator, domain.RegisterOrganisation{Name: name, AdminEmail: "a@example.org"})
		if err != nil {
			t.Fatal(err)
		}
		orgs = append(orgs, o.ID)
	}
	referrer := domain.Actor{UserID: uuid.New(), OrganisationID: orgs[0], Roles: []domain.Role{domain.RoleAdviser}}
	receiver := domain.Actor{UserID: uuid.New(), OrganisationID: orgs[1], Roles: []domain.Role{domain.RoleAdviser}}
	original, _, err := svc.MakeReferral(ctx, referrer, domain.MakeReferral{ToOrganisationID: orgs[1],
		Client: domain.Client{Name: "Client Person", DateOfBirth: "1980-03-27"}, Reason: "Debt",
		Consent: &domain.Consent{Method: domain.ConsentWritten, Confirmed: true}, PrivacyNoticeGiven: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	failing.n = 2 // the forward's second append: the new referral's stream
	cmd := domain.ForwardReferral{ToOrganisationID: orgs[2], Comment: "Better placed",
		Consent: &domain.Consent{Method: domain.ConsentVerbal, Confirmed: true}}
	run := func() (domain.Referral, error) {
		r, _, err := svc.Forward(WithIdempotencyKey(ctx, []byte("receiver\x00key\x00body")), receiver, original.ID, cmd)
		return r, err
	}
	if _, err := run(); domain.ErrorCode(err) != domain.Unavailable {
		t.Fatalf("first run: %v, want unavailable", err)
	}
	was, err := svc.Referral(ctx, receiver, original.ID)
	if err != nil || was.Status != domain.StatusForwarded {
		t.Fatalf("after the failed run the original is %s (%v), want forwarded", was.Status, err)
	}
	if _, err := svc.Referral(ctx, receiver, was.ForwardedTo); domain.ErrorCode(err) != domain.NotFound {
		t.Fatalf("the new referral exists before the retry: %v", err)
	}
	next, err := run()
	if err != nil {
		t.Fatal(err)
	}
	if next.ID != was.ForwardedTo || next.ForwardedFrom != original.ID || next.ClientID != original.ClientID ||
		next.Client != original.Client || next.Reason != "Debt" || next.FromOrganisationID != orgs[1] || next.ToOrganisationID != orgs[2] {
		t.Fatalf("the completed forward: %+v", next)
	}
	again, err := run()
	if err != nil || again.ID != next.ID || again.Revision != 0 {
		t.Fatalf("a further retry: %+v, %v", again, err)
	}
	history, err := svc.load(ctx, ReferralStream(original.ID))
	if err != nil {
		t.Fatal(err)
	}
	forwards := 0
	for _, rec := range history {
		if _, ok := rec.Event.(*domain.ReferralForwarded); ok {
			forwards++
		}
	}
	if forwards != 1 {
		t.Fatalf("the original holds %d forwards, want 1", forwards)
	}
}
