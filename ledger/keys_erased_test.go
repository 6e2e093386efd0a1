package ledger

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/keystore"
)

// revivedStore is a key store restored from a backup: it holds a key for
// every client and no tombstone; destroyFails makes it read-only.
type revivedStore struct {
	keystore.Store
	destroyFails bool
	destroyed    map[uuid.UUID]bool
}

func (s *revivedStore) Get(_ context.Context, c uuid.UUID) (keystore.DataKey, error) {
	if s.destroyed[c] {
		return keystore.DataKey{}, keystore.ErrDestroyed
	}
	return keystore.DataKey{1, 2, 3}, nil
}

func (s *revivedStore) Destroy(_ context.Context, c uuid.UUID) error {
	if s.destroyFails {
		return errors.New("attempt to write a readonly database")
	}
	s.destroyed[c] = true
	return nil
}

type erasedSet map[uuid.UUID]bool

func (e erasedSet) CheckErased(c uuid.UUID) (bool, error) { return e[c], nil }

// TestClientKeysRefuseRevivedKeys_PRIV8: a key the key store holds for a
// client the ledger records as erased is never used: it is destroyed on
// sight and counted in the log, without the client's id; when the store
// cannot be written (a read-only tool), the read still shows the client
// erased and the log says the server will destroy the key.
func TestClientKeysRefuseRevivedKeys_PRIV8(t *testing.T) {
	erased, kept := uuid.New(), uuid.New()
	for _, tc := range []struct {
		name          string
		readOnly      bool
		wantDestroyed int64
		wantKept      int64
		wantLog       string
	}{
		{"WritableStoreDestroysTheKey", false, 1, 0, "erased_client_keys_destroyed"},
		{"ReadOnlyStoreRefusesTheKey", true, 0, 1, "the server destroys it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var log bytes.Buffer
			store := &revivedStore{destroyFails: tc.readOnly, destroyed: map[uuid.UUID]bool{}}
			keys := NewClientKeys(store, erasedSet{erased: true}, WithKeysLog(zerolog.New(&log)))
			for range 2 {
				key, isErased, err := keys.KeyForRead(context.Background(), erased)
				if err != nil || !isErased || key != (DataKey{}) {
					t.Fatalf("KeyForRead(erased) = %v, %v, %v; want no key, erased", key, isErased, err)
				}
			}
			if _, err := keys.KeyForWrite(context.Background(), erased); !errors.Is(err, errClientErased) {
				t.Fatalf("KeyForWrite(erased) = %v", err)
			}
			if key, isErased, err := keys.KeyForRead(context.Background(), kept); err != nil || isErased || key == (DataKey{}) {
				t.Fatalf("KeyForRead(not erased) = %v, %v, %v", key, isErased, err)
			}
			destroyed, left := keys.Revived()
			if destroyed != tc.wantDestroyed || left != tc.wantKept {
				t.Fatalf("Revived() = %d destroyed, %d kept; want %d, %d", destroyed, left, tc.wantDestroyed, tc.wantKept)
			}
			if !strings.Contains(log.String(), tc.wantLog) || strings.Contains(log.String(), erased.String()) {
				t.Fatalf("log: %s", log.String())
			}
		})
	}
}
