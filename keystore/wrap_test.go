package keystore_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/keystore"
)

func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func TestWrapRoundTrip(t *testing.T) {
	kek := keystore.GenerateMasterKey()
	id := uuid.New()
	var key keystore.DataKey
	copy(key[:], testKeyRaw)
	w1, w2 := keystore.Wrap(kek, id, key), keystore.Wrap(kek, id, key)
	if len(w1) != keystore.WrappedSize {
		t.Errorf("wrapped length %d, want %d", len(w1), keystore.WrappedSize)
	}
	if string(w1) == string(w2) {
		t.Error("two wrappings of one key are equal; the nonce is not random")
	}
	if strings.Contains(string(w1), string(testKeyRaw[:8])) {
		t.Error("the wrapped key contains the key")
	}
	got, err := keystore.Unwrap(kek, id, kek.ID, w1)
	if err != nil || got != key {
		t.Fatalf("Unwrap = %v; want the key back", err)
	}
}

// A wrapped key is bound to its client and its master key: moved, relabelled
// or altered, it is refused, never returned as some other key.
func TestUnwrapRefuses(t *testing.T) {
	kek, other := keystore.GenerateMasterKey(), keystore.GenerateMasterKey()
	id := uuid.New()
	var key keystore.DataKey
	copy(key[:], testKeyRaw)
	w := keystore.Wrap(kek, id, key)

	t.Run("OtherClient", func(t *testing.T) {
		if _, err := keystore.Unwrap(kek, uuid.New(), kek.ID, w); !errors.Is(err, keystore.ErrCorrupt) {
			t.Errorf("Unwrap = %v, want ErrCorrupt", err)
		}
	})
	t.Run("UnknownMasterKey", func(t *testing.T) {
		_, err := keystore.Unwrap(other, id, kek.ID, w)
		if !errors.Is(err, keystore.ErrWrongMasterKey) {
			t.Fatalf("Unwrap = %v, want ErrWrongMasterKey", err)
		}
		if !strings.Contains(err.Error(), kek.ID) || !strings.Contains(err.Error(), other.ID) {
			t.Errorf("error %q does not name both master key ids", err)
		}
	})
	t.Run("RelabelledMasterKey", func(t *testing.T) {
		// Claiming the wrapping is under other: the tag, bound to kek's id
		// and key, does not verify.
		if _, err := keystore.Unwrap(other, id, other.ID, w); !errors.Is(err, keystore.ErrCorrupt) {
			t.Errorf("Unwrap = %v, want ErrCorrupt", err)
		}
	})
	t.Run("EveryByteFlipped", func(t *testing.T) {
		for i := range w {
			bad := append([]byte(nil), w...)
			bad[i] ^= 0x01
			if _, err := keystore.Unwrap(kek, id, kek.ID, bad); !errors.Is(err, keystore.ErrCorrupt) {
				t.Fatalf("byte %d flipped: Unwrap = %v, want ErrCorrupt", i, err)
			}
		}
	})
	t.Run("Truncated", func(t *testing.T) {
		if _, err := keystore.Unwrap(kek, id, kek.ID, w[:len(w)-1]); !errors.Is(err, keystore.ErrCorrupt) {
			t.Errorf("Unwrap = %v, want ErrCorrupt", err)
		}
	})
}
