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

// TestDerivedIDs_OPS1: under WithIdempotencyKey the same request mints the
// same ids and event ids, in the same order, on every run, and another
// request other ones; without it ids come from the service's source.
func TestDerivedIDs_OPS1(t *testing.T) {
	random := &Service{mint: uuid.New}
	run := func(seed string) (ids []uuid.UUID) {
		ctx := WithIdempotencyKey(context.Background(), []byte(seed))
		d := derivedIDsFrom(ctx)
		ids = append(ids, random.newID(ctx), random.newID(ctx))
		step := d.nextStep()
		ids = append(ids, step(0), step(1), d.nextStep()(0))
		return ids
	}
	first, again, other := run("user\x00key\x00body"), run("user\x00key\x00body"), run("user\x00key\x00other body")
	seen := map[uuid.UUID]bool{}
	for i := range first {
		if first[i] != again[i] {
			t.Errorf("id %d: %s on the first run, %s on the second", i, first[i], again[i])
		}
		if seen[first[i]] || first[i] == other[i] {
			t.Errorf("id %d (%s) repeats", i, first[i])
		}
		seen[first[i]] = true
	}
	if a, b := random.newID(context.Background()), random.newID(context.Background()); a == b {
		t.Error("without a key, two ids are the same")
	}
}

// TestAlreadyWritten_OPS1: a step's events are found where an earlier run
// appended them, however many others came after.
func TestAlreadyWritten_OPS1(t *testing.T) {
	d := derivedIDsFrom(WithIdempotencyKey(context.Background(), []byte("seed")))
	step := d.nextStep()
	stored := []eventstore.RecordedEvent{
		{ID: uuid.New(), Revision: 0, Position: 10},
		{ID: step(0), Revision: 1, Position: 11},
		{ID: step(1), Revision: 2, Position: 12},
		{ID: uuid.New(), Revision: 3, Position: 20},
	}
	w, ok := alreadyWritten(stored, step)
	if !ok || w != (Written{Revision: 2, Position: 12, Events: 2}) {
		t.Fatalf("alreadyWritten = %+v, %v", w, ok)
	}
	if _, ok := alreadyWritten(stored, d.nextStep()); ok {
		t.Fatal("a step that never ran was found")
	}
}

// failingAppends fails the next append to a stream with prefix, as a store
// that stops answering would.
type failingAppends struct {
	eventstore.Store
	prefix string
	fail   bool
}

func (f *failingAppends) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if f.fail && strings.HasPrefix(stream, f.prefix) {
		f.fail = false
		return eventstore.AppendResult{}, eventstore.ErrUnavailable
	}
	return f.Store.Append(ctx, stream, expected, events...)
}

// TestRerunOfAFailedRegistration_OPS1: a registration that reserved its
// name, failed to record the organisation and so gave the name up, run
// again under the same key (its ids the same), reserves the name afresh
// rather than taking the given-up reservation for its own: the name is
// held by the organisation it registers.
func TestRerunOfAFailedRegistration_OPS1(t *testing.T) {
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	failing := &failingAppends{Store: store, prefix: OrganisationPrefix, fail: true}
	svc := NewService(failing, NewPublicCodec(), time.Now, uuid.New)
	coordinator := domain.Actor{UserID: uuid.New(), OrganisationID: uuid.New(), Roles: []domain.Role{domain.RoleCoordinator}}
	cmd := domain.RegisterOrganisation{Name: "Advice Centre", AdminEmail: "a@advice.example"}
	run := func() (domain.Organisation, error) {
		ctx := WithIdempotencyKey(context.Background(), []byte("coordinator\x00key\x00body"))
		o, _, err := svc.RegisterOrganisation(ctx, coordinator, cmd)
		return o, err
	}
	if _, err := run(); domain.ErrorCode(err) != domain.Unavailable {
		t.Fatalf("first run: %v, want unavailable", err)
	}
	o, err := run()
	if err != nil {
		t.Fatal(err)
	}
	history, err := svc.load(context.Background(), OrganisationNameStream(cmd.Name))
	if err != nil {
		t.Fatal(err)
	}
	var name domain.OrganisationName
	for _, rec := range history {
		name = domain.EvolveOrganisationName(name, rec)
	}
	if !name.Reserved || name.OrganisationID != o.ID {
		t.Fatalf("after the rerun the name is %+v, want reserved by %s", name, o.ID)
	}
}
