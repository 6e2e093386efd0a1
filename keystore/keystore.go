// Package keystore holds each client's data key, the key that encrypts that
// client's identifying data and free text (R-PRIV-1). Destroying the key is
// how a client is erased (crypto-shredding, R-PRIV-3): the events stay, but
// nothing can decrypt them any more.
//
// Keys are stored wrapped (encrypted) under a master key, the KEK; see
// MasterKey, Wrap and Unwrap. Backends live in sub-packages (keystore/sqlite)
// and all pass the contract in keystore/keystoretest. Cached puts a bounded
// in-memory cache of unwrapped keys in front of any backend.
//
// Nothing in this package logs, and no error it returns contains a key,
// wrapped or not (R-PRIV-7).
package keystore

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// DataKey is a client's 256-bit AES key. It formats as a fixed placeholder,
// so printing or logging one by mistake does not reveal it.
type DataKey [32]byte

// Format writes a placeholder for every verb: the key's bytes are never
// printed.
func (DataKey) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte("keystore.DataKey(redacted)")) }

// MarshalText always fails, so a key put in JSON or a structured log by
// mistake fails loudly instead of being written out.
func (DataKey) MarshalText() ([]byte, error) {
	return nil, errors.New("keystore: a DataKey is never encoded")
}

// Store keeps one data key per client. Implementations are safe for
// concurrent use. Any failure to reach, read or write the backend wraps
// ErrUnavailable, so it is never mistaken for ErrNotFound or ErrDestroyed: a
// client is reported erased only when its key is known to be destroyed.
type Store interface {
	// Create returns the client's key, creating it on first use. Concurrent
	// Creates for one client return the same key. Errors: ErrDestroyed if
	// the client's key was destroyed (an erased client never gets a new
	// key), ErrUnavailable, ErrWrongMasterKey, ErrCorrupt.
	Create(ctx context.Context, clientID uuid.UUID) (DataKey, error)
	// Get returns the client's key. Errors: ErrNotFound (never created),
	// ErrDestroyed (destroyed), ErrUnavailable, ErrWrongMasterKey,
	// ErrCorrupt.
	Get(ctx context.Context, clientID uuid.UUID) (DataKey, error)
	// Destroy removes the client's key for good and records a tombstone
	// (client id and time only), whether or not a key was ever created, so
	// no key can be created for the client afterwards. It is idempotent:
	// destroying again succeeds and repeats the backend's scrubbing, so a
	// retry after an error finishes the job. Errors: ErrUnavailable.
	Destroy(ctx context.Context, clientID uuid.UUID) error
	// Rewrap rewraps every key under next, all or nothing, and from then on
	// wraps new keys under next (for rotate-master-key). It returns how many
	// keys it rewrapped; keys already under next are left alone and not
	// counted. Errors: ErrUnavailable, ErrWrongMasterKey (a key is under
	// neither the current master key nor next), ErrCorrupt.
	Rewrap(ctx context.Context, next MasterKey) (int, error)
	// Close releases the backend. Later calls return ErrUnavailable; Close
	// itself may be repeated.
	Close() error
}

// The outcomes a caller acts on. Match them with errors.Is; the errors
// returned are often wrapped.
var (
	// ErrNotFound means the client has never had a key.
	ErrNotFound = errors.New("keystore: no key for this client")
	// ErrDestroyed means the client's key was destroyed: the client is
	// erased and their encrypted data can never be read again.
	ErrDestroyed = errors.New("keystore: the client's key was destroyed")
	// ErrWrongMasterKey means a key is wrapped under a master key other
	// than the one configured; the message names both key ids (never the
	// keys). The operator must configure the master key the store was
	// written with, or rotate from it.
	ErrWrongMasterKey = errors.New("keystore: key is wrapped under a different master key")
	// ErrCorrupt means a wrapped key failed authentication: it was altered,
	// truncated or moved to another client's row. It is never a key.
	ErrCorrupt = errors.New("keystore: wrapped key is corrupt")
	// ErrUnavailable marks every failure to reach, read or write the
	// backend, and calls on a closed store. It is a *domain.Error with code
	// domain.Unavailable, so the HTTP layer answers 503.
	ErrUnavailable error = &domain.Error{Code: domain.Unavailable, Message: "the key store is unavailable"}
)

// Unavailable wraps err, a backend failure during op, so that it matches
// ErrUnavailable and carries domain.Unavailable. Backends use it for every
// I/O error; op and err must not contain key material.
func Unavailable(op string, err error) error {
	return fmt.Errorf("keystore: %s: %w: %w", op, ErrUnavailable, err)
}

// Checker is a Store that can answer Get for many clients in one pass over
// its data: the start-up key check of a large ledger reads every key once
// instead of one query per client.
type Checker interface {
	// CheckEach calls report once for each of clients, with the error Get
	// would return for that client (nil for a key that opens). It returns
	// an error, having reported nothing, when the store cannot be read.
	// Unlike Get it purges nothing: a key beside a tombstone is reported
	// as ErrDestroyed and left for the next Get to delete.
	CheckEach(ctx context.Context, clients []uuid.UUID, report func(client uuid.UUID, err error)) error
}

// Holder is a Store shared by several nodes that can tell whether a ledger
// already keeps its client keys in it.
type Holder interface {
	// Used reports whether the store holds any key or erasure tombstone.
	// Errors: ErrUnavailable.
	Used(ctx context.Context) (bool, error)
}

// CheckEachOf answers CheckEach through store: in one pass when it is a
// Checker, else by one Get per client.
func CheckEachOf(ctx context.Context, store Store, clients []uuid.UUID, report func(uuid.UUID, error)) error {
	if c, ok := store.(Checker); ok {
		return c.CheckEach(ctx, clients, report)
	}
	for _, id := range clients {
		_, err := store.Get(ctx, id)
		report(id, err)
	}
	return nil
}

// ResolveEach reports, for each of clients, the answer Resolve gives on
// what stored holds for it (absent: neither key nor tombstone), without
// purging anything.
func ResolveEach(kek MasterKey, clients []uuid.UUID, stored map[uuid.UUID]Stored, report func(uuid.UUID, error)) {
	noPurge := func() error { return nil }
	for _, id := range clients {
		_, err := Resolve(kek, id, stored[id], noPurge)
		report(id, err)
	}
}
