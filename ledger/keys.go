package ledger

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/keystore"
)

// ErasedClients answers whether the ledger records a client's erasure.
// CheckErased answers an error, never "not erased", when it cannot tell: a key
// is then not used (R-PRIV-8).
type ErasedClients interface {
	CheckErased(client uuid.UUID) (bool, error)
}

// ClientKeys is the codec's Keys on a key store, with the ledger's erasure
// records checked before any key is used. It is the one way every reader
// of client data (the server, `ledger history`, subject access, exports,
// migrations) gets a key: a key that reappears for an erased client (say,
// from a restored key-store backup) is never used, and is destroyed on
// sight (R-PRIV-3, R-PRIV-8).
type ClientKeys struct {
	store  keystore.Store
	erased ErasedClients
	log    zerolog.Logger

	revived atomic.Int64 // keys of erased clients found and destroyed
	kept    atomic.Int64 // ... found but not destroyed (a read-only store)
	keptOf  sync.Map     // client → struct{}: each kept key counted once
}

// KeysOption configures NewClientKeys.
type KeysOption func(*ClientKeys)

// WithKeysLog logs, by count only, the keys of erased clients found and
// destroyed (or left, when the store cannot be written). The default
// logger discards.
func WithKeysLog(log zerolog.Logger) KeysOption { return func(k *ClientKeys) { k.log = log } }

// NewClientKeys returns Keys on store, checking erased first. erased must
// be the ledger's own record (the client streams' erasure events), never
// the key store's tombstones alone: a restored key store has lost those.
func NewClientKeys(store keystore.Store, erased ErasedClients, opts ...KeysOption) *ClientKeys {
	k := &ClientKeys{store: store, erased: erased, log: zerolog.Nop()}
	for _, opt := range opts {
		opt(k)
	}
	return k
}

var errClientErased = &domain.Error{Code: domain.Conflict,
	Message: "the client's data was erased: nothing about them can be recorded any more"}

// erasureUnknown is the error when the ledger's erasure records cannot be
// read: no key is used without them (R-PRIV-8).
func erasureUnknown(err error) error {
	return &domain.Error{Code: domain.Unavailable,
		Message: "the ledger's erasure records cannot be read now, so no client data is used; retry shortly", Cause: err}
}

// KeyForWrite implements Keys. Errors: Conflict (erased client),
// Unavailable (the key store, or the erasure records, cannot be read).
func (k *ClientKeys) KeyForWrite(ctx context.Context, client uuid.UUID) (DataKey, error) {
	erased, err := k.erased.CheckErased(client)
	if err != nil {
		return DataKey{}, erasureUnknown(err)
	}
	if erased {
		_ = k.ShredErased(ctx, client) // logged; the client is erased either way
		return DataKey{}, errClientErased
	}
	key, err := k.store.Create(ctx, client)
	if errors.Is(err, keystore.ErrDestroyed) {
		return DataKey{}, errClientErased
	}
	return DataKey(key), err
}

// KeyForRead implements Keys. A client the ledger records as erased is
// erased whatever the key store holds or whether it answers. Errors:
// Unavailable (the key store, or the erasure records, cannot be read), and
// an internal error when a key the ledger needs was never created (a lost
// key store is data loss, not an erasure).
func (k *ClientKeys) KeyForRead(ctx context.Context, client uuid.UUID) (DataKey, bool, error) {
	erased, err := k.erased.CheckErased(client)
	if err != nil {
		return DataKey{}, false, erasureUnknown(err)
	}
	if erased {
		_ = k.ShredErased(ctx, client) // logged; the client is erased either way
		return DataKey{}, true, nil
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

// ShredErased makes sure the key of a client the ledger records as erased
// is gone: usually the store already says so (cheaply, from its cache); a
// key that is back, from a restored backup, is destroyed again and
// counted in the log. A key found that cannot be destroyed (a read-only
// store) is logged once and never used; the next server start destroys
// it. Readers ignore the error: the client is erased either way. Errors:
// the store's, when a key may remain.
func (k *ClientKeys) ShredErased(ctx context.Context, client uuid.UUID) error {
	_, err := k.store.Get(ctx, client)
	if errors.Is(err, keystore.ErrDestroyed) {
		return nil
	}
	found := err == nil
	derr := k.store.Destroy(ctx, client)
	switch {
	case derr != nil && !found:
		return derr
	case derr != nil:
		if _, seen := k.keptOf.LoadOrStore(client, struct{}{}); !seen {
			n := k.kept.Add(1)
			k.log.Error().Err(derr).Int64("erased_client_keys_kept", n).
				Msg("a key of an erased client is back in the key store (a restored backup?) and could not be destroyed here; " +
					"it is not used, and the server destroys it when it next starts")
		}
		return fmt.Errorf("a key of an erased client is back in the key store and could not be destroyed: %w", derr)
	case found:
		n := k.revived.Add(1)
		k.log.Warn().Int64("erased_client_keys_destroyed", n).
			Msg("destroyed a key of an erased client that was back in the key store (a restored backup?)")
	}
	return nil
}

// Revived returns how many keys of erased clients were found and
// destroyed, and how many were found but could not be destroyed.
func (k *ClientKeys) Revived() (destroyed, kept int64) { return k.revived.Load(), k.kept.Load() }

// Destroy destroys the client's key, idempotently.
func (k *ClientKeys) Destroy(ctx context.Context, client uuid.UUID) error {
	return k.store.Destroy(ctx, client)
}
