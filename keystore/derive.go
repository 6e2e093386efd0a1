package keystore

import (
	"crypto/hkdf"
	"crypto/sha256"
)

// DeriveKey returns a 256-bit key for purpose, derived from the master key
// with HKDF-SHA-256 (purpose as the info string), so that it is kept,
// backed up and restored exactly as the master key is, and never stored
// anywhere itself. Distinct purposes give independent keys, and none of
// them reveals the master key. It panics on the zero MasterKey.
func (k MasterKey) DeriveKey(purpose string) DataKey {
	if k.IsZero() {
		panic("keystore: DeriveKey on the zero MasterKey")
	}
	b, err := hkdf.Key(sha256.New, k.key[:], nil, purpose, len(DataKey{}))
	if err != nil {
		panic("keystore: HKDF: " + err.Error()) // only for lengths HKDF cannot give
	}
	var out DataKey
	copy(out[:], b)
	return out
}
