package ledger

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"sync"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/keystore"
)

// KnownClientsKeyID is the key store entry that holds the network's
// blind-index key, the HMAC key of the known clients index (R-REF-14). It
// names no client: it is a fixed name-based UUID of its own, which no
// client id will equal, so the key lives where the clients'
// keys live, wrapped under the master key, and is backed up, restored,
// rotated and migrated with them. It is never in the event log.
var KnownClientsKeyID = uuid.NewSHA1(uuid.NameSpaceOID, []byte("referral-ledger/known-clients-index-key"))

// Mark is a blind-index entry: HMAC-SHA-256, under the network's index key,
// of a client's normalised name and date of birth. It identifies a person
// to whoever holds the key, so it is kept only in memory, in the known
// clients read model, and never written anywhere.
type Mark [sha256.Size]byte

// IndexKey gives the known clients index its HMAC key, creating it in the
// key store on first use.
type IndexKey struct {
	store keystore.Store
	mu    sync.Mutex
	key   *keystore.DataKey
}

// NewIndexKey returns the index key kept in store.
func NewIndexKey(store keystore.Store) *IndexKey { return &IndexKey{store: store} }

// Mark returns the blind-index entry of a name and date of birth. Errors:
// the key store's (Unavailable).
func (k *IndexKey) Mark(ctx context.Context, name, dateOfBirth string) (Mark, error) {
	key, err := k.get(ctx)
	if err != nil {
		return Mark{}, err
	}
	return BlindIndex(key, name, dateOfBirth), nil
}

func (k *IndexKey) get(ctx context.Context) (keystore.DataKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.key != nil {
		return *k.key, nil
	}
	key, err := k.store.Create(ctx, KnownClientsKeyID)
	if err != nil {
		return keystore.DataKey{}, err
	}
	k.key = &key
	return key, nil
}

// BlindIndex is HMAC-SHA-256 under key of the normalised name, a zero
// byte and the normalised date of birth (domain.NormaliseClientName,
// domain.NormaliseDateOfBirth).
func BlindIndex(key keystore.DataKey, name, dateOfBirth string) Mark {
	h := hmac.New(sha256.New, key[:])
	h.Write([]byte(domain.NormaliseClientName(name)))
	h.Write([]byte{0})
	h.Write([]byte(domain.NormaliseDateOfBirth(dateOfBirth)))
	var m Mark
	h.Sum(m[:0])
	return m
}

// KnownClientsIndex finds, by name and date of birth, the clients an
// organisation already referred (R-REF-14).
type KnownClientsIndex interface {
	ReferredBy(ctx context.Context, org uuid.UUID, name, dateOfBirth string) ([]uuid.UUID, error)
}

// KnownClients lists the clients the actor's organisation already referred
// with the searched name and date of birth (R-REF-14), leaving out those a
// lock keeps the actor out of, as every list does (R-LOCK-2). The answer
// never names another organisation's client, nor an erased one. Errors:
// Forbidden (not an adviser or org lead), Invalid (naming the field),
// Unavailable (the key store).
func (s *Service) KnownClients(ctx context.Context, actor domain.Actor, q domain.ClientSearch, idx KnownClientsIndex, cases CaseIndex) ([]uuid.UUID, error) {
	if err := domain.ValidateClientSearch(actor, q); err != nil {
		return nil, err
	}
	found, err := idx.ReferredBy(ctx, actor.OrganisationID, q.Name, q.DateOfBirth)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	out := make([]uuid.UUID, 0, len(found))
	for _, client := range found {
		if _, open := domain.LockAccess(cases.LockOf(client), actor, now); open {
			out = append(out, client)
		}
	}
	return out, nil
}
