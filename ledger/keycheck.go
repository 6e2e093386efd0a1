package ledger

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/keystore"
)

// ClientsWithData lists the clients, not erased, whose data the ledger
// holds sealed under their key. It answers an error, never an empty list,
// when it cannot read them.
type ClientsWithData interface {
	ClientsWithData() ([]uuid.UUID, error)
}

// KeyCheck is what CheckKeys found.
type KeyCheck struct {
	// Checked counts the clients, not erased, with data in the ledger.
	Checked int
	// Missing are those of them with no key in the key store: it is older
	// than the ledger, or was lost.
	Missing []uuid.UUID
	// Unreadable are those whose key is there but does not open (corrupt).
	Unreadable []uuid.UUID
	// DestroyedUnrecorded counts clients whose key the key store records
	// as destroyed though the ledger records no erasure (an event log
	// older than the key store): their data reads as erased, and stays so.
	DestroyedUnrecorded int
}

// Failed lists every client whose data cannot be read: Missing and
// Unreadable.
func (c KeyCheck) Failed() []uuid.UUID {
	return append(append([]uuid.UUID{}, c.Missing...), c.Unreadable...)
}

// CheckKeys checks that every client with data in the ledger and not erased
// has a key that opens in store (R-OPS-4): a key store older than the
// ledger, or lost, is found before the server answers 500 for its clients.
// It reads only. Errors: clients' when it cannot list them (a check of no
// one is no check), and the key store's when it cannot be read at all
// (keystore.ErrUnavailable, ErrWrongMasterKey).
func CheckKeys(ctx context.Context, clients ClientsWithData, store keystore.Store) (KeyCheck, error) {
	var c KeyCheck
	var failed error
	ids, err := clients.ClientsWithData()
	if err != nil {
		return KeyCheck{}, fmt.Errorf("listing the clients with data in the ledger: %w", err)
	}
	err = keystore.CheckEachOf(ctx, store, ids, func(id uuid.UUID, err error) {
		c.Checked++
		switch {
		case err == nil:
		case errors.Is(err, keystore.ErrNotFound):
			c.Missing = append(c.Missing, id)
		case errors.Is(err, keystore.ErrCorrupt):
			c.Unreadable = append(c.Unreadable, id)
		case errors.Is(err, keystore.ErrDestroyed):
			c.DestroyedUnrecorded++
		case failed == nil:
			failed = err
		}
	})
	if err == nil {
		err = failed
	}
	return c, err
}

// KeyGuard is a key store that refuses to use or create a key for the
// clients CheckKeys found without one. A server started despite missing
// keys (ledger serve --allow-missing-keys) then answers 503 for those
// clients, and never seals new data of theirs under a fresh key, which the
// restored key store would not open.
type KeyGuard struct {
	keystore.Store
	mu      sync.RWMutex
	refused map[uuid.UUID]struct{}
}

// NewKeyGuard guards store; it refuses nothing until Refuse is called.
func NewKeyGuard(store keystore.Store) *KeyGuard {
	return &KeyGuard{Store: store, refused: map[uuid.UUID]struct{}{}}
}

// errKeyMissing is the answer for a client whose key is missing.
var errKeyMissing = &domain.Error{Code: domain.Unavailable,
	Message: "this client's data key is missing from the key store: the operator must restore it from a backup"}

// Refuse makes Get and Create fail with Unavailable for clients.
func (g *KeyGuard) Refuse(clients []uuid.UUID) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, id := range clients {
		g.refused[id] = struct{}{}
	}
}

func (g *KeyGuard) isRefused(client uuid.UUID) bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	_, ok := g.refused[client]
	return ok
}

// Get implements keystore.Store. Errors: Unavailable for a refused client,
// else the store's.
func (g *KeyGuard) Get(ctx context.Context, client uuid.UUID) (keystore.DataKey, error) {
	if g.isRefused(client) {
		return keystore.DataKey{}, errKeyMissing
	}
	return g.Store.Get(ctx, client)
}

// Create implements keystore.Store. Errors: Unavailable for a refused
// client, else the store's.
func (g *KeyGuard) Create(ctx context.Context, client uuid.UUID) (keystore.DataKey, error) {
	if g.isRefused(client) {
		return keystore.DataKey{}, errKeyMissing
	}
	return g.Store.Create(ctx, client)
}

// Destroy implements keystore.Store: erasing a client whose key is missing
// works, and the client is then simply erased.
func (g *KeyGuard) Destroy(ctx context.Context, client uuid.UUID) error {
	if err := g.Store.Destroy(ctx, client); err != nil {
		return err
	}
	g.mu.Lock()
	delete(g.refused, client)
	g.mu.Unlock()
	return nil
}
