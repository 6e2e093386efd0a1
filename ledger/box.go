package ledger

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"

	"github.com/google/uuid"
)

// associatedData binds a ciphertext to its event and client, so a box
// copied into another event, or claimed for another client, fails to open.
func associatedData(event, client uuid.UUID) []byte {
	ad := make([]byte, 0, 32+len("referral-ledger/v1"))
	ad = append(ad, "referral-ledger/v1"...)
	ad = append(ad, event[:]...)
	return append(ad, client[:]...)
}

// sealBox encrypts plain with AES-256-GCM under key and a random nonce,
// returning nonce followed by ciphertext.
func sealBox(key DataKey, plain, ad []byte) ([]byte, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, plain, ad), nil
}

// errBox is returned for a box that does not open: tampered, moved to
// another event, or sealed under another key.
var errBox = errors.New("sealed client data does not open: tampered, moved or under another key")

// openBox reverses sealBox.
func openBox(key DataKey, box, ad []byte) ([]byte, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	if len(box) < aead.NonceSize() {
		return nil, errBox
	}
	plain, err := aead.Open(nil, box[:aead.NonceSize()], box[aead.NonceSize():], ad)
	if err != nil {
		return nil, errBox
	}
	return plain, nil
}

func newAEAD(key DataKey) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
