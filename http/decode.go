package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/referral-ledger/ledger/domain"
)

// maxFieldErrors caps the field errors one response lists, so a body of a
// thousand unknown keys does not get a thousand-line answer.
const maxFieldErrors = 20

// decodeJSON reads the request body, which must be one JSON object, into
// dst, a pointer to a struct. It is strict, and its errors never repeat a
// value from the body, nor a key the request does not take (R-PRIV-7):
//
//   - no body, or only whitespace: 400 (malformed_request)
//   - Content-Type other than application/json (charset utf-8 allowed): 415
//   - more than maxBodyBytes (or bodyLimit's n): 413, naming the limit
//   - invalid UTF-8, invalid JSON (with its byte offset), a value other than
//     an object, or data after the object: 400 (malformed_request)
//   - unknown or duplicate keys (matched case-sensitively), or a value of
//     the wrong JSON type or out of range: 422 (invalid) with errors naming
//     each field by path, e.g. "consent.method" or "services[1].name"; an
//     unknown key is not named: its error names the object that holds it
//     ("body" for the body itself) as having "a field this request does
//     not accept"; dst
//     then holds every other member of the body, so that a caller may
//     check the rest and name every field at fault at once (refuseBody)
//
// A field whose type implements json.Unmarshaler or encoding.TextUnmarshaler
// is checked by it; a *domain.Error it returns gives the field's message.
func decodeJSON(c *gin.Context, dst any) error {
	r := c.Request
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return malformed("a JSON request body is required")
	}
	if err := checkJSONContentType(r.Header.Get("Content-Type")); err != nil {
		return err
	}
	if r.ContentLength > bodyLimitOf(c) {
		return tooLarge(bodyLimitOf(c))
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, r.Body, bodyLimitOf(c)))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tooLarge(mbe.Limit)
		}
		return malformed("the request body could not be read")
	}
	return decodeJSONBytes(body, dst)
}

// checkJSONContentType accepts application/json with at most a utf-8
// charset; anything else is 415.
func checkJSONContentType(v string) error {
	if v == "application/json" {
		return nil // what clients send: no need to parse it
	}
	unsupported := newRequestError(codeUnsupportedMedia, "the request body must have Content-Type application/json")
	mt, params, err := mime.ParseMediaType(v)
	if err != nil || mt != "application/json" {
		return unsupported
	}
	for k, val := range params {
		if k != "charset" || !strings.EqualFold(val, "utf-8") {
			return unsupported
		}
	}
	return nil
}

// decodeJSONBytes is decodeJSON once the body has been read.
func decodeJSONBytes(body []byte, dst any) error {
	if len(bytes.Trim(body, " \t\r\n")) == 0 {
		return malformed("a JSON request body is required")
	}
	if !utf8.Valid(body) {
		return malformed("the request body is not valid UTF-8")
	}
	if at := loneSurrogate(body); at >= 0 {
		// encoding/json would store U+FFFD in its place: text changed
		// without a word.
		return malformed(fmt.Sprintf("the request body has an unpaired surrogate escape (\\uD800 to \\uDFFF), which is no character, at byte offset %d", at))
	}
	if !fastValid(body, dst) {
		cuts, err := walkCuts(body, dst)
		if len(cuts) > 0 {
			// Only field errors: the rest of the body is decoded
			// nonetheless, without the values at fault.
			if rest := decodeRest(body, cuts, dst); rest != nil {
				return joinDecodeErrors(err, rest)
			}
		}
		if err != nil {
			return err
		}
	}

	return decodeStrict(body, dst)
}

// decodeRest decodes into dst what body holds besides the values at the
// paths in cuts: a member of an object is left out, as if not sent, and an
// element of an array is sent as null, so that the others keep their
// indexes. body has been walked: it is one JSON object. Its error, if what
// is left does not decode (which the walk should have seen), is
// decodeStrict's.
func decodeRest(body []byte, cuts [][]any, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return decodeError(err)
	}
	for _, path := range cuts {
		cutAt(doc, path)
	}
	rest, err := json.Marshal(doc)
	if err != nil {
		return malformed("the request body could not be decoded")
	}
	return decodeStrict(rest, dst)
}

// joinDecodeErrors is the walk's field errors with what decoding the rest
// of the body found: its field errors too, or, when it is no field error,
// that error alone, so that no handler runs on a body half decoded.
func joinDecodeErrors(walked, rest error) error {
	var re *requestError
	if errors.As(rest, &re) || domain.ErrorCode(rest) != domain.Invalid || len(domain.ErrorFields(rest)) == 0 {
		return rest
	}
	fields := domain.ErrorFields(walked)
	for _, f := range domain.ErrorFields(rest) {
		if len(fields) < maxFieldErrors && !slices.Contains(fields, f) {
			fields = append(fields, f)
		}
	}
	return domain.InvalidFields(fields...)
}

// cutAt removes the value at path from doc (maps and slices as a
// json.Decoder gives them); a path that leads nowhere is left.
func cutAt(doc any, path []any) {
	if len(path) == 0 {
		return
	}
	for _, seg := range path[:len(path)-1] {
		switch v := doc.(type) {
		case map[string]any:
			k, _ := seg.(string)
			doc = v[k]
		case []any:
			i, _ := seg.(int)
			if i < 0 || i >= len(v) {
				return
			}
			doc = v[i]
		default:
			return
		}
	}
	switch v := doc.(type) {
	case map[string]any:
		if k, ok := path[len(path)-1].(string); ok {
			delete(v, k)
		}
	case []any:
		if i, ok := path[len(path)-1].(int); ok && i >= 0 && i < len(v) {
			v[i] = nil
		}
	}
}

// loneSurrogate returns the byte offset of the first \u escape in body
// that is half of a UTF-16 surrogate pair without its other half, or -1.
// Backslashes stand only in strings in valid JSON, so body is scanned for
// them alone: an escape is skipped whole, so "\\u" is a backslash and a u.
func loneSurrogate(body []byte) int {
	for i := 0; ; {
		j := bytes.IndexByte(body[i:], '\\')
		if j < 0 {
			return -1
		}
		i += j
		if i+1 >= len(body) || body[i+1] != 'u' {
			i += 2
			continue
		}
		r, ok := hex4(body, i+2)
		switch {
		case !ok, r < 0xd800 || r > 0xdfff:
			i += 2 // an invalid escape is the decoder's to report
		case r >= 0xdc00:
			return i // a low half first
		default:
			low, ok := hex4(body, i+8)
			if i+7 >= len(body) || body[i+6] != '\\' || body[i+7] != 'u' || !ok || low < 0xdc00 || low > 0xdfff {
				return i
			}
			i += 12
		}
	}
}

// hex4 reads the four hexadecimal digits of a \u escape at body[i:].
func hex4(body []byte, i int) (rune, bool) {
	if i < 0 || i+4 > len(body) {
		return 0, false
	}
	var r rune
	for _, c := range body[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// decodeStrict decodes body, which a walk has checked, into dst. The walk
// has checked keys and types, so decoding should succeed; should it not,
// its error is mapped without its text, which may quote the body.
func decodeStrict(body []byte, dst any) error {
	strict := json.NewDecoder(bytes.NewReader(body))
	strict.DisallowUnknownFields()
	if err := strict.Decode(dst); err != nil {
		return decodeError(err)
	}
	return nil
}

// walk checks body, token by token with a json.Decoder, against dst's
// type, and returns the error decodeJSON answers, if any.
func walk(body []byte, dst any) error {
	_, err := walkCuts(body, dst)
	return err
}

// walkCuts is walk that also returns, when its error is field errors
// alone, the path of every value at fault (see walker.cuts).
func walkCuts(body []byte, dst any) ([][]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	w := walker{dec: dec, body: body, track: true}
	tok, err := dec.Token()
	if err != nil {
		return nil, w.syntax(err)
	}
	if tok != json.Delim('{') {
		return nil, malformed("the request body must be a JSON object")
	}
	if err := w.object(reflect.TypeOf(dst), ""); err != nil {
		return nil, err
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		return nil, malformed(fmt.Sprintf("the request body has data after the JSON object, at byte offset %d", end))
	}
	if len(w.fields) > 0 {
		return w.cuts, domain.InvalidFields(w.fields...)
	}
	return nil, nil
}

// decodeError maps an error of encoding/json to a safe one.
func decodeError(err error) error {
	var de *domain.Error
	if errors.As(err, &de) {
		return err
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" && te.Type != nil {
		parts := strings.Split(te.Field, ".")
		for i, p := range parts {
			parts[i] = safeName(p)
		}
		return domain.InvalidFields(domain.FieldError{Field: strings.Join(parts, "."), Message: "must be " + jsonKind(te.Type)})
	}
	return malformed("the request body could not be decoded")
}
