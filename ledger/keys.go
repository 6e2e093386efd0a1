package ledger

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/keystore"
)

// ErasedClients answers whether the ledger records a client's erasure.
type ErasedClients interface {
	IsErased(client uuid.UUID) bool
}

// ClientKeys is the codec's Keys on a key store, with the ledger's erasure
// records checked before any key is used: a key that reappears for an
// erased client (say, from a restored key-store backup) is refused and
// destroyed again (R-PRIV-3).
type ClientKeys struct {
	store  keystore.Store
	erased ErasedClients
}

// NewClientKeys returns Keys on store, checking erased first.
func NewClientKeys(store keystore.Store, erased ErasedClients) *ClientKeys {
	return &ClientKeys{store: store, erased: erased}
}

var errClientErased = &domain.Error{Code: domain.Conflict,
	Message: "the client's data was erased: nothing about them can be recorded any more"}

// KeyForWrite implements Keys. Errors: Conflict (erased client),
// Unavailable.
func (k *ClientKeys) KeyForWrite(ctx context.Context, client uuid.UUID) (DataKey, error) {
	if k.erased.IsErased(client) {
		return DataKey{}, errors.Join(errClientErased, k.shredAgain(ctx, client))
	}
	key, err := k.store.Create(ctx, client)
	if errors.Is(err, keystore.ErrDestroyed) {
		return DataKey{}, errClientErased
	}
	return DataKey(key), err
}

// KeyForRead implements Keys. Errors: Unavailable, and an internal error
// when a key the ledger needs was never created (a lost key store is data
// loss, not an erasure).
func (k *ClientKeys) KeyForRead(ctx context.Context, client uuid.UUID) (DataKey, bool, error) {
	if k.erased.IsErased(client) {
		return DataKey{}, true, k.shredAgain(ctx, client)
	}
	key, err := k.store.Get(ctx, client)
	switch {
	case errors.Is(err, keystore.ErrDestroyed):
		return DataKey{}, true, nil
	case err != nil:
		return DataKey{}, false, err
	}
	return DataKey(key), false, nil
}

// shredAgain makes sure an erased client's key is gone: usually the store
// already says so (cheaply, from its cache); a key that is back, from a
// restored backup, is destroyed again.
func (k *ClientKeys) shredAgain(ctx context.Context, client uuid.UUID) error {
	_, err := k.store.Get(ctx, client)
	switch {
	case errors.Is(err, keystore.ErrDestroyed):
		return nil
	case err == nil, errors.Is(err, keystore.ErrNotFound):
		return k.store.Destroy(ctx, client)
	default:
		return err
	}
}

// Destroy destroys the client's key, idempotently.
func (k *ClientKeys) Destroy(ctx context.Context, client uuid.UUID) error {
	return k.store.Destroy(ctx, client)
}
