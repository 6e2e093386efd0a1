package keystore

import "testing"

// TestDeriveKey: a derived key is stable for one master key and purpose,
// and differs with either.
func TestDeriveKey(t *testing.T) {
	a, b := GenerateMasterKey(), GenerateMasterKey()
	if first, again := a.DeriveKey("x"), a.DeriveKey("x"); first != again {
		t.Error("the same master key and purpose give different keys")
	}
	if a.DeriveKey("x") == a.DeriveKey("y") {
		t.Error("two purposes give the same key")
	}
	if a.DeriveKey("x") == b.DeriveKey("x") {
		t.Error("two master keys give the same key")
	}
	if a.DeriveKey("x") == (DataKey{}) {
		t.Error("a zero key")
	}
}
