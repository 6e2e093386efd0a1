package keystore

import (
	"fmt"

	"github.com/google/uuid"
)

// Stored is what a backend holds for one client: a tombstone, a wrapped
// key, neither, or both (a key that came back from a backup).
type Stored struct {
	Destroyed bool
	HasKey    bool
	KEKID     string
	Wrapped   []byte
}

// Resolve turns what a backend holds for a client into a Store answer, the
// same way for every backend: a key beside a tombstone is refused
// (ErrDestroyed) and purged again; a tombstone alone is ErrDestroyed; no
// key is ErrNotFound; otherwise the key unwrapped under kek (errors:
// ErrWrongMasterKey, ErrCorrupt).
func Resolve(kek MasterKey, clientID uuid.UUID, st Stored, purge func() error) (DataKey, error) {
	switch {
	case st.Destroyed && st.HasKey:
		if err := purge(); err != nil {
			// The client is erased whatever happened to the purge; say so,
			// and name the failure without making it the answer.
			return DataKey{}, fmt.Errorf("%w (deleting the key that reappeared failed: %v)", ErrDestroyed, err)
		}
		return DataKey{}, ErrDestroyed
	case st.Destroyed:
		return DataKey{}, ErrDestroyed
	case !st.HasKey:
		return DataKey{}, ErrNotFound
	default:
		return Unwrap(kek, clientID, st.KEKID, st.Wrapped)
	}
}

// ForeignMasterKeys is the error a backend returns on opening when it holds
// keys wrapped under master keys other than kek: foreign lists them, e.g.
// "3 under master key 1a2b…". It is nil when foreign is empty.
func ForeignMasterKeys(kek MasterKey, foreign []string) error {
	if len(foreign) == 0 {
		return nil
	}
	return fmt.Errorf("%w: the key store holds keys %v, but the configured master key is %s; "+
		"configure the key they were wrapped under, or rotate from it",
		ErrWrongMasterKey, foreign, kek.ID)
}
