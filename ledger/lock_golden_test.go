package ledger

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// TestLockRequestedTeamWithoutOrganisation_LOCK11 reads the stored shape of
// client.lock_requested from before teams named their organisation (the
// golden file as it was) and checks its team still means the owning
// organisation's team: absence is the lock's own organisation, so the old
// shape needs no upcaster.
func TestLockRequestedTeamWithoutOrganisation_LOCK11(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "events", "client.lock_requested.v1-team-without-organisation.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ev domain.LockRequested
	if err := json.Unmarshal(data, &ev); err != nil {
		t.Fatal(err)
	}
	owner, other := uuid.New(), uuid.New()
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	var c domain.ClientRecord
	for i, e := range []domain.Event{&ev, &domain.LockApproved{RequestID: ev.RequestID}} {
		c = domain.EvolveClient(c, domain.Recorded{Event: e, At: at, Revision: uint64(i), ActorUserID: uuid.New(), ActorOrganisationID: owner})
	}
	if c.Lock.Status != domain.LockLocked || c.Lock.OwningOrganisationID != owner {
		t.Fatalf("lock = %+v", c.Lock)
	}
	duty := func(org uuid.UUID) domain.Actor {
		return domain.Actor{UserID: uuid.New(), OrganisationID: org, Roles: []domain.Role{domain.RoleAdviser}, Team: "duty"}
	}
	if _, ok := domain.LockAccess(c.Lock, duty(owner), at); !ok {
		t.Error("the owning organisation's duty team is refused")
	}
	if _, ok := domain.LockAccess(c.Lock, duty(other), at); ok {
		t.Error("a duty team of another organisation is let in")
	}
}
