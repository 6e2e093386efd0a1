package keystore

import (
	"crypto/aes"
	"crypto/cipher"
	"fmt"

	"github.com/google/uuid"
)

// wrapVersion is the first byte of every wrapped key, so the format can
// change without guessing what old rows hold.
const wrapVersion = 1

// WrappedSize is the length of a wrapped key: version byte, 12-byte nonce,
// 32-byte key, 16-byte tag.
const WrappedSize = 1 + 12 + 32 + 16

// aad binds a wrapped key to its client and master key: a wrapped key copied
// to another client's row, or relabelled with another key id, fails to
// unwrap instead of handing one client's key to another.
func aad(clientID uuid.UUID, kekID string) []byte {
	b := make([]byte, 0, 32+16+len(kekID))
	b = append(b, "referral-ledger keystore\x00"...)
	b = append(b, wrapVersion)
	b = append(b, clientID[:]...)
	return append(b, kekID...)
}

// gcm returns AES-256-GCM under kek with a random 96-bit nonce per Seal.
// Random nonces are safe here: a master key wraps each client's key once
// per rotation, far below GCM's 2^32-message limit for random nonces.
func gcm(kek MasterKey) cipher.AEAD {
	block, err := aes.NewCipher(kek.key[:])
	if err != nil {
		panic("keystore: AES-256 rejected a 32-byte key: " + err.Error())
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		panic("keystore: GCM unavailable: " + err.Error())
	}
	return aead
}

// Wrap encrypts key for clientID under kek (AES-256-GCM, random nonce,
// client id and kek.ID as associated data). Backends store the result with
// kek.ID beside it. It panics on the zero MasterKey, which is a bug.
func Wrap(kek MasterKey, clientID uuid.UUID, key DataKey) []byte {
	if kek.IsZero() {
		panic("keystore: Wrap with the zero MasterKey")
	}
	out := make([]byte, 1, WrappedSize)
	out[0] = wrapVersion
	return gcm(kek).Seal(out, nil, key[:], aad(clientID, kek.ID))
}

// Unwrap decrypts a key that Wrap wrapped for clientID under the master key
// with id kekID. Errors: ErrWrongMasterKey (naming both ids) when kekID is
// not kek.ID; ErrCorrupt when the wrapped key fails authentication.
func Unwrap(kek MasterKey, clientID uuid.UUID, kekID string, wrapped []byte) (DataKey, error) {
	if kekID != kek.ID {
		return DataKey{}, fmt.Errorf("%w: it is wrapped under master key %s, but the configured master key is %s",
			ErrWrongMasterKey, kekID, kek.ID)
	}
	if len(wrapped) != WrappedSize || wrapped[0] != wrapVersion {
		return DataKey{}, fmt.Errorf("%w: unexpected length or version", ErrCorrupt)
	}
	plain, err := gcm(kek).Open(nil, nil, wrapped[1:], aad(clientID, kekID))
	if err != nil {
		return DataKey{}, fmt.Errorf("%w: authentication failed", ErrCorrupt)
	}
	key := DataKey(plain)
	clear(plain)
	return key, nil
}
