package ledger

import (
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// TestCoordinatorReadOfUnreadableViews_OPS4: a coordinator's read whose
// read model cannot be read is Unavailable (503), keeping the cause,
// rather than an empty list; anyone else is still refused before anything
// is read (R-OPS-4).
func TestCoordinatorReadOfUnreadableViews_OPS4(t *testing.T) {
	coordinator := domain.Actor{UserID: uuid.New(), Roles: []domain.Role{domain.RoleCoordinator}}
	adviser := domain.Actor{UserID: uuid.New(), Roles: []domain.Role{domain.RoleAdviser}}
	failing := func() ([]uuid.UUID, error) { return []uuid.UUID{}, errViews }

	got, err := CoordinatorRead(coordinator, ReadWaitingErasures, failing)
	if domain.ErrorCode(err) != domain.Unavailable || !errors.Is(err, errViews) || got != nil {
		t.Fatalf("CoordinatorRead of unreadable views = %v, %v; want Unavailable with the cause", got, err)
	}
	if _, err := CoordinatorRead(adviser, ReadWaitingErasures, failing); domain.ErrorCode(err) != domain.Forbidden {
		t.Fatalf("CoordinatorRead by an adviser = %v; want Forbidden", err)
	}
	notFound := func() (int, error) { return 0, domain.Errorf(domain.NotFound, "no such erasure request") }
	if _, err := CoordinatorRead(coordinator, ReadWaitingErasures, notFound); domain.ErrorCode(err) != domain.NotFound {
		t.Fatalf("CoordinatorRead of a read's own domain error = %v; want it unchanged", err)
	}
	ok := func() (int, error) { return 7, nil }
	if n, err := CoordinatorRead(coordinator, ReadWaitingErasures, ok); err != nil || n != 7 {
		t.Fatalf("CoordinatorRead = %d, %v; want 7, nil", n, err)
	}
}
