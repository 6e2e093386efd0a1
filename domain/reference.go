package domain

import (
	"crypto/sha256"
	"strings"

	"github.com/google/uuid"
)

// Reference is a referral's short human reference (R-REF-13): 40 bits in
// eight characters of Crockford's base32 (no I, L, O or U, so nothing reads
// as another character on the phone), written as two groups of four,
// "7KQ4-M2XD". It is derived from the referral's id, so every referral ever
// made has one without a change to its events; the ledger picks a new
// referral's id so that its reference is not already taken (see
// ledger.Service.MakeReferral).
type Reference string

// crockford is Crockford's base32 alphabet.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// referenceContext separates reference hashes from any other hash of an id.
const referenceContext = "referral-ledger reference v1\x00"

// ReferenceOf returns the reference of the referral with this id: the first
// 40 bits of SHA-256 over the id, so the references of ids made in sequence
// (time-ordered UUIDs) are spread as evenly as those of random ones.
func ReferenceOf(id uuid.UUID) Reference {
	h := sha256.New()
	h.Write([]byte(referenceContext))
	h.Write(id[:])
	sum := h.Sum(nil)
	var v uint64
	for _, b := range sum[:5] {
		v = v<<8 | uint64(b)
	}
	var out [8]byte
	for i := 7; i >= 0; i-- {
		out[i] = crockford[v&31]
		v >>= 5
	}
	return Reference(out[:])
}

// Reference returns the referral's reference (R-REF-13).
func (r Referral) Reference() Reference { return ReferenceOf(r.ID) }

// String writes the reference as people read it: "7KQ4-M2XD".
func (r Reference) String() string {
	if len(r) != 8 {
		return string(r)
	}
	return string(r[:4]) + "-" + string(r[4:])
}

// ParseReference reads a reference as a person may type it: any case, with
// or without the hyphen or spaces, and with the letters Crockford's base32
// reads as digits (I and L as 1, O as 0). Errors: Invalid, naming the field
// "reference", for anything that is not eight such characters.
func ParseReference(s string) (Reference, error) {
	var b strings.Builder
	for _, c := range strings.ToUpper(strings.TrimSpace(s)) {
		switch {
		case c == '-' || c == ' ':
			continue
		case c == 'I' || c == 'L':
			c = '1'
		case c == 'O':
			c = '0'
		}
		if c > 127 || strings.IndexByte(crockford, byte(c)) < 0 || b.Len() >= 8 {
			return "", invalidReference
		}
		b.WriteRune(c)
	}
	if b.Len() != 8 {
		return "", invalidReference
	}
	return Reference(b.String()), nil
}

var invalidReference = InvalidFields(FieldError{Field: "reference",
	Message: "must be a referral reference: eight letters and digits, such as 7KQ4-M2XD"})
