package sqlite

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/referral-ledger/ledger/eventstore"
)

// The metadata column holds an event's eventstore.Metadata in one of two
// forms, told apart by the first byte:
//
//   - compactMeta (0x01), what this program writes: the recording time as
//     Unix seconds (signed varint) and nanoseconds (uvarint), the actor's
//     user and organisation, the correlation and causation ids as
//     length-prefixed (uvarint) UTF-8 strings, then the previous hash and
//     the hash, each either rawHash (0x01) and its 32 bytes, for a hash in
//     lowercase hex as the store writes them, or textHash (0x00) and a
//     length-prefixed string for anything else;
//   - '{', the JSON of schema version 1, kept only for the rows of an older
//     file whose values the compact form cannot hold exactly (a recording
//     time that is not in UTC) or that do not decode at all.
//
// Decoding the compact form is strict: a value has exactly one encoding
// (minimal varints, valid UTF-8, a hash in rawHash form whenever it can be,
// nanoseconds below one second, nothing after the last field), so the
// stored bytes and the decoded Metadata determine each other, and the hash
// chain, which covers the Metadata (eventstore.ComputeHash), covers the
// stored bytes: a changed byte either fails to decode or changes a value
// the hash covers.
const (
	compactMeta byte = 0x01
	jsonMeta    byte = '{'

	textHash byte = 0x00
	rawHash  byte = 0x01
)

// encodeMeta returns the compact form of meta, whose strings must be valid
// UTF-8 (see validUTF8) and whose RecordedAt must be in UTC.
func encodeMeta(dst []byte, meta eventstore.Metadata) []byte {
	dst = append(dst, compactMeta)
	dst = binary.AppendVarint(dst, meta.RecordedAt.Unix())
	dst = binary.AppendUvarint(dst, uint64(meta.RecordedAt.Nanosecond()))
	for _, s := range [...]string{meta.ActorUserID, meta.ActorOrganisationID, meta.CorrelationID, meta.CausationID} {
		dst = appendString(dst, s)
	}
	dst = appendHash(dst, meta.PrevHash)
	return appendHash(dst, meta.Hash)
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func appendHash(dst []byte, h string) []byte {
	var raw [32]byte
	if decodeHexHash(&raw, h) {
		return append(append(dst, rawHash), raw[:]...)
	}
	return appendString(append(dst, textHash), h)
}

// isHexHash reports whether h is 64 lowercase hex digits, as ComputeHash
// and GenesisHash give.
func isHexHash(h string) bool {
	var raw [32]byte
	return decodeHexHash(&raw, h)
}

// decodeHexHash decodes h into raw and reports true if h is 64 lowercase
// hex digits; in one pass, as the writer does it twice per event.
func decodeHexHash(raw *[32]byte, h string) bool {
	if len(h) != 64 {
		return false
	}
	var bad byte
	for i := range raw {
		hi, lo := lowerHex[h[2*i]], lowerHex[h[2*i+1]]
		bad |= hi | lo
		raw[i] = hi<<4 | lo&0x0f
	}
	return bad&0xf0 == 0
}

// lowerHex maps '0'-'9' and 'a'-'f' to their values and every other byte
// to 0xff.
var lowerHex = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i, c := range "0123456789abcdef" {
		t[c] = byte(i)
	}
	return t
}()

// compactable reports whether meta survives the compact form unchanged.
func compactable(meta eventstore.Metadata) bool {
	if meta.RecordedAt.Location() != time.UTC {
		return false
	}
	for _, s := range [...]string{meta.ActorUserID, meta.ActorOrganisationID, meta.CorrelationID, meta.CausationID,
		meta.PrevHash, meta.Hash} {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}

var errBadMeta = errors.New("malformed compact metadata")

// decodeMeta decodes either form of the metadata column. The compact
// form's strings share one allocation.
func decodeMeta(b []byte) (eventstore.Metadata, error) {
	meta, _, err := decodeMetaWith(b, nil)
	return meta, err
}

// decodeMetaWith is decodeMeta that also returns a copy of data (nil when
// data is empty): for the compact form, in the same allocation as the
// metadata's strings, ahead of them, so reading an event allocates once
// for both. The copy's capacity is its length, so appending to it never
// writes over the strings.
func decodeMetaWith(b, data []byte) (eventstore.Metadata, []byte, error) {
	if len(b) > 0 && b[0] == jsonMeta {
		// Its own variable: one whose address json.Unmarshal takes lives
		// on the heap, and the compact form below would pay for that too.
		var meta eventstore.Metadata
		err := json.Unmarshal(b, &meta)
		return meta, copyBytes(data), err
	}
	if len(b) == 0 || b[0] != compactMeta {
		return eventstore.Metadata{}, nil, errBadMeta
	}
	d := metaDecoder{b: b[1:]}
	sec := d.varint()
	nsec := d.uvarint()
	if nsec >= uint64(time.Second) {
		d.err = errBadMeta
	}
	var strs [4][]byte
	for i := range strs {
		strs[i] = d.string()
	}
	prev, prevRaw := d.hash()
	hash, hashRaw := d.hash()
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%w: %d bytes after the last field", errBadMeta, len(d.b))
	}
	if d.err != nil {
		return eventstore.Metadata{}, nil, d.err
	}
	size := len(data) + hexLen(prev, prevRaw) + hexLen(hash, hashRaw)
	for _, s := range strs {
		size += len(s)
	}
	if size == 0 {
		return eventstore.Metadata{RecordedAt: time.Unix(sec, int64(nsec)).UTC()}, nil, nil
	}
	buf := append(make([]byte, 0, size), data...)
	var dataCopy []byte
	if len(data) > 0 {
		dataCopy = buf[:len(data):len(data)]
	}
	var out [6]string
	for i, s := range strs {
		out[i], buf = appendTo(buf, s, false)
	}
	out[4], buf = appendTo(buf, prev, prevRaw)
	out[5], _ = appendTo(buf, hash, hashRaw)
	return eventstore.Metadata{
		ActorUserID: out[0], ActorOrganisationID: out[1], CorrelationID: out[2], CausationID: out[3],
		PrevHash: out[4], Hash: out[5],
		RecordedAt: time.Unix(sec, int64(nsec)).UTC(),
	}, dataCopy, nil
}

// copyBytes returns a copy of b, nil when b is empty.
func copyBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}

// hexLen is how long b is as a string: hex-encoded when raw.
func hexLen(b []byte, raw bool) int {
	if raw {
		return hex.EncodedLen(len(b))
	}
	return len(b)
}

// appendTo appends b (hex-encoded when raw) to buf, whose capacity holds
// it, and returns it as a string sharing buf's memory, which nothing
// writes again: only what follows it is appended.
func appendTo(buf, b []byte, raw bool) (string, []byte) {
	start := len(buf)
	if raw {
		buf = hex.AppendEncode(buf, b)
	} else {
		buf = append(buf, b...)
	}
	if len(buf) == start {
		return "", buf
	}
	return unsafe.String(&buf[start], len(buf)-start), buf
}

// metaDecoder reads the compact form, remembering the first error.
type metaDecoder struct {
	b   []byte
	err error
}

func (d *metaDecoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	// Only the shortest encoding of a value is accepted.
	if n <= 0 || n != uvarintLen(v) {
		d.err = errBadMeta
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *metaDecoder) varint() int64 {
	u := d.uvarint()
	// AppendVarint zigzag-encodes: this is binary.Varint on the same bytes.
	x := int64(u >> 1)
	if u&1 != 0 {
		x = ^x
	}
	return x
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

func (d *metaDecoder) bytes(n uint64) []byte {
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.err = errBadMeta
		return nil
	}
	out := d.b[:n]
	d.b = d.b[n:]
	return out
}

// string returns a length-prefixed UTF-8 string's bytes, within d's.
func (d *metaDecoder) string() []byte {
	b := d.bytes(d.uvarint())
	if d.err == nil && !utf8.Valid(b) {
		d.err = fmt.Errorf("%w: a string is not UTF-8", errBadMeta)
	}
	return b
}

// hash returns a hash's bytes, within d's, and whether they are the raw
// 32 bytes (to hex-encode) rather than the text itself.
func (d *metaDecoder) hash() ([]byte, bool) {
	kind := d.bytes(1)
	if d.err != nil {
		return nil, false
	}
	switch kind[0] {
	case rawHash:
		return d.bytes(32), true
	case textHash:
		s := d.string()
		if d.err == nil && isHexHash(string(s)) {
			d.err = fmt.Errorf("%w: a hash stored as text that has a raw form", errBadMeta)
		}
		return s, false
	}
	d.err = errBadMeta
	return nil, false
}

// validUTF8 returns s with each byte that is not part of valid UTF-8
// replaced by U+FFFD, as encoding/json does when it marshals a string, so
// the metadata the store keeps is what the hash covers and what a JSON
// round trip gave before the compact form.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	out := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			out = utf8.AppendRune(out, utf8.RuneError)
		} else {
			out = append(out, s[i:i+size]...)
		}
		i += size
	}
	return string(out)
}
