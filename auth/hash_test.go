package auth

import (
	"regexp"
	"strings"
	"testing"
)

// phcPattern is the PHC string of the default parameters.
var phcPattern = regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)

// TestHashPasswordFormat proves R-AUTH-3: passwords are stored only as
// salted argon2id hashes with at least the OWASP minimum parameters.
func TestHashPasswordFormat(t *testing.T) {
	const pw = "correct horse battery staple"
	a, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if !phcPattern.MatchString(a) {
		t.Fatalf("hash %q is not a default argon2id PHC string", a)
	}
	if strings.Contains(a, pw) {
		t.Fatal("hash contains the password")
	}
	b, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
}

// TestVerifyPassword proves R-AUTH-3's hashes verify only the right password,
// whole, including long passphrases.
func TestVerifyPassword(t *testing.T) {
	long := strings.Repeat("a long passphrase ", 15)[:MaxPasswordLength]
	tests := []struct {
		name    string
		stored  string
		attempt string
		want    bool
	}{
		{"OK", "Tr0ub4dor&3x", "Tr0ub4dor&3x", true},
		{"WrongPassword", "Tr0ub4dor&3x", "Tr0ub4dor&3X", false},
		{"Empty", "Tr0ub4dor&3x", "", false},
		{"LongPassphrase", long, long, true},
		{"LongPassphraseLastCharDiffers", long, long[:len(long)-1] + "!", false},
		{"Unicode", "Äb1#öüßé", "Äb1#öüßé", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, err := HashPassword(tt.stored)
			if err != nil {
				t.Fatal(err)
			}
			got, err := VerifyPassword(enc, tt.attempt)
			if err != nil || got != tt.want {
				t.Fatalf("VerifyPassword = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

// TestVerifyUnknownUser proves R-AUTH-3: an unknown user (no stored hash)
// goes through a full dummy verification and is simply refused.
func TestVerifyUnknownUser(t *testing.T) {
	ok, err := VerifyPassword("", "anything at all")
	if ok || err != nil {
		t.Fatalf("VerifyPassword(\"\") = %v, %v; want false, nil", ok, err)
	}
	DummyVerify("anything at all") // must not panic
}

// TestHashParamsInString proves the parameters are read from each hash, so
// they can be raised later without locking anyone out.
func TestHashParamsInString(t *testing.T) {
	tests := []struct {
		name        string
		hasher      Hasher
		needsRehash bool
	}{
		{"Default", Hasher{}, false},
		{"Weaker", Hasher{Memory: 8 * 1024, Time: 1}, true},
		{"Stronger", Hasher{Memory: 32 * 1024, Time: 3}, false},
		{"ShorterKey", Hasher{KeyLen: 16}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, err := tt.hasher.Hash("Tr0ub4dor&3x")
			if err != nil {
				t.Fatal(err)
			}
			if ok, err := VerifyPassword(enc, "Tr0ub4dor&3x"); !ok || err != nil {
				t.Fatalf("VerifyPassword with the default hasher = %v, %v; want true", ok, err)
			}
			if got := NeedsRehash(enc); got != tt.needsRehash {
				t.Fatalf("NeedsRehash(%q) = %v, want %v", enc, got, tt.needsRehash)
			}
		})
	}
}

func TestVerifyMalformedHash(t *testing.T) {
	const salt, key = "c2FsdHNhbHRzYWx0c2FsdA", "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"
	tests := []struct{ name, enc string }{
		{"Garbage", "not a hash"},
		{"Argon2i", "$argon2i$v=19$m=19456,t=2,p=1$" + salt + "$" + key},
		{"OldVersion", "$argon2id$v=16$m=19456,t=2,p=1$" + salt + "$" + key},
		{"MissingTime", "$argon2id$v=19$m=19456,p=1$" + salt + "$" + key},
		{"DuplicateParam", "$argon2id$v=19$m=19456,m=1,t=2,p=1$" + salt + "$" + key},
		{"MemoryTooLarge", "$argon2id$v=19$m=4194304,t=2,p=1$" + salt + "$" + key},
		{"TimeTooLarge", "$argon2id$v=19$m=19456,t=1000,p=1$" + salt + "$" + key},
		{"BadSalt", "$argon2id$v=19$m=19456,t=2,p=1$!!!$" + key},
		{"ShortKey", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$a2V5"},
		{"Bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := VerifyPassword(tt.enc, "Tr0ub4dor&3x")
			if ok || err == nil {
				t.Fatalf("VerifyPassword = %v, %v; want false and an error", ok, err)
			}
			if !NeedsRehash(tt.enc) {
				t.Error("NeedsRehash = false for an unreadable hash")
			}
		})
	}
}

// BenchmarkVerify and BenchmarkDummyVerify should report about the same time
// per operation: that is what keeps unknown usernames from showing in the
// timing of a login (R-AUTH-3).
func BenchmarkVerify(b *testing.B) {
	enc, err := HashPassword("Tr0ub4dor&3x")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		_, _ = VerifyPassword(enc, "wrong password")
	}
}

func BenchmarkDummyVerify(b *testing.B) {
	for b.Loop() {
		_, _ = VerifyPassword("", "wrong password")
	}
}

// TestPasswordsAreNormalised_AUTH2: a passphrase whose accents are composed
// differently (é as one code point, or e plus a combining accent) is the
// same password (NFKC, NIST SP 800-63B).
func TestPasswordsAreNormalised_AUTH2(t *testing.T) {
	composed, decomposed := "caf\u00e9 au lait sans sucre", "cafe\u0301 au lait sans sucre"
	h, err := Hasher{}.Hash(composed)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := (Hasher{}).Verify(h, decomposed); err != nil || !ok {
		t.Fatalf("decomposed form refused: %v %v", ok, err)
	}
	if ok, _ := (Hasher{}).Verify(h, "cafe au lait sans sucre"); ok {
		t.Fatal("a different password accepted")
	}
}
