package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"
)

// Hasher hashes passwords with argon2id (R-AUTH-3). Zero fields take the
// defaults below, so Hasher{} is ready to use. The parameters are written
// into every hash, so they can be raised later: old hashes still verify and
// NeedsRehash tells the caller to store a new one at the next login.
type Hasher struct {
	// Memory is the memory cost in KiB; default 19456 (19 MiB).
	Memory uint32
	// Time is the number of passes over the memory; default 2.
	Time uint32
	// Threads is the degree of parallelism; default 1.
	Threads uint8
	// SaltLen is the length of the random salt in bytes; default 16.
	SaltLen uint32
	// KeyLen is the length of the derived key in bytes; default 32.
	KeyLen uint32
}

// The default argon2id parameters, the OWASP Password Storage Cheat Sheet's
// minimum (m=19 MiB, t=2, p=1), which costs tens of milliseconds a login.
const (
	DefaultMemory  uint32 = 19 * 1024
	DefaultTime    uint32 = 2
	DefaultThreads uint8  = 1
	DefaultSaltLen uint32 = 16
	DefaultKeyLen  uint32 = 32
)

// Bounds on parameters read from a stored hash, so a corrupt or planted hash
// cannot make a login allocate gigabytes or spin for minutes.
const (
	maxMemory  = 1 << 20 // KiB, i.e. 1 GiB
	maxTime    = 64
	minSaltLen = 8
	maxSaltLen = 64
	minKeyLen  = 16
	maxKeyLen  = 128
)

// errMalformedHash is returned for a stored hash this package cannot read.
var errMalformedHash = errors.New("auth: malformed argon2id hash")

// withDefaults returns h with every zero field set to its default.
func (h Hasher) withDefaults() Hasher {
	if h.Memory == 0 {
		h.Memory = DefaultMemory
	}
	if h.Time == 0 {
		h.Time = DefaultTime
	}
	if h.Threads == 0 {
		h.Threads = DefaultThreads
	}
	if h.SaltLen == 0 {
		h.SaltLen = DefaultSaltLen
	}
	if h.KeyLen == 0 {
		h.KeyLen = DefaultKeyLen
	}
	return h
}

// Hash returns the PHC string of password hashed with a fresh random salt,
// e.g. "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>" with unpadded standard
// base64. It fails only if the system's random source does (an internal
// error).
func (h Hasher) Hash(password string) (string, error) {
	h = h.withDefaults()
	salt := make([]byte, h.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: reading salt: %w", err)
	}
	key := argon2.IDKey(passwordBytes(password), salt, h.Time, h.Memory, h.Threads, h.KeyLen)
	return encodeHash(h, salt, key), nil
}

// NormalisePassword returns password in Unicode normalisation form NFKC,
// as NIST SP 800-63B asks, so that the same passphrase typed on two
// keyboards that compose accents differently is the same password. NFKC
// also folds compatibility look-alikes into their plain forms (full-width
// "Ｐａｓｓ１" is "Pass1", the ligature "ﬁ" is "fi"), so this text, and
// never the raw input, is what is hashed and what every rule of the
// password policy and every comparison of passwords looks at (R-AUTH-2).
func NormalisePassword(password string) string { return norm.NFKC.String(password) }

// SamePassword reports whether a and b are one password once normalised,
// i.e. whether either would verify against a hash of the other.
func SamePassword(a, b string) bool { return NormalisePassword(a) == NormalisePassword(b) }

// passwordBytes is what is hashed: the normalised password
// (NormalisePassword).
func passwordBytes(password string) []byte { return []byte(NormalisePassword(password)) }

// Verify reports whether password matches the PHC string encoded, using the
// parameters stored in encoded and a constant-time comparison. A wrong
// password gives (false, nil); a hash this package cannot read gives an
// unclassified (internal) error.
//
// An empty encoded stands for an unknown user: Verify then runs DummyVerify
// and returns (false, nil), so a caller that found no account can pass ""
// and the reply takes as long as for a real one (R-AUTH-3).
func (h Hasher) Verify(encoded, password string) (bool, error) {
	if encoded == "" {
		h.DummyVerify(password)
		return false, nil
	}
	params, salt, key, err := decodeHash(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey(passwordBytes(password), salt, params.Time, params.Memory, params.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// DummyVerify spends as much time and memory as verifying password against a
// hash made with h's parameters, and discards the result. Call it when the
// username is unknown so that timing never reveals whether an account
// exists (R-AUTH-3).
func (h Hasher) DummyVerify(password string) {
	h = h.withDefaults()
	// An all-zero salt needs no secrecy: the result is thrown away, and only
	// the time and memory spent matter.
	salt := make([]byte, h.SaltLen)
	_ = argon2.IDKey(passwordBytes(password), salt, h.Time, h.Memory, h.Threads, h.KeyLen)
}

// NeedsRehash reports whether encoded should be replaced by a new hash of the
// same password: true if it is unreadable, not argon2id version 19, or made
// with weaker parameters (or other lengths) than h's.
func (h Hasher) NeedsRehash(encoded string) bool {
	h = h.withDefaults()
	params, salt, key, err := decodeHash(encoded)
	if err != nil {
		return true
	}
	return params.Memory < h.Memory || params.Time < h.Time || params.Threads != h.Threads ||
		uint32(len(salt)) != h.SaltLen || uint32(len(key)) != h.KeyLen
}

// HashPassword hashes password with the default parameters; see Hasher.Hash.
func HashPassword(password string) (string, error) { return Hasher{}.Hash(password) }

// VerifyPassword checks password against encoded; see Hasher.Verify.
func VerifyPassword(encoded, password string) (bool, error) {
	return Hasher{}.Verify(encoded, password)
}

// NeedsRehash reports whether encoded is weaker than the default parameters;
// see Hasher.NeedsRehash.
func NeedsRehash(encoded string) bool { return Hasher{}.NeedsRehash(encoded) }

// DummyVerify spends the time of one verification with the default
// parameters; see Hasher.DummyVerify.
func DummyVerify(password string) { Hasher{}.DummyVerify(password) }

// encodeHash formats a PHC string.
func encodeHash(h Hasher, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, h.Memory, h.Time, h.Threads,
		base64.RawStdEncoding.EncodeToString(salt),
		base64.RawStdEncoding.EncodeToString(key))
}

// decodeHash parses a PHC string written by encodeHash (or any other
// argon2id v19 implementation using the same format) and checks that its
// parameters are within bounds.
func decodeHash(encoded string) (Hasher, []byte, []byte, error) {
	parts := strings.Split(encoded, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return Hasher{}, nil, nil, errMalformedHash
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return Hasher{}, nil, nil, fmt.Errorf("%w: unsupported version %q", errMalformedHash, parts[2])
	}
	var p Hasher
	seen := map[string]bool{}
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || seen[k] {
			return Hasher{}, nil, nil, errMalformedHash
		}
		seen[k] = true
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return Hasher{}, nil, nil, errMalformedHash
		}
		switch k {
		case "m":
			p.Memory = uint32(n)
		case "t":
			p.Time = uint32(n)
		case "p":
			if n > 255 {
				return Hasher{}, nil, nil, errMalformedHash
			}
			p.Threads = uint8(n)
		default:
			return Hasher{}, nil, nil, errMalformedHash
		}
	}
	if p.Time < 1 || p.Time > maxTime || p.Threads < 1 || p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory {
		return Hasher{}, nil, nil, fmt.Errorf("%w: parameters out of range", errMalformedHash)
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil || len(salt) < minSaltLen || len(salt) > maxSaltLen {
		return Hasher{}, nil, nil, fmt.Errorf("%w: bad salt", errMalformedHash)
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(key) < minKeyLen || len(key) > maxKeyLen {
		return Hasher{}, nil, nil, fmt.Errorf("%w: bad key", errMalformedHash)
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return p, salt, key, nil
}
