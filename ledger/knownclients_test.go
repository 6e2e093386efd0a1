package ledger

import (
	"testing"

	"github.com/referral-ledger/ledger/keystore"
)

// TestBlindIndex_REF14: the mark is the same for names that normalise
// alike, and differs with the date of birth and with the network's key, so
// that without the key nothing can be matched against it.
func TestBlindIndex_REF14(t *testing.T) {
	var k1, k2 keystore.DataKey
	k1[0], k2[0] = 1, 2
	a := BlindIndex(k1, "Zoë  O'Brien", "1980-02-29")
	if b := BlindIndex(k1, " zoe o'brien", "1980-02-29"); a != b {
		t.Error("names that normalise alike give different marks")
	}
	if b := BlindIndex(k1, "Zoë O'Brien", "1980-03-01"); a == b {
		t.Error("another date of birth gives the same mark")
	}
	if b := BlindIndex(k2, "Zoë O'Brien", "1980-02-29"); a == b {
		t.Error("another key gives the same mark")
	}
	// The separator keeps name and date apart.
	if BlindIndex(k1, "a", "1b") == BlindIndex(k1, "a1", "b") {
		t.Error("name and date run together")
	}
}
