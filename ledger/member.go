package ledger

import (
	"encoding/base64"

	"github.com/google/uuid"
)

// topMember returns the raw JSON value of the member name (a lower-case
// ASCII name) of the JSON object data, as encoding/json would find it for
// a struct field tagged name: nil when the object has no such member. It
// reads the object once, without decoding the other members, instead of
// encoding/json's two passes over the whole document (one to validate it,
// one to decode it).
//
// ok is false, and the caller is to decode data with encoding/json, when
// the answer could differ from encoding/json's: data is not valid JSON or
// not an object, a member's name has an escape or a byte outside ASCII
// (encoding/json matches names by Unicode case folding), or more than one
// member's name matches name without regard to case (encoding/json would
// merge them).
func topMember(data []byte, name string) (raw []byte, ok bool) {
	start, end, ok := topMemberSpan(data, name)
	if !ok || start < 0 {
		return nil, ok
	}
	return data[start:end], true
}

// topMemberSpan is topMember, giving where the value is in data: start
// is -1 when there is no such member.
func topMemberSpan(data []byte, name string) (start, end int, ok bool) {
	start, end = -1, -1
	s := jsonScan{data: data}
	s.space()
	if !s.byte('{') {
		return start, end, false
	}
	s.space()
	if s.byte('}') {
		return start, end, s.end()
	}
	for {
		s.space()
		key, plain := s.key()
		if !plain {
			return -1, -1, false
		}
		s.space()
		if !s.byte(':') {
			return -1, -1, false
		}
		s.space()
		at := s.i
		if !s.value(0) {
			return -1, -1, false
		}
		if asciiFoldEqual(key, name) {
			if start >= 0 {
				return -1, -1, false
			}
			start, end = at, s.i
		}
		s.space()
		if s.byte('}') {
			if !s.end() {
				return -1, -1, false
			}
			return start, end, true
		}
		if !s.byte(',') {
			return -1, -1, false
		}
	}
}

// withoutBox returns data, an event's payload, with the value of its
// sealed member, if it is an object, replaced by null, and whether it
// was (withheld): what the public codec decodes, the same as data but for
// the box, whose bytes encoding/json would otherwise check and skip. ok
// is false when data is to be decoded as it is (see topMember; a sealed
// member that is neither an object nor null).
func withoutBox(data []byte) (doc []byte, withheld, ok bool) {
	start, end, ok := topMemberSpan(data, sealedField)
	if !ok || start < 0 || string(data[start:end]) == "null" {
		return data, false, ok
	}
	if data[start] != '{' {
		return nil, false, false
	}
	doc = make([]byte, 0, len(data)-(end-start)+len("null"))
	doc = append(append(append(doc, data[:start]...), "null"...), data[end:]...)
	return doc, true, true
}

// asciiFoldEqual reports whether key, of ASCII bytes, equals name, of
// lower-case ASCII bytes, without regard to case.
func asciiFoldEqual(key []byte, name string) bool {
	if len(key) != len(name) {
		return false
	}
	for i, c := range key {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != name[i] {
			return false
		}
	}
	return true
}

// jsonScan checks JSON text as encoding/json's scanner does, from i.
type jsonScan struct {
	data []byte
	i    int
}

// maxJSONDepth is encoding/json's limit of nested arrays and objects:
// deeper documents are left to it.
const maxJSONDepth = 10000

func (s *jsonScan) space() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// byte consumes c if it is next.
func (s *jsonScan) byte(c byte) bool {
	if s.i < len(s.data) && s.data[s.i] == c {
		s.i++
		return true
	}
	return false
}

// end reports whether only white space follows.
func (s *jsonScan) end() bool {
	s.space()
	return s.i == len(s.data)
}

// key reads a member's name; plain is false when it is not a string
// of ASCII bytes without escapes.
func (s *jsonScan) key() (key []byte, plain bool) {
	if !s.byte('"') {
		return nil, false
	}
	start := s.i
	for s.i < len(s.data) {
		c := s.data[s.i]
		switch {
		case c == '"':
			s.i++
			return s.data[start : s.i-1], true
		case c < 0x20 || c == '\\' || c >= 0x80:
			return nil, false
		}
		s.i++
	}
	return nil, false
}

// value skips one valid JSON value at nesting depth.
func (s *jsonScan) value(depth int) bool {
	if s.i >= len(s.data) {
		return false
	}
	switch c := s.data[s.i]; {
	case c == '"':
		return s.str()
	case c == '{' || c == '[':
		if depth >= maxJSONDepth {
			return false
		}
		closing := byte('}')
		if c == '[' {
			closing = ']'
		}
		s.i++
		s.space()
		if s.byte(closing) {
			return true
		}
		for {
			s.space()
			if c == '{' {
				if !s.str() {
					return false
				}
				s.space()
				if !s.byte(':') {
					return false
				}
				s.space()
			}
			if !s.value(depth + 1) {
				return false
			}
			s.space()
			if s.byte(closing) {
				return true
			}
			if !s.byte(',') {
				return false
			}
		}
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	}
	return false
}

// str skips a string, its escapes checked.
func (s *jsonScan) str() bool {
	if !s.byte('"') {
		return false
	}
	for s.i < len(s.data) {
		c := s.data[s.i]
		s.i++
		switch {
		case c == '"':
			return true
		case c < 0x20:
			return false
		case c == '\\':
			if s.i >= len(s.data) {
				return false
			}
			e := s.data[s.i]
			s.i++
			switch e {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if s.i+4 > len(s.data) {
					return false
				}
				for _, h := range s.data[s.i : s.i+4] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return false
					}
				}
				s.i += 4
			default:
				return false
			}
		}
	}
	return false
}

// number skips a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *jsonScan) number() bool {
	s.byte('-')
	switch {
	case s.byte('0'):
	case s.digits() == 0:
		return false
	}
	if s.byte('.') && s.digits() == 0 {
		return false
	}
	if s.byte('e') || s.byte('E') {
		if !s.byte('+') {
			s.byte('-')
		}
		if s.digits() == 0 {
			return false
		}
	}
	return true
}

func (s *jsonScan) digits() int {
	start := s.i
	for s.i < len(s.data) && '0' <= s.data[s.i] && s.data[s.i] <= '9' {
		s.i++
	}
	return s.i - start
}

func (s *jsonScan) literal(lit string) bool {
	if len(s.data)-s.i < len(lit) || string(s.data[s.i:s.i+len(lit)]) != lit {
		return false
	}
	s.i += len(lit)
	return true
}

// sealedMember decodes raw, the value of a payload's sealed member, as
// encoding/json decodes it into a *sealed, when it can tell it would give
// the same (ok); the caller decodes it with encoding/json otherwise. The
// box, most of a payload's bytes, is decoded from base64 once, without
// encoding/json's passes over it.
func sealedMember(raw []byte) (box *sealed, ok bool) {
	if string(raw) == "null" {
		return nil, true
	}
	id, ok := topMember(raw, "client_id")
	if !ok {
		return nil, false
	}
	data, ok := topMember(raw, "box")
	if !ok {
		return nil, false
	}
	box = &sealed{}
	if id != nil && string(id) != "null" {
		text, plain := plainString(id)
		if !plain {
			return nil, false
		}
		if box.ClientID, ok = parseUUID(text); !ok {
			return nil, false
		}
	}
	if data != nil && string(data) != "null" {
		text, plain := plainString(data)
		if !plain {
			return nil, false
		}
		box.Box = make([]byte, base64.StdEncoding.DecodedLen(len(text)))
		n, err := base64.StdEncoding.Decode(box.Box, text)
		if err != nil {
			return nil, false
		}
		box.Box = box.Box[:n]
	}
	return box, true
}

// plainString returns the contents of raw, a JSON string of ASCII bytes
// without escapes (plain); plain is false for any other value.
func plainString(raw []byte) ([]byte, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return nil, false
	}
	text := raw[1 : len(raw)-1]
	for _, c := range text {
		if c == '\\' || c == '"' || c < 0x20 || c >= 0x80 {
			return nil, false
		}
	}
	return text, true
}

// parseUUID parses text as uuid.UUID's UnmarshalText does.
func parseUUID(text []byte) (uuid.UUID, bool) {
	var id uuid.UUID
	if err := id.UnmarshalText(text); err != nil {
		return uuid.Nil, false
	}
	return id, true
}
