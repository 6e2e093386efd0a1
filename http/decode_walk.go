package http

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/referral-ledger/ledger/domain"
)

// walker checks a JSON document token by token against the Go type it will
// be decoded into, collecting field errors; only syntax errors stop it.
// It recurses along the Go type, not the input, so deep input cannot
// exhaust the stack.
type walker struct {
	dec    tokenSource
	body   []byte
	fields []domain.FieldError
	// With track, at is the path of the value being read, as keys
	// (string) and indexes (int) as sent, and cuts holds it for every
	// value at fault, uncapped, so that the rest of the body can be
	// decoded without them (the fast walk, which only asks whether all is
	// well, does without).
	track bool
	at    []any
	cuts  [][]any
}

// enter and leave track the path of the value being read.
func (w *walker) enter(seg any) {
	if w.track {
		w.at = append(w.at, seg)
	}
}

func (w *walker) leave() {
	if w.track {
		w.at = w.at[:len(w.at)-1]
	}
}

// tokenSource is what a walker reads tokens from: a json.Decoder, or, for
// a body already known to be valid JSON, the quicker fastTokens.
type tokenSource interface {
	Token() (json.Token, error)
	More() bool
	Decode(v any) error
}

var (
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	anyType             = reflect.TypeFor[any]()
)

func (w *walker) add(field, message string) {
	fe := domain.FieldError{Field: field, Message: message}
	if len(w.fields) < maxFieldErrors && !slices.Contains(w.fields, fe) {
		w.fields = append(w.fields, fe)
	}
	if w.track {
		w.cuts = append(w.cuts, slices.Clone(w.at))
	}
}

// syntax maps an error of the tokenizer to a 400 naming the byte offset
// (0-based) of the first byte that cannot be JSON there. The tokenizer's
// own offsets are approximate, so the body is scanned again for an exact
// one; the byte itself is not shown.
func (w *walker) syntax(err error) error {
	var se *json.SyntaxError
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return malformed(fmt.Sprintf("the request body is not valid JSON: it ends early, at byte offset %d", len(w.body)))
	case errors.As(err, &se):
		offset := se.Offset
		var exact *json.SyntaxError
		if errors.As(json.Unmarshal(w.body, new(json.RawMessage)), &exact) && exact.Offset > 0 {
			offset = exact.Offset - 1
		}
		return malformed(fmt.Sprintf("the request body is not valid JSON: unexpected byte at offset %d", offset))
	default:
		return malformed("the request body is not valid JSON")
	}
}

// object checks the members of an object whose '{' has been read.
func (w *walker) object(t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct { // a map or any: keys are data, not schema
		for w.dec.More() {
			if _, err := w.dec.Token(); err != nil {
				return w.syntax(err)
			}
			if err := w.value(anyType, path); err != nil {
				return err
			}
		}
		_, err := w.dec.Token() // '}'
		if err != nil {
			return w.syntax(err)
		}
		return nil
	}
	fields := jsonFields(t)
	var seen seenKeys
	for w.dec.More() {
		tok, err := w.dec.Token()
		if err != nil {
			return w.syntax(err)
		}
		key, _ := tok.(string) // the tokenizer only yields string keys
		p := joinPath(path, key)
		w.enter(key)
		ft, known := fields[key]
		switch {
		case !known:
			// The key is not named, even if it looks like a field
			// name: it is client input, and may be client data
			// typed in the wrong place (R-PRIV-7).
			na := notAccepted(path)
			w.add(na.Field, na.Message)
			ft = anyType
		case seen.has(key):
			w.add(p, "duplicate field")
			ft = anyType
		}
		seen.add(key)
		if err := w.value(ft, p); err != nil {
			return err
		}
		w.leave()
	}
	if _, err := w.dec.Token(); err != nil { // '}'
		return w.syntax(err)
	}
	return nil
}

// notAccepted names the object at path, which holds a key the request
// does not take: by its path, or as "body" for the body itself, as an odd
// query parameter is named "query". The key is never named (R-PRIV-7).
func notAccepted(path string) domain.FieldError {
	if path == "" {
		path = "body"
	}
	return domain.FieldError{Field: path, Message: notAcceptedMessage}
}

const notAcceptedMessage = "has a field this request does not accept"

// notAcceptedError reports whether f is the error of a key the request
// does not take (notAccepted).
func notAcceptedError(f domain.FieldError) bool {
	return f.Message == notAcceptedMessage
}

// seenKeys is the set of an object's keys read so far: a request's
// objects have a few, kept in an array without allocating; past that,
// in a map, so a body of many keys still costs time in proportion.
type seenKeys struct {
	few  [16]string
	n    int
	many map[string]bool
}

func (s *seenKeys) has(key string) bool {
	if s.many != nil {
		return s.many[key]
	}
	return slices.Contains(s.few[:s.n], key)
}

func (s *seenKeys) add(key string) {
	switch {
	case s.many != nil:
		s.many[key] = true
	case s.n < len(s.few):
		s.few[s.n] = key
		s.n++
	default:
		s.many = make(map[string]bool, 2*len(s.few))
		for _, k := range s.few {
			s.many[k] = true
		}
		s.many[key] = true
	}
}

// value checks the next value against t.
func (w *walker) value(t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Interface {
		pt := reflect.PointerTo(t)
		if pt.Implements(jsonUnmarshalerType) || pt.Implements(textUnmarshalerType) {
			return w.custom(t, path)
		}
	}
	tok, err := w.dec.Token()
	if err != nil {
		return w.syntax(err)
	}
	if tok == nil {
		return nil // null leaves any field as it is, as encoding/json does
	}
	ok := true
	switch t.Kind() {
	case reflect.Struct:
		if tok == json.Delim('{') {
			return w.object(t, path)
		}
		ok = false
	case reflect.Slice, reflect.Array:
		if _, isString := tok.(string); isString && t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			return nil // []byte is a base64 string; decoding checks the encoding
		}
		if tok == json.Delim('[') {
			return w.array(t, path)
		}
		ok = false
	case reflect.String:
		_, ok = tok.(string)
	case reflect.Bool:
		_, ok = tok.(bool)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, isNum := tok.(json.Number)
		if _, err := strconv.ParseInt(string(n), 10, t.Bits()); isNum && err != nil {
			w.add(path, "must be an integer in range")
		}
		ok = isNum
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n, isNum := tok.(json.Number)
		if _, err := strconv.ParseUint(string(n), 10, t.Bits()); isNum && err != nil {
			w.add(path, "must be a non-negative integer in range")
		}
		ok = isNum
	case reflect.Float32, reflect.Float64:
		n, isNum := tok.(json.Number)
		if _, err := strconv.ParseFloat(string(n), t.Bits()); isNum && err != nil {
			w.add(path, "must be a number in range")
		}
		ok = isNum
	case reflect.Map:
		// Map keys are data, not schema: they are not checked or named.
		ok = tok == json.Delim('{')
	}
	if !ok {
		w.add(path, "must be "+jsonKind(t))
	}
	return w.skip(tok)
}

// array checks the elements of an array whose '[' has been read.
func (w *walker) array(t reflect.Type, path string) error {
	for i := 0; w.dec.More(); i++ {
		w.enter(i)
		if err := w.value(t.Elem(), path+"["+strconv.Itoa(i)+"]"); err != nil {
			return err
		}
		w.leave()
	}
	if _, err := w.dec.Token(); err != nil { // ']'
		return w.syntax(err)
	}
	return nil
}

// custom checks a value of a type that decodes itself, by decoding it.
func (w *walker) custom(t reflect.Type, path string) error {
	var raw json.RawMessage
	if err := w.dec.Decode(&raw); err != nil {
		return w.syntax(err)
	}
	v := reflect.New(t).Interface()
	if u, ok := v.(json.Unmarshaler); ok {
		if err := u.UnmarshalJSON(raw); err != nil {
			w.add(path, customMessage(err, "has an invalid value"))
		}
		return nil
	}
	if string(raw) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		w.add(path, "must be a string")
		return nil
	}
	if err := v.(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
		w.add(path, customMessage(err, "has an invalid format"))
	}
	return nil
}

// customMessage is err's message if it is a domain error (safe by
// contract), else fallback: other errors may quote the value.
func customMessage(err error, fallback string) string {
	var de *domain.Error
	if errors.As(err, &de) && de.Message != "" {
		return de.Message
	}
	return fallback
}

// skip consumes the rest of a value whose first token is tok.
func (w *walker) skip(tok json.Token) error {
	if tok != json.Delim('{') && tok != json.Delim('[') {
		return nil
	}
	for depth := 1; depth > 0; {
		t, err := w.dec.Token()
		if err != nil {
			return w.syntax(err)
		}
		switch t {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}

// jsonFieldsCache holds jsonFields' answer for each struct type decoded
// so far: a request type's fields do not change, and working them out by
// reflection on every request cost more than the rest of the walk.
var jsonFieldsCache sync.Map // reflect.Type -> map[string]reflect.Type, never modified once stored

// jsonFields returns the JSON member names of struct type t and their
// types, following encoding/json's tag rules and promoting the fields of
// embedded structs (outer fields win). A field with the ",string" option
// maps to any: its quoted value is left to the decoder. The map returned
// is shared: callers must not modify it.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if f, ok := jsonFieldsCache.Load(t); ok {
		return f.(map[string]reflect.Type)
	}
	f, _ := jsonFieldsCache.LoadOrStore(t, jsonFieldsOf(t))
	return f.(map[string]reflect.Type)
}

// jsonFieldsOf works out jsonFields.
func jsonFieldsOf(t reflect.Type) map[string]reflect.Type {
	fields := make(map[string]reflect.Type)
	var embedded []reflect.Type
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				embedded = append(embedded, ft)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		ft := f.Type
		for _, o := range strings.Split(opts, ",") {
			if o == "string" {
				ft = anyType
			}
		}
		fields[name] = ft
	}
	for _, e := range embedded {
		for name, ft := range jsonFieldsOf(e) {
			if _, ok := fields[name]; !ok {
				fields[name] = ft
			}
		}
	}
	return fields
}

// jsonKind describes, for a message, the JSON a Go type expects.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			return "a base64 string"
		}
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	default:
		return "a value of another type"
	}
}

// joinPath extends a field path with an object key.
func joinPath(path, key string) string {
	if path == "" {
		return safeName(key)
	}
	return path + "." + safeName(key)
}

// safeName returns key if it looks like a field name (1–64 of A–Z, a–z,
// 0–9, _ and -) and "?" otherwise: a key is client input, and an odd one
// may be data sent in the wrong place.
func safeName(key string) string {
	if len(key) == 0 || len(key) > 64 {
		return "?"
	}
	for i := 0; i < len(key); i++ {
		b := key[i]
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_' || b == '-') {
			return "?"
		}
	}
	return key
}

// errNotFast stops a walk over fastTokens that needs what only a
// json.Decoder gives (a value decoded whole, a key with escapes); the
// body is then walked again with one.
var errNotFast = errors.New("not on the fast path")

// fastTokens reads the tokens of a body that json.Valid accepted, which
// lets it skip what a json.Decoder checks and allocates: separators are
// skipped like white space, a string value is given as "" (the walker
// only checks that it is a string), and the end of a value is found
// without scanning past it (json.Decoder.Token builds, and drops, a
// syntax error for the byte after every scalar).
type fastTokens struct {
	b []byte
	i int
}

func (t *fastTokens) skip() {
	for t.i < len(t.b) {
		switch t.b[t.i] {
		case ' ', '\t', '\r', '\n', ',', ':':
			t.i++
		default:
			return
		}
	}
}

func (t *fastTokens) More() bool {
	t.skip()
	return t.i < len(t.b) && t.b[t.i] != '}' && t.b[t.i] != ']'
}

func (t *fastTokens) Token() (json.Token, error) {
	t.skip()
	if t.i >= len(t.b) {
		return nil, io.EOF
	}
	switch c := t.b[t.i]; c {
	case '{', '}', '[', ']':
		t.i++
		return json.Delim(c), nil
	case '"':
		start, escaped := t.i+1, false
		j := start
		for ; t.b[j] != '"'; j++ {
			if t.b[j] == '\\' {
				escaped = true
				j++
			}
		}
		t.i = j + 1
		k := t.i
		for k < len(t.b) && (t.b[k] == ' ' || t.b[k] == '\t' || t.b[k] == '\r' || t.b[k] == '\n') {
			k++
		}
		if k < len(t.b) && t.b[k] == ':' { // a key: its text matters
			if escaped {
				return nil, errNotFast
			}
			return string(t.b[start:j]), nil
		}
		return "", nil
	case 't':
		t.i += len("true")
		return true, nil
	case 'f':
		t.i += len("false")
		return false, nil
	case 'n':
		t.i += len("null")
		return nil, nil
	default: // a number
		start := t.i
		for t.i < len(t.b) && strings.IndexByte("+-0123456789.eE", t.b[t.i]) >= 0 {
			t.i++
		}
		return json.Number(t.b[start:t.i]), nil
	}
}

// Decode is not offered: the walk goes again with a json.Decoder.
func (t *fastTokens) Decode(any) error { return errNotFast }

// fastValid walks body, which must be valid UTF-8, with fastTokens and
// reports whether it is one JSON object whose members all match dst's
// type; false means nothing certain, and the walk must be made again with
// a json.Decoder for its errors.
func fastValid(body []byte, dst any) bool {
	if !json.Valid(body) {
		return false
	}
	t := &fastTokens{b: body}
	w := walker{dec: t, body: body}
	if tok, err := t.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	return w.object(reflect.TypeOf(dst), "") == nil && len(w.fields) == 0
}
