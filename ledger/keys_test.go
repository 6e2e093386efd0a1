package ledger

import (
	"context"
	"crypto/rand"
	"sync"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// memKeys is an in-memory Keys for codec tests; the real key store has its
// own tests, and the API tests run on it.
type memKeys struct {
	mu     sync.Mutex
	keys   map[uuid.UUID]DataKey
	erased map[uuid.UUID]bool
}

func newMemKeys() *memKeys {
	return &memKeys{keys: map[uuid.UUID]DataKey{}, erased: map[uuid.UUID]bool{}}
}

func (m *memKeys) KeyForWrite(_ context.Context, client uuid.UUID) (DataKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.erased[client] {
		return DataKey{}, errClientErased
	}
	k, ok := m.keys[client]
	if !ok {
		_, _ = rand.Read(k[:])
		m.keys[client] = k
	}
	return k, nil
}

func (m *memKeys) KeyForRead(_ context.Context, client uuid.UUID) (DataKey, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.erased[client] {
		return DataKey{}, true, nil
	}
	k, ok := m.keys[client]
	if !ok {
		return DataKey{}, false, domain.Errorf(domain.Internal, "no key")
	}
	return k, false, nil
}

func (m *memKeys) erase(client uuid.UUID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.keys, client)
	m.erased[client] = true
}
