package ledger

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/keystore"
)

// partialStore is a key store that holds keys for some clients, a
// tombstone for others, a corrupt key for one, and nothing for the rest.
type partialStore struct {
	keystore.Store
	has, destroyed, corrupt map[uuid.UUID]bool
	created                 []uuid.UUID
}

func (s *partialStore) Get(_ context.Context, c uuid.UUID) (keystore.DataKey, error) {
	switch {
	case s.has[c]:
		return keystore.DataKey{1}, nil
	case s.destroyed[c]:
		return keystore.DataKey{}, keystore.ErrDestroyed
	case s.corrupt[c]:
		return keystore.DataKey{}, keystore.ErrCorrupt
	}
	return keystore.DataKey{}, keystore.ErrNotFound
}

func (s *partialStore) Create(_ context.Context, c uuid.UUID) (keystore.DataKey, error) {
	s.created = append(s.created, c)
	return keystore.DataKey{2}, nil
}

func (s *partialStore) Destroy(_ context.Context, c uuid.UUID) error {
	s.destroyed[c] = true
	return nil
}

type clientList []uuid.UUID

func (l clientList) ClientsWithData() ([]uuid.UUID, error) { return l, nil }

// TestCheckKeys_OPS4: the start-up check counts the clients whose key is
// missing or does not open, and those the key store alone records as
// erased; KeyGuard then answers Unavailable for the missing ones and never
// creates a fresh key for them, until they are erased (R-OPS-4).
func TestCheckKeys_OPS4(t *testing.T) {
	ok, missing, corrupt, destroyed := uuid.New(), uuid.New(), uuid.New(), uuid.New()
	store := &partialStore{has: map[uuid.UUID]bool{ok: true}, destroyed: map[uuid.UUID]bool{destroyed: true},
		corrupt: map[uuid.UUID]bool{corrupt: true}}
	check, err := CheckKeys(context.Background(), clientList{ok, missing, corrupt, destroyed}, store)
	if err != nil {
		t.Fatal(err)
	}
	if check.Checked != 4 || len(check.Missing) != 1 || check.Missing[0] != missing ||
		len(check.Unreadable) != 1 || check.Unreadable[0] != corrupt || check.DestroyedUnrecorded != 1 {
		t.Fatalf("check = %+v", check)
	}

	guard := NewKeyGuard(store)
	guard.Refuse(check.Failed())
	for _, c := range []uuid.UUID{missing, corrupt} {
		if _, err := guard.Get(context.Background(), c); domain.ErrorCode(err) != domain.Unavailable {
			t.Errorf("Get of a refused client: %v, want Unavailable", err)
		}
		if _, err := guard.Create(context.Background(), c); domain.ErrorCode(err) != domain.Unavailable {
			t.Errorf("Create for a refused client: %v, want Unavailable", err)
		}
	}
	if len(store.created) != 0 {
		t.Fatal("a fresh key was created for a client whose key is missing")
	}
	if _, err := guard.Get(context.Background(), ok); err != nil {
		t.Errorf("Get of a client with a key: %v", err)
	}
	if err := guard.Destroy(context.Background(), missing); err != nil {
		t.Fatal(err)
	}
	if _, err := guard.Get(context.Background(), missing); err != keystore.ErrDestroyed {
		t.Errorf("Get after erasing a client whose key was missing: %v, want ErrDestroyed", err)
	}
}
